"""Start a server process (`python ui.py`, `rag serve`) and wait until it says it is ready.

Shared by the API benchmark and the tests that drive the real server over HTTP.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READY = "ready on"  # the line ui.serve prints once it accepts connections


def wait_until_ready(proc: subprocess.Popen, timeout: float = 240) -> list[str]:
    """Read `proc`'s output (text mode, stderr merged) until its ready line.

    Returns the lines read, the ready line last; the rest of the output is drained in
    the background so the server never blocks on a full pipe. A server that exits or
    stays silent past `timeout` is killed, and RuntimeError carries its last lines.
    """
    deadline = time.time() + timeout
    lines: list[str] = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(READY):
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return lines
    proc.kill()
    raise RuntimeError("the server did not start:\n" + "".join(lines[-30:]))


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ui(index_dir: Path, timeout: float = 240) -> tuple[subprocess.Popen, str]:
    """`python ui.py` over `index_dir` on a free port, as a user starts it; (process, its URL)."""
    port = free_port()
    cmd = [sys.executable, str(ROOT / "ui.py"), "--port", str(port), "--index-dir", str(index_dir)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wait_until_ready(proc, timeout)
    return proc, f"http://127.0.0.1:{port}"
