"""Search indexes: a trigram GIN index on PostgreSQL, fill search_text for existing rows."""

from django.db import migrations, models


def fill_search_text(apps, schema_editor):
    Repository = apps.get_model("hub", "Repository")
    for repo in Repository.objects.select_related("namespace").iterator():
        repo.search_text = f"{repo.namespace.name}/{repo.name} {repo.description}".lower()
        repo.save(update_fields=["search_text"])


def create_trigram_index(apps, schema_editor):
    # LIKE '%word%' can use a trigram index; SQLite has none and scans, which is fine at its scale.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS hub_repository_search_trgm "
        "ON hub_repository USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS hub_repository_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("hub", "0003_repository_search_text")]

    operations = [
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(
                fields=["-star_count"], name="hub_repo_stars_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(
                fields=["-pull_count"], name="hub_repo_pulls_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="repository",
            index=models.Index(
                fields=["-updated_at"], name="hub_repo_updated_idx"
            ),
        ),
    ]
