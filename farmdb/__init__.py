"""The shared farmer database: models, migrations, reference data and the queries both the gateway and workers use."""
