"""Where reads go: streaming read replicas in turn, the primary when none can answer.

A search's queries go to the replicas round-robin. A replica that cannot be reached (or
whose connection breaks) is skipped for `RETRY_AFTER` seconds and the query is asked
again of the next one, the primary last, so a replica going down never fails a query.
A replica that lags (it has not yet applied a write the primary had committed `MAX_LAG`
seconds ago; checked once a `CHECK_EVERY` by comparing index generations) is skipped
until it catches up: it would answer, but from an older index. Writes always go to the primary (rag.search.postgres).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rag.errors import IndexNotFoundError

RETRY_AFTER = 5.0  # seconds a replica that failed is left alone
MAX_LAG = 2.0  # seconds a replica may stay behind the primary's generation and still serve
CHECK_EVERY = 1.0  # seconds between two lag checks
T = TypeVar("T")


class Readers:
    """The servers a process reads from: `replicas` (URLs) and the `primary`."""

    def __init__(self, primary: str, replicas: list[str], connect: Callable[[str], object]):
        self.primary = primary
        self.connect = connect  # url -> a new connection (the backend's, with its settings)
        self.replicas = replicas
        self.served: Counter[str] = Counter()  # queries answered per URL (eval/pgbench.py reads it)
        self.fallbacks = 0  # queries asked again elsewhere after a failure
        self._local = threading.local()
        self._turn = itertools.count()
        self._down: dict[str, float] = {}  # url -> when it failed
        self._lagging: set[str] = set()
        self._history: deque[tuple[float, int]] = deque()  # (when, the primary's generation then)
        self._checked = 0.0
        self._primary_until = 0.0
        self._lock = threading.Lock()
        self._checking = threading.Lock()

    def _connection(self, url: str):
        conns = self._local.__dict__.setdefault("conns", {})
        conn = conns.get(url)
        if conn is None or conn.closed or conn.broken:
            conn = conns[url] = self.connect(url)
        return conn

    @contextmanager
    def primary_only(self) -> Iterator[None]:
        """Reads of this thread go to the primary in this block (a writer deciding what to write)."""
        pinned = getattr(self._local, "pinned", 0)
        self._local.pinned = pinned + 1
        try:
            yield
        finally:
            self._local.pinned = pinned

    def wrote(self) -> None:
        """This process just committed: read from the primary for MAX_LAG seconds, so that
        what it wrote is seen at once (replicas apply it a moment later)."""
        self._primary_until = time.monotonic() + MAX_LAG

    def order(self) -> list[str]:
        """The URLs to try for the next query, in order: usable replicas in turn, then the primary."""
        now = time.monotonic()
        if getattr(self._local, "pinned", 0) or now < self._primary_until:
            return [self.primary]
        if self.replicas and now - self._checked > CHECK_EVERY and self._checking.acquire(blocking=False):
            try:  # one thread checks; the others go on with what the last check found
                self._check_lag(now)
            finally:
                self._checking.release()
        with self._lock:
            usable = [
                u for u in self.replicas
                if now - self._down.get(u, -1e9) > RETRY_AFTER and u not in self._lagging
            ]  # fmt: skip
        if usable:
            turn = next(self._turn) % len(usable)
            usable = usable[turn:] + usable[:turn]
        return usable + [self.primary]

    def run(self, query: Callable[[object], T]) -> T:
        """`query(connection)` on the first server of `order()` that answers."""
        import psycopg

        last: Exception | None = None
        for url in self.order():
            try:
                result = query(self._connection(url))
            except (psycopg.OperationalError, IndexNotFoundError) as exc:
                last = exc
                self._fail(url)
                continue
            self.served[url] += 1
            return result
        raise IndexNotFoundError(f"no server of the index answered (primary and replicas): {last}") from last

    def connection(self):
        """A live connection to the first server of `order()` that answers (a snapshot's)."""
        return self.run(lambda conn: (conn.execute("SELECT 1"), conn)[1])

    def _fail(self, url: str) -> None:
        with self._lock:
            self._down[url] = time.monotonic()
            self.fallbacks += 1
        conn = self._local.__dict__.get("conns", {}).pop(url, None)
        if conn is not None:
            conn.close()

    def _check_lag(self, now: float) -> None:
        """Read the index generation of the primary and of each replica; note who is behind."""
        import psycopg

        self._checked = now
        sql = "SELECT generation FROM rag_stats"
        try:
            head = self._connection(self.primary).execute(sql).fetchone()[0]
        except (psycopg.Error, IndexNotFoundError):
            return  # the primary is away: replicas serve what they hold
        # The generation the primary had MAX_LAG seconds ago: a replica still below it lags.
        self._history.append((now, head))
        while len(self._history) > 1 and self._history[1][0] <= now - MAX_LAG:
            self._history.popleft()
        due = self._history[0][1] if self._history[0][0] <= now - MAX_LAG else 0
        for url in self.replicas:
            if now - self._down.get(url, -1e9) <= RETRY_AFTER:
                continue
            try:
                gen = self._connection(url).execute(sql).fetchone()[0]
            except (psycopg.Error, IndexNotFoundError):
                self._fail(url)
                continue
            with self._lock:
                if gen < due:
                    self._lagging.add(url)
                else:
                    self._lagging.discard(url)

    def close(self) -> None:
        for conn in self._local.__dict__.get("conns", {}).values():
            conn.close()
        self._local.__dict__["conns"] = {}
