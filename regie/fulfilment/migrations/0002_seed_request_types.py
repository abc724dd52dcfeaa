from django.db import migrations


def load(apps, schema_editor):
    from regie.fulfilment.seed import ensure_loaded

    ensure_loaded(apps)


class Migration(migrations.Migration):
    dependencies = [("fulfilment", "0001_initial"), ("catalogue", "0002_seed_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
