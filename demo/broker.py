"""An MQTT broker inside the demo's process: amqtt on its own thread and event loop.

amqtt is a pure-Python, asyncio MQTT **3.1.1** broker from PyPI, so the demo needs no
Mosquitto. It speaks neither MQTT 5 nor shared subscriptions: the demo's clients
connect with ``mqtt.protocol = "3.1.1"`` and one ingest worker takes the whole fleet.
Production uses a real broker (Mosquitto, EMQX, HiveMQ) with MQTT 5.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from demo.errors import DemoError

log = logging.getLogger(__name__)
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class EmbeddedBroker:
    """``start()`` listens on ``host`` (port 0: a free one, see :attr:`port`); ``close()``
    disconnects every client, stops listening and joins the thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._loop = asyncio.new_event_loop()
        self._broker: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-broker", daemon=True)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT_S):
            raise DemoError(f"the embedded MQTT broker did not start in {START_TIMEOUT_S:.0f} s")
        if self._error is not None:
            self._thread.join(STOP_TIMEOUT_S)
            raise DemoError(f"cannot start the embedded MQTT broker on {self.host}:{self.port}:"
                            f" {self._error}") from self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._start())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()

    async def _start(self) -> None:
        from amqtt.broker import Broker

        # amqtt logs every connection and every slow acknowledgement (with a traceback);
        # the demo shows its own progress instead.
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin":
                        {"allow_anonymous": True}},
        }
        self._broker = Broker(config, loop=self._loop)
        await self._broker.start()
        if self.port == 0:
            server = self._broker._servers["default"].instance  # the port the OS picked
            self.port = int(server.sockets[0].getsockname()[1])

    def close(self) -> None:
        """Stop the broker (idempotent); returns once its thread has ended."""
        if not self._thread.is_alive():
            return
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(STOP_TIMEOUT_S)
            except Exception:  # still stop the loop: nothing may be left running
                log.warning("the embedded broker did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(STOP_TIMEOUT_S)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
