# One image for both Wharf processes: the web server (default CMD) and the Celery build worker
# (docker-compose.yml overrides the command). Debian bookworm, because buildah and skopeo come
# from Debian's own packages there.
FROM python:3.11-slim-bookworm

# buildah/skopeo build and push images for automated builds; git (and ssh, for ssh:// sources)
# clones the build sources; slirp4netns gives RUN steps a network without the host's loopback.
# --no-install-recommends skips fuse-overlayfs & co.: inside a container the vfs driver below is
# the one that works everywhere, at the cost of disk space.
RUN apt-get update \
    && apt-get install -y --no-install-recommends buildah skopeo git openssh-client \
        slirp4netns ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# STORAGE_DRIVER=vfs: overlay-on-overlay needs kernel/fuse support a container rarely has; vfs
# always works. BUILDAH_ISOLATION=chroot: OCI isolation needs cgroups a container does not delegate.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WHARF_DATA_DIR=/data \
    STORAGE_DRIVER=vfs \
    BUILDAH_ISOLATION=chroot

WORKDIR /app

# Dependencies before sources, so editing code does not re-run pip.
COPY requirements.lock .
RUN pip install -r requirements.lock

COPY . .

# Runs as root: the worker must, to hand every build to the unprivileged wharf-build user
# (rootless buildah in a user namespace). /data is private (0700) and each container's own
# (blobs are in S3 in docker-compose.yml, or in /data of a single container), so build
# workspaces are under /var/lib/wharf (docker-compose.yml gives it a volume of its own).
RUN scripts/build-user.sh && mkdir -p /data
VOLUME ["/data"]

EXPOSE 8000

# exec hands PID 1 to uvicorn (hub.webserver execs it, with the options `make run` uses: forwarding
# headers believed only from WHARF_TRUSTED_PROXIES) so it receives `docker stop`'s SIGTERM.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py collectstatic --noinput && exec python -m hub.webserver"]
