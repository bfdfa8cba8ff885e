import factory

from accounts.models import AccessToken, User
from accounts.services import access_token_create

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_token(user: User, scope: str = AccessToken.Scope.READ, description: str = "ci"):
    """A token through the real service; returns (token, raw secret)."""
    return access_token_create(user=user, description=description, scope=scope)
