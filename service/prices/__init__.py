"""Mandi prices from Agmarknet (issue #13): the data.gov.in client (`agmarknet`), its answers and the portal's CSV
read into one shape (`records`), Agmarknet's names mapped to our crops and mandis (`names`), stored with a report
(`importer`, `report`), a whole run (`runs`: `kheti prices fetch`/`import` and the daily job), and how every
process hears new prices within a minute (`freshness`)."""
