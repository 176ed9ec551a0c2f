"""A lean HTTP/1.1 keep-alive client for load generators.

The load generator shares the machine's two cores with the server it measures. httpx
spends about 2 ms of CPU per request, which at a few hundred requests a second is a third
of a core taken from the server; one prepared write and a Content-Length read here costs a
small fraction of that. It speaks only what `kinerja serve` answers: HTTP/1.1 responses
with a Content-Length.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> object:
        return orjson.loads(self.content)


class KeepAliveConnection:
    """One connection, one request at a time (a load-generating client)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def post(
        self,
        path: str,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> RawResponse:
        if self._writer is None or self._writer.is_closing():
            await self._connect()
        assert self._reader is not None and self._writer is not None
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
            f"content-type: {content_type}\r\ncontent-length: {len(body)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
            + "\r\n"
        ).encode()
        self._writer.write(head + body)
        raw = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *lines = raw[:-4].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise RuntimeError(f"no content-length in the response to {path}: {status_line}")
        content = await self._reader.readexactly(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return RawResponse(int(status_line.split(" ", 2)[1]), headers, content)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class ConnectionPool:
    """Keep-alive connections handed out one request at a time, opened as needed (up to
    `size`): an open-loop load generator's requests."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self._free: asyncio.Queue[KeepAliveConnection] = asyncio.Queue()
        for _ in range(size):
            self._free.put_nowait(KeepAliveConnection(host, port))
        self._all = list(self._free._queue)  # type: ignore[attr-defined]

    async def post(self, path: str, body: bytes, **kwargs) -> RawResponse:
        connection = await self._free.get()
        try:
            return await connection.post(path, body, **kwargs)
        except BaseException:
            await connection.close()  # a half-read answer must not be reused
            raise
        finally:
            self._free.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()
