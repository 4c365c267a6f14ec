from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The database cache (CATALOG_CACHE_URL empty, the default) keeps login failure counters
    # and external Keystone answers; createcachetable does nothing for other backends.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_metadefs")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
