"""A loopback TCP proxy a drill can cut: every connection open at the cut loses its state
like a firewall or NAT table dropping it.

At :meth:`TcpProxy.cut` the server side of every open connection is closed at once (the
server sees its client vanish, as its own keepalives would tell it in a real cut) while the
client side hears nothing: its packets are still acknowledged by this machine's kernel but
never answered, so no TCP timeout of the client fires — only its own application-level
bounds. After ``hold_seconds`` the client side is closed too. New connections work at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, *, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", port))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._lock = threading.Lock()
        self._closed = False
        self.accepted = 0
        self.cut_connections = 0
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def url(self, database_url: str) -> str:
        """``database_url`` (on the target) with host and port replaced by the proxy's."""
        scheme, rest = database_url.split("://", 1)
        credentials, _, tail = rest.rpartition("@")
        path = tail.split("/", 1)[1] if "/" in tail else ""
        prefix = f"{credentials}@" if credentials else ""
        return f"{scheme}://{prefix}127.0.0.1:{self.port}/{path}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            frozen = threading.Event()
            with self._lock:
                self._pairs.append((client, server, frozen))
                self.accepted += 1
            for src, dst in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(src, dst, frozen), name="proxy-pump", daemon=True
                ).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket, frozen: threading.Event) -> None:
        while not frozen.is_set():
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data or frozen.is_set():
                break
            try:
                dst.sendall(data)
            except OSError:
                break
        if not frozen.is_set():  # an ordinary end: pass it on
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self, hold_seconds: float) -> int:
        """Cut every open connection (see the module docstring); returns how many."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for _client, server, frozen in pairs:
            frozen.set()
            with contextlib.suppress(OSError):
                server.shutdown(socket.SHUT_RDWR)
            server.close()

        def release() -> None:
            time.sleep(hold_seconds)
            for client, _, _ in pairs:
                with contextlib.suppress(OSError):
                    client.close()

        threading.Thread(target=release, name="proxy-release", daemon=True).start()
        self.cut_connections += len(pairs)
        return len(pairs)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, server, frozen in pairs:
            frozen.set()
            for s in (client, server):
                with contextlib.suppress(OSError):
                    s.close()
