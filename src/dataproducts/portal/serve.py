"""``dp serve``: the portal's web application on a local port (uvicorn), loopback only by default."""

from __future__ import annotations

import errno
import socket
import sys
from collections.abc import Callable

from dataproducts.config import ProjectConfig
from dataproducts.errors import ConfigError, UsageError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (the server is given this very socket, so a port taken between
    a check and the start cannot happen); ``ConfigError`` naming the address when it cannot be had."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: expected 0 to 65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: not an address of this machine ({exc.strerror})") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise ConfigError(f"{host}:{port}: cannot listen ({why})") from exc
    sock.set_inheritable(True)
    return sock


def serve(
    cfg: ProjectConfig,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve the portal of ``cfg`` until interrupted. The run records are checked first (a project without
    a reported run is a ``ConfigError``, before any port is taken)."""
    import uvicorn

    from dataproducts.portal.app import create_app
    from dataproducts.portal.site import Site

    Site(cfg).newest_report()
    app = create_app(cfg)
    sock = bind(host, port)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{sock.getsockname()[1]}/"
    (announce or (lambda line: print(line, file=sys.stderr, flush=True)))(
        f"dp serve: {url} (the portal; API docs at {url}api/docs). Ctrl-C stops it."
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
