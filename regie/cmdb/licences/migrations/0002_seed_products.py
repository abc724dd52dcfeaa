from django.db import migrations


def forwards(apps, schema_editor):
    from regie.cmdb.licences.seed import seed_products

    seed_products(apps.get_model("licences", "LicenceProduct"))


class Migration(migrations.Migration):
    dependencies = [("licences", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
