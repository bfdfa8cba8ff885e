"""Output shapes shared by several endpoints: Docker Hub's repository and tag objects."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from hub.models import Manifest, Repository, Tag
from hub.permissions import actor_from_request, repository_access


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """What every 4xx but a validation error carries: a message for the person."""

    detail = serializers.CharField()


@extend_schema_serializer(component_name="RepositoryPermissions")
class PermissionsSerializer(serializers.Serializer):
    read = serializers.BooleanField()
    write = serializers.BooleanField()
    admin = serializers.BooleanField()


@extend_schema_serializer(component_name="Repository")
class RepositorySerializer(serializers.Serializer):
    """A repository as Docker Hub's ``/v2/repositories/{namespace}/{name}/`` shows it.

    ``has_starred`` is read from the object: list views annotate it in their one query, the
    detail view sets it. ``permissions`` needs ``request`` in the context.
    """

    namespace = serializers.CharField(source="namespace.name")
    name = serializers.CharField()
    repo_name = serializers.CharField(
        source="display_name", help_text="What to pull: official ones go by their short name."
    )
    description = serializers.CharField()
    full_description = serializers.CharField(help_text="Markdown.")
    is_private = serializers.BooleanField()
    is_automated = serializers.BooleanField()
    is_official = serializers.BooleanField()
    star_count = serializers.IntegerField()
    pull_count = serializers.IntegerField()
    last_updated = serializers.DateTimeField(source="updated_at")
    date_registered = serializers.DateTimeField(source="created_at")
    has_starred = serializers.SerializerMethodField()
    permissions = serializers.SerializerMethodField()

    def get_has_starred(self, repository: Repository) -> bool:
        return bool(getattr(repository, "has_starred", False))

    @extend_schema_field(PermissionsSerializer)
    def get_permissions(self, repository: Repository) -> dict:
        actor = actor_from_request(self.context["request"])
        return repository_access(actor, repository).as_dict()


@extend_schema_serializer(component_name="TagImage")
class ImageSerializer(serializers.Serializer):
    """One platform's image of a tag."""

    architecture = serializers.CharField()
    os = serializers.CharField()
    variant = serializers.CharField(allow_blank=True)
    digest = serializers.CharField()
    size = serializers.IntegerField()


def tag_images(manifest: Manifest) -> list[dict]:
    """Each platform of a manifest: the index's entries (prefetched), or the image itself."""
    if manifest.is_index:
        return [
            {
                "architecture": entry.architecture or entry.child.architecture,
                "os": entry.os or entry.child.os,
                "variant": entry.variant or entry.child.variant,
                "digest": entry.child.digest,
                "size": entry.child.total_size,
            }
            for entry in manifest.children.all()
        ]
    return [
        {
            "architecture": manifest.architecture,
            "os": manifest.os,
            "variant": manifest.variant,
            "digest": manifest.digest,
            "size": manifest.total_size,
        }
    ]


@extend_schema_serializer(component_name="Tag")
class TagSerializer(serializers.Serializer):
    """A tag as Docker Hub's ``/v2/repositories/{namespace}/{name}/tags/`` shows it."""

    name = serializers.CharField()
    digest = serializers.CharField(source="manifest.digest")
    media_type = serializers.CharField(source="manifest.media_type")
    full_size = serializers.IntegerField(
        source="manifest.total_size", help_text="Compressed bytes: config and layers."
    )
    last_updated = serializers.DateTimeField(source="updated_at")
    tag_last_pushed = serializers.DateTimeField(source="updated_at")
    images = serializers.SerializerMethodField()

    @extend_schema_field(ImageSerializer(many=True))
    def get_images(self, tag: Tag) -> list[dict]:
        return tag_images(tag.manifest)
