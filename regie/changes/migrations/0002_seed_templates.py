from django.db import migrations


def load(apps, schema_editor):
    from regie.changes import seed

    seed.load(apps)


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
