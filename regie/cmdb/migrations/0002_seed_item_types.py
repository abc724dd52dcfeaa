from django.db import migrations


def seed(apps, schema_editor):
    from regie.cmdb.seed import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
