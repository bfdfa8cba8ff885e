"""A request whose body the test sends piece by piece, reading the answer whenever it likes.

So a test can show the server answered from the headers alone: the response arrives while the
client still holds most of the body it announced.
"""

import http.client
import json
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class PendingRequest:
    def __init__(self, url: str, method: str, path: str, headers: dict, *, chunked=False):
        host, port = url.removeprefix("http://").split(":")
        self.chunked = chunked
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            self.conn.putheader(name, value)
        if chunked:
            self.conn.putheader("Transfer-Encoding", "chunked")
        self.conn.endheaders()

    def send(self, data: bytes) -> None:
        """Part of the body: raw bytes, or one chunk of a chunked body."""
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.conn.send(data)

    def finish(self) -> None:
        """The end of a chunked body."""
        self.conn.send(b"0\r\n\r\n")

    def answer(self) -> Answer:
        response = self.conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        self.conn.close()
        return Answer(response.status, headers, body)


def send_whole(url, method, path, headers, body: bytes, *, chunked=False, piece=64 * 1024):
    """Send all of ``body`` (in chunks of ``piece`` when chunked), then read the answer."""
    if not chunked:
        headers = {**headers, "Content-Length": str(len(body))}
    request = PendingRequest(url, method, path, headers, chunked=chunked)
    for start in range(0, len(body), piece):
        request.send(body[start : start + piece])
    if chunked:
        request.finish()
    return request.answer()
