"""FAISS inner-product search over normalised passage vectors; the index type follows the size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

# Exact search is cheap enough below this many vectors (a 384-d flat scan of 200k rows
# is ~10 ms on 2 cores); above it an approximate index keeps latency and memory bounded.
EXACT_LIMIT = 200_000
ADD_BATCH = 100_000  # rows added at a time, so a memory-mapped file can be let go as we go


def index_kind(n: int) -> str:
    """The FAISS factory string used for `n` vectors (eval/bench.py has the measurements).

    Above the exact limit: an inverted file with 8-bit scalar quantisation, a quarter of
    the memory of exact search. 4096 lists train in about a minute on 2 cores at 1M
    vectors; more lists only above 4M, where a list would otherwise grow past ~1000.

    >>> index_kind(5_000), index_kind(1_000_000), index_kind(8_000_000)
    ('Flat', 'IVF4096,SQ8', 'IVF16384,SQ8')
    """
    if n <= EXACT_LIMIT:
        return "Flat"
    return f"IVF{4096 if n <= 4_000_000 else 16384},SQ8"


def nprobe_for(kind: str) -> int:
    """Lists visited per query: a quarter of them.

    Measured at 1M vectors (IVF4096,SQ8): nprobe 256 gives recall@10 0.92 at 7 ms p95;
    recall keeps rising with nprobe while latency stays far below the 150 ms budget.
    """
    lists = int(kind[3:].split(",")[0])
    return lists // 4


class DenseIndex:
    """Holds one FAISS index over the rows of an embedding matrix."""

    def __init__(
        self, vectors: np.ndarray, kind: str | None = None, release: Callable[[], None] | None = None
    ):
        """Index the rows of `vectors`; `release`, when given, is called once the training
        sample is drawn and after each batch of rows is added (to drop a memory-mapped
        file's pages: 1.5 GB at a million rows)."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        self.kind = kind or index_kind(n)
        index = faiss.index_factory(dim, self.kind, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            rng = np.random.default_rng(0)
            rows = np.sort(rng.choice(n, size=min(n, 64 * index.nlist), replace=False))  # >= 39/list
            sample = vectors[rows]  # a copy: the file's pages it read can go before training
            if release is not None:
                release()
            index.train(sample)
            del sample  # 400 MB at a million rows, not needed while adding
        for at in range(0, n, ADD_BATCH):
            index.add(vectors[at : at + ADD_BATCH])
            if release is not None:
                release()
        if self.kind.startswith("IVF"):
            # Inverted lists grow by doubling while rows are added (a third more memory
            # at 1M rows); a copy through serialisation holds each list at its size.
            data = faiss.serialize_index(index)
            del index  # before the copy is made, not after
            index = faiss.deserialize_index(data)
            del data
            index.nprobe = nprobe_for(self.kind)
            index.make_direct_map()  # row -> list entry, for `similarity` (8 bytes a row)
        self.index = index
        self.size = n

    @classmethod
    def open(cls, path: Path, kind: str) -> DenseIndex:
        """A saved index (see `save`) memory-mapped read-only: no copy, no rebuild.

        FAISS's IO_FLAG_MMAP_IFC maps the codes of a flat index and the inverted lists of
        an IVF one straight from the file (faiss >= 1.10): open takes about a millisecond
        and searches at in-memory speed. IO_FLAG_MMAP (OnDiskInvertedLists) was measured
        too: twice as slow a search on IVF-SQ8, and it cannot map a flat index.

        Raises:
            ValueError: the file is damaged or not an index of `kind` (FAISS's reason given).
        """
        import faiss

        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        except RuntimeError as exc:  # FAISS reports a short or garbled file this way
            raise ValueError(f"{path}: {str(exc).strip().splitlines()[-1]}") from exc
        ivf = kind.startswith("IVF")
        if ivf != isinstance(index, faiss.IndexIVF) or not index.is_trained:
            raise ValueError(f"{path} does not hold a trained {kind} index")
        if ivf:
            if index.direct_map.type == faiss.DirectMap.NoMap:
                raise ValueError(f"{path}: the IVF index has no direct map (`similarity` needs it)")
            index.nprobe = nprobe_for(kind)
        self = cls.__new__(cls)
        self.index, self.kind, self.size = index, kind, int(index.ntotal)
        return self

    def save(self, path: Path) -> None:
        """Write the FAISS index (with its direct map, for IVF) to `path`."""
        import faiss

        faiss.write_index(self.index, str(path))

    def similarity(self, rows: list[int], query: np.ndarray) -> np.ndarray:
        """Inner product of `query` with the given rows, read from the index itself.

        Exact for a flat index, the quantised vectors' value above the exact limit (the
        same numbers `search` ranks by). Reading rows back from the index rather than
        from the memory-mapped vectors file keeps that file out of resident memory.
        """
        if not rows:
            return np.zeros(0, np.float32)
        stored = self.index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return stored @ np.asarray(query, dtype=np.float32)

    def search_batch(self, queries: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, inner product) per query vector, best first."""
        if self.size == 0:
            return [[] for _ in range(len(queries))]
        scores, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.size))
        return [
            [(int(r), float(s)) for r, s in zip(row, score) if r >= 0] for row, score in zip(rows, scores)
        ]
