from django.db import migrations


def seed(apps, schema_editor):
    from regie.servicedesk.calamity_seed import load

    load(apps)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0006_calamity")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
