"""Start a server process (`python ui.py`, `rag serve`) and wait until it says it is ready.

Shared by the API benchmark and the tests that drive the real server over HTTP.
"""

from __future__ import annotations

import subprocess
import threading
import time

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
