from django.db import migrations


def seed(apps, schema_editor):
    from regie.catalogue.seed import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
