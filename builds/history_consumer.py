"""A repository's Builds tab, live: ``/ws/r/<namespace>/<name>/builds/``.

Sends ``{"type": "changed", "build": <id>, "status": <status>}`` whenever a build of the
repository is queued or changes state; the page then fetches its history table again (the server
renders the rows, so nothing is rendered twice). Only those who may see the repository may listen.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from builds.consumers import CLOSE_NOT_FOUND
from builds.logs import repository_group_name
from hub.models import Repository


@database_sync_to_async
def _visible_repository_id(user, namespace: str, name: str) -> int | None:
    return (
        Repository.objects.visible_to(user)
        .filter(namespace__name=namespace, name=name)
        .values_list("pk", flat=True)
        .first()
    )


class BuildHistoryConsumer(AsyncJsonWebsocketConsumer):
    group: str = ""

    async def _repository_id(self) -> int | None:
        kwargs = self.scope["url_route"]["kwargs"]
        return await _visible_repository_id(
            self.scope.get("user"), kwargs["namespace"], kwargs["name"]
        )

    async def connect(self):
        await self.accept()
        repository_id = await self._repository_id()
        if repository_id is None:  # missing and not-yours look alike
            await self.close(CLOSE_NOT_FOUND)
            return
        self.group = repository_group_name(repository_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """The client has nothing to say; whatever it sends is ignored."""

    async def builds_changed(self, event):
        # Asked again each time (a few events per build): a repository made private since the
        # socket opened, or a viewer who lost access, hears no more.
        if await self._repository_id() is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = ""
            await self.close(CLOSE_NOT_FOUND)
            return
        await self.send_json(
            {"type": "changed", "build": event["build"], "status": event["status"]}
        )
