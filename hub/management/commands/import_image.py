"""`manage.py import_image SOURCE REPO:TAG`: copy an image into Wharf without a registry client."""

from django.core.management.base import BaseCommand, CommandError

from hub.registry.errors import RegistryError
from hub.registry.importer import ImportError_, import_source


class Command(BaseCommand):
    help = (
        "Import an image from an OCI layout directory or anything skopeo reads "
        "(oci:DIR[:REF], oci-archive:FILE, docker-archive:FILE) "
        "as REPO:TAG, e.g. library/busybox:latest."
    )

    def add_arguments(self, parser):
        parser.add_argument("source")
        parser.add_argument("target", help="repository[:tag], e.g. library/busybox:latest")

    def handle(self, *args, source, target, **options):
        try:
            manifest = import_source(source=source, target=target)
        except (ImportError_, RegistryError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"imported {target} ({manifest.digest})")
