"""The permission function's three shapes agree: the level of one repository (no query or one
hand-written query), the annotation lists use, and the ``visible_to`` filter, for every actor of
the matrix on every repository."""

import pytest

from accounts.models import User
from hub.models import Repository
from hub.permissions import Actor, as_actor, repository_level
from tests.orgs.test_matrix import World, world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def actors(world: World) -> dict[str, Actor]:  # noqa: F811
    found = {"anonymous": Actor()}
    found.update({key: as_actor(user) for key, user in world.people.items()})
    for key, (name, _) in world.robots.items():
        user = User.objects.filter(username=name).first()
        if user is not None:
            found[key] = as_actor(user)
    return found


def test_one_row_the_annotation_and_the_filter_agree(world):  # noqa: F811
    cells = 0
    for key, actor in actors(world).items():
        annotated = dict(Repository.objects.with_access(actor).values_list("pk", "access_level"))
        visible = set(Repository.objects.visible_to(actor).values_list("pk", flat=True))
        for repo in Repository.objects.select_related("namespace"):
            level = repository_level(actor, repo)
            assert annotated[repo.pk] == level, (key, repo.full_name)
            assert (repo.pk in visible) is (level >= 1), (key, repo.full_name)
            cells += 1
    assert cells >= 13 * 3
