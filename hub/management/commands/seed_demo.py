"""`manage.py seed_demo --repos 100000`: a realistic data set for trying and benchmarking the hub.

Users with namespaces, repositories with descriptions, stars and pulls, a few private ones, and
a handful of real images (with layers and history) pushed into official and user repositories.
Deterministic (seeded random), and bulk-inserted so 100,000 repositories take seconds, not hours.
"""

import random
import tempfile
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from hub.models import Namespace, Repository, Star
from hub.registry import ocilayout
from hub.registry.importer import import_layout
from hub.services import namespace_library

ADJECTIVES = (
    "fast tiny secure alpine slim static async cloud edge green quiet rapid shiny smart solid "
    "stable swift urban vivid wild bold brave calm clever cosmic crisp daring eager fancy gentle"
).split()
NOUNS = (
    "nginx redis postgres proxy cache queue worker gateway api web app builder runner agent "
    "exporter monitor scanner crawler mailer scheduler backup logger router broker registry "
    "database search index notebook compiler toolkit shell"
).split()
PURPOSES = (
    "serving static sites,running CI jobs,shipping logs,caching HTTP,scraping metrics,"
    "building Go binaries,training small models,backing up databases,sending email,"
    "testing REST APIs,tracing requests,resizing images"
).split(",")
README = """# {name}

{description}.

## Usage

```sh
docker pull {{host}}/{full_name}:latest
docker run --rm {{host}}/{full_name}:latest --help
```

* Small image, **{size} MB**
* Rebuilt on every push to `main`
"""


class Command(BaseCommand):
    help = "Fill the hub with demo users, repositories, stars, pulls and a few real images."

    def add_arguments(self, parser):
        parser.add_argument("--repos", type=int, default=1000)
        parser.add_argument("--users", type=int, default=0, help="default: repos / 50, at least 5")
        parser.add_argument("--images", type=int, default=6, help="repositories given real images")
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, repos, users, images, seed, **options):
        rng = random.Random(seed)
        users = users or max(repos // 50, 5)
        started = timezone.now()
        with transaction.atomic():
            namespaces = self._users(users)
            library = namespace_library()
            count = self._repositories(rng, repos, namespaces, library)
            self._stars(rng)
        self._images(images)
        seconds = (timezone.now() - started).total_seconds()
        self.stdout.write(
            f"seeded {users} users and {count} repositories in {seconds:.1f}s "
            f"(sign in as demo0001 / demo-password-1)"
        )

    def _users(self, count: int) -> list[Namespace]:
        password = make_password("demo-password-1")
        existing = set(
            User.objects.filter(username__startswith="demo").values_list("username", flat=True)
        )
        new = [
            User(username=f"demo{i:04d}", email=f"demo{i:04d}@example.test", password=password)
            for i in range(1, count + 1)
            if f"demo{i:04d}" not in existing
        ]
        User.objects.bulk_create(new, batch_size=2000)
        demo_users = User.objects.filter(username__startswith="demo").order_by("username")
        have = set(
            Namespace.objects.filter(owner__in=demo_users).values_list("owner_id", flat=True)
        )
        Namespace.objects.bulk_create(
            [Namespace(name=u.username, owner=u) for u in demo_users if u.pk not in have],
            batch_size=2000,
        )
        return list(Namespace.objects.filter(owner__in=demo_users).order_by("name"))

    def _repositories(self, rng, count: int, namespaces, library) -> int:
        now = timezone.now()
        taken = set(Repository.objects.values_list("namespace_id", "name"))
        batch: list[Repository] = []
        made = 0
        for i in range(count):
            official = i % 500 == 0
            ns = library if official else namespaces[i % len(namespaces)]
            noun = rng.choice(NOUNS)
            name = (
                noun
                if official and (ns.pk, noun) not in taken
                else (f"{rng.choice(ADJECTIVES)}-{noun}-{i}")
            )
            if (ns.pk, name) in taken:
                continue
            taken.add((ns.pk, name))
            description = f"A {rng.choice(ADJECTIVES)} {noun} for {rng.choice(PURPOSES)}"
            repo = Repository(
                namespace=ns,
                name=name,
                description=description,
                full_description=README.format(
                    name=name,
                    description=description,
                    full_name=f"{ns.name}/{name}",
                    size=rng.randint(5, 300),
                ),
                is_private=not official and rng.random() < 0.1,
                is_automated=rng.random() < 0.2,
                star_count=int(rng.paretovariate(1.2)) - 1,
                pull_count=int(rng.paretovariate(0.8) * 10),
                created_at=now - timezone.timedelta(days=rng.randint(30, 900)),
                updated_at=now - timezone.timedelta(minutes=rng.randint(1, 60 * 24 * 365)),
            )
            repo.search_text = f"{ns.name}/{name} {description}".lower()
            batch.append(repo)
            if len(batch) >= 5000:
                Repository.objects.bulk_create(batch)
                made += len(batch)
                batch = []
        Repository.objects.bulk_create(batch)
        return made + len(batch)

    def _stars(self, rng) -> None:
        """Real stars from the first demo users on popular public repositories."""
        stargazers = list(User.objects.filter(username__startswith="demo").order_by("username")[:5])
        popular = list(Repository.objects.filter(is_private=False).order_by("-star_count")[:50])
        Star.objects.bulk_create(
            [Star(user=u, repository=r) for u in stargazers for r in popular if rng.random() < 0.3],
            ignore_conflicts=True,
        )

    def _images(self, count: int) -> None:
        targets = [
            "library/nginx",
            "library/redis",
            "demo0001/web",
            "demo0001/worker",
            "demo0002/api",
            "demo0003/tools",
        ][:count]
        for target in targets:
            with tempfile.TemporaryDirectory(prefix="wharf-seed-") as scratch:
                layout = _demo_layout(Path(scratch) / "layout", target)
                for tag in ("latest", "1.0", "1.1"):
                    import_layout(layout=layout, ref="v", target=f"{target}:{tag}")


def _demo_layout(dest: Path, target: str) -> Path:
    writer = ocilayout.LayoutWriter(dest)
    app = target.rpartition("/")[2]
    base, base_diff = ocilayout.tar_layer({"etc/os-release": b'NAME="Wharf demo"\n'})
    binary, binary_diff = ocilayout.tar_layer({f"usr/local/bin/{app}": random.randbytes(40_000)})
    config_file, config_diff = ocilayout.tar_layer({f"etc/{app}.conf": b"listen 8080\n"})
    layers = [
        (writer.add_bytes(data, ocilayout.LAYER_GZIP), diff)
        for data, diff in ((base, base_diff), (binary, binary_diff), (config_file, config_diff))
    ]
    created = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    history = [
        ("ADD rootfs.tar /", False),
        ("ENV PATH=/usr/local/bin:/usr/bin:/bin", True),
        (f"COPY {app} /usr/local/bin/{app}", False),
        (f"COPY {app}.conf /etc/", False),
        ("EXPOSE 8080/tcp", True),
        (f'CMD ["{app}"]', True),
    ]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": created,
        "author": "Wharf demo <demo@example.test>",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "Cmd": [app],
            "WorkingDir": "/srv",
            "ExposedPorts": {"8080/tcp": {}},
            "Labels": {"org.opencontainers.image.title": app},
        },
        "history": [
            {"created": created, "created_by": step, **({"empty_layer": True} if empty else {})}
            for step, empty in history
        ],
    }
    writer.add_image(layers=layers, config=config, tag="v")
    writer.close()
    return dest
