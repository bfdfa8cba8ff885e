from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("hub", "0009_tag_recent_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="upload",
            name="hash_state",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="upload",
            name="size",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="upload",
            name="store_state",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
