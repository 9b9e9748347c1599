"""The shared farmer database: models, migrations, reference data and the queries every entrance uses."""
