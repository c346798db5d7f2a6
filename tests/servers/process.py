"""Start a server program on a free loopback port, wait until it listens, stop it cleanly."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports (all held open while picking, so none is picked twice)."""
    with contextlib.ExitStack() as stack:
        socks = [
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            for _ in range(count)
        ]
        for sock in socks:
            sock.bind((HOST, 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Block until ``port`` accepts connections; fail with the server's log if it exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = (
                f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
            raise RuntimeError(msg)
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.01)
    tail = log.read_text(errors="replace")[-3000:]
    msg = f"server not listening on {port} after {timeout_s} s:\n{tail}"
    raise RuntimeError(msg)


def require_program(name: str) -> str:
    """The program's path; skip (locally) or fail (under CI) when it is not installed."""
    sbin = Path("/usr/sbin") / name
    path = shutil.which(name) or (str(sbin) if sbin.exists() else None)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; scripts/test installs it")
        pytest.skip(f"{name} is not installed (scripts/test installs it)")
    return path


@dataclass
class ServerProcess:
    """A running server: restartable on the same port (for outage tests)."""

    argv: Sequence[str]
    port: int
    log: Path
    startup_timeout_s: float = 20.0
    #: Called after the port listens, until the server is ready to serve (e.g. polls /health);
    #: raises when it is not. Runs on every start, so ``restart()`` returns a usable server.
    ready: Callable[[], None] | None = None
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(list(self.argv), stdout=out, stderr=subprocess.STDOUT)
        wait_listening(self.port, self.proc, self.log, self.startup_timeout_s)
        if self.ready is not None:
            self.ready()

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGKILL with ``kill``: an abrupt crash, no clean shutdown)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
