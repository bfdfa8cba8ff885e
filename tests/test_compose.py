"""docker-compose.yml, the production layout: as Compose itself reads it (`docker compose config`,
or Debian's docker-compose 1.29), and as YAML. Scalable web behind one load balancer, workers and
web sharing no volume, beat once, S3 (MinIO) for blobs, healthchecks on everything that runs."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[1] / "docker-compose.yml"
SECRETS = {"SECRET_KEY": "k" * 40, "MINIO_ROOT_PASSWORD": "minio-test-password"}
WHARF = {"web", "worker", "beat", "migrate"}  # the services that run Wharf's image
ONE_SHOT = {"migrate", "minio-init"}
# What every Wharf process must agree on (README: "Running on several hosts").
SHARED_SETTINGS = [
    "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WHARF_URL", "WHARF_STORAGE_URL",
    "WHARF_S3_ENDPOINT_URL", "WHARF_S3_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
]  # fmt: skip


def compose_command() -> list[str] | None:
    """`docker compose` when the CLI has the plugin, else Debian's `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed (scripts/setup.sh)")
    empty = tmp_path / "empty.env"  # no .env of a developer's changes what is checked
    empty.write_text("")
    return subprocess.run(
        [*command, "--env-file", str(empty), "-f", str(COMPOSE_FILE), "config"],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> dict:
    """The file as Compose resolves it: anchors merged, variables filled in."""
    result = compose_config(tmp_path_factory.mktemp("compose"), **SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def named_volumes(service: dict) -> set[str]:
    """Volumes (named ones, and bind-mounted host paths) a service mounts."""
    found = set()
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, sep, _ = volume.partition(":")
            if sep:  # "name:/path"; a bare "/path" is an anonymous volume of its own
                found.add(source)
        elif volume.get("source"):
            found.add(volume["source"])
    return found


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return env


def command_line(service: dict) -> str:
    command = service.get("command") or []
    return command if isinstance(command, str) else " ".join(command)


def test_compose_has_every_part_each_healthchecked_or_run_once(config):
    services = config["services"]
    assert set(services) == {
        "lb", "web", "worker", "beat", "migrate", "postgres", "redis", "minio", "minio-init",
    }  # fmt: skip
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            assert "healthcheck" not in service, name
        else:
            assert service["healthcheck"]["test"], name
            assert service.get("restart") == "unless-stopped", name
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["minio-init"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name


def test_web_scales_behind_the_load_balancer_with_no_port_or_name_of_its_own(config):
    services = config["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"lb"}  # `--scale web=3` would clash on a fixed host port
    assert "container_name" not in services["web"]
    assert "web:8000" in command_line(services["lb"])
    assert "migrate" not in command_line(services["web"])  # replicas never migrate together


def test_web_and_workers_share_no_volume(config):
    services = config["services"]
    web, worker = named_volumes(services["web"]), named_volumes(services["worker"])
    assert not web & worker
    assert web == set() and worker == set()  # anonymous volumes only: one per replica
    declared = set(config.get("volumes") or {})
    assert declared == {"beat-data", "postgres-data", "redis-data", "minio-data"}


def test_beat_runs_once_in_its_own_service(config):
    services = config["services"]
    beats = [name for name, s in services.items() if " beat" in f" {command_line(s)}"]
    assert beats == ["beat"]
    assert "--beat" not in command_line(services["worker"])
    assert "-A hub beat" in command_line(services["beat"])


def test_every_wharf_process_shares_the_settings_and_blobs_go_to_minio(config):
    services = config["services"]
    envs = {name: environment(services[name]) for name in WHARF}
    for setting in SHARED_SETTINGS:
        values = {name: env.get(setting) for name, env in envs.items()}
        assert len(set(values.values())) == 1 and None not in values.values(), (setting, values)
    web = envs["web"]
    assert web["SECRET_KEY"] == SECRETS["SECRET_KEY"]
    assert web["WHARF_STORAGE_URL"].startswith("s3://wharf/")
    assert web["WHARF_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert web["AWS_SECRET_ACCESS_KEY"] == SECRETS["MINIO_ROOT_PASSWORD"]
    assert environment(services["minio"])["MINIO_ROOT_PASSWORD"] == SECRETS["MINIO_ROOT_PASSWORD"]
    init = services["minio-init"]
    assert init["image"].startswith("minio/mc")
    assert "mc mb --ignore-existing" in command_line({"command": init["entrypoint"]})


@pytest.mark.parametrize("missing", ["SECRET_KEY", "MINIO_ROOT_PASSWORD"])
def test_compose_refuses_to_start_without_a_secret_naming_it(tmp_path, missing):
    env = {name: value for name, value in SECRETS.items() if name != missing}

    result = compose_config(tmp_path, **env)

    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def test_the_file_itself_is_plain_yaml_with_its_anchors():
    """What readers see: the settings block, one per Wharf service, and no secret in the file."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    shared = raw["x-wharf-env"]
    assert shared["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert shared["AWS_SECRET_ACCESS_KEY"].startswith("${MINIO_ROOT_PASSWORD:?")
    for name in WHARF:
        service = raw["services"][name]
        assert service["image"] == "wharf:latest" and service["build"] == ".", name
        assert environment(service)["SECRET_KEY"] == shared["SECRET_KEY"], name
