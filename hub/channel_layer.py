"""The Channels layer: channels_redis's, waiting for messages in shorter turns.

channels_redis waits for a consumer's next message with a blocking pop of 5 s, and redis-py 8
gives up on any read after 5 s by default: every quiet websocket died with a TimeoutError after
5 s (redis/redis-py#4091, django/channels_redis#422). A longer client timeout instead left
cancelled consumers hanging at shutdown, so the wait is shortened to well under the timeout.
"""

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer


class RedisChannelLayer(_RedisChannelLayer):
    brpop_timeout = 2
