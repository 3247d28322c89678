"""Serve an ASGI app on a free loopback port in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

import uvicorn
from fastapi import FastAPI, HTTPException
from fastapi.responses import Response
from starlette.types import ASGIApp


class ServerThread:
    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, v: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_files(api: FastAPI, path: str, files: Mapping[str, tuple[bytes, str]]) -> None:
    """``GET {path}/{name}``: the bytes a source links to (photos, videos), 404 for an unknown
    name; ``files`` maps a name to (bytes, content type) and may grow while the server runs."""

    @api.get(path + "/{name}")
    def serve(name: str) -> Response:
        if name not in files:
            raise HTTPException(status_code=404)
        data, content_type = files[name]
        return Response(data, media_type=content_type)
