"""Network guard for test subprocesses: any connection beyond loopback fails and is logged.

Python imports ``sitecustomize`` at start-up from ``sys.path``, so a test puts this folder
on ``PYTHONPATH`` and sets ``NETGUARD_LOG`` to a file. Each blocked attempt appends one
line (the target and the innermost frames of the caller) and raises ``OSError``, as an
offline machine would.
"""

import ipaddress
import os
import socket
import traceback

_LOG = os.environ.get("NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_loopback(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]")
    if host in _LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _block(kind: str, target) -> None:
    frames = "".join(traceback.format_stack(limit=8)[:-2])
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{kind} {target!r}\n{frames}\n")
    raise OSError(f"network access blocked by the test guard: {kind} {target!r}")


if _LOG:
    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo

    def _guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            _block("connect", address)
        return _connect(self, address)

    def _guarded_connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            _block("connect", address)
        return _connect_ex(self, address)

    def _guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            _block("getaddrinfo", host)
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
