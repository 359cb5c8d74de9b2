"""A TCP forwarder the test controls, put between gunicorn and PostgreSQL or Redis.

The shared servers cannot be restarted by a test, so an outage is made here instead:
:meth:`TcpProxy.cut` closes every forwarded connection and from then on accepts new ones only
to close them at once (what a client of a database that just went down sees: its connections
reset, new ones dropped). :meth:`TcpProxy.restore` forwards again. ``latency`` (seconds) holds
every chunk that much in each direction: a slow network to the server. It runs an asyncio loop
in a thread of the test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

BUFFER = 64 * 1024


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0
        self.refused = 0
        self.latency = 0.0
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="tcp-proxy", daemon=True
        )

    def start(self) -> TcpProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            self._close_all()

        self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        """Drop every forwarded connection and every new one until :meth:`restore`."""

        async def cut() -> None:
            self._cut = True
            self._close_all()

        self._call(cut())

    def restore(self) -> None:
        async def restore() -> None:
            self._cut = False

        self._call(restore())

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    # -- internals ---------------------------------------------------------------------------

    def _call(self, coroutine: object) -> object:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        self._writers.update({writer, upstream_writer})
        await asyncio.gather(
            self._pump(reader, upstream_writer),
            self._pump(upstream_reader, writer),
            return_exceptions=True,
        )
        for end in (writer, upstream_writer):
            self._writers.discard(end)
            end.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(BUFFER):
                if self.latency:
                    await asyncio.sleep(self.latency)
                if self._cut:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            writer.transport.abort()
