"""The local engine: chunks of applications scored on a pool of threads, in input order.

The calling thread reads chunks (Parquet decoding and DuckDB release the GIL) and writes the
scored chunks in input order; a pool of one thread per core screens each chunk against the
contract, when asked, and scores it (NumPy and LightGBM release the GIL; LightGBM predicts
with one thread per chunk, so that chunks, not trees, share the cores). At most one chunk
per thread waits beyond those being scored: memory stays bounded whatever the file's size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from credit_scoring.batch.arrow_checks import ContractScreen, ScreenFlaggedError
from credit_scoring.batch.scoring import (
    ApplicationScorer,
    arrow_application_columns,
    client_ids,
)


def score_chunks(
    chunks: Iterable[pa.RecordBatch],
    scorer: ApplicationScorer,
    write: Callable[[pa.RecordBatch], None],
    *,
    workers: int,
    screen: ContractScreen | None = None,
) -> None:
    """Score every chunk on ``workers`` threads and ``write`` the results in input order.

    With a ``screen``, each chunk is screened before it is scored; the first flagged chunk
    raises :class:`ScreenFlaggedError` (chunks already written stay written: write to an
    atomic output).
    """

    def score(chunk: pa.RecordBatch) -> pa.RecordBatch:
        columns = arrow_application_columns(chunk)
        if screen is not None:
            flagged = screen.flagged_columns(chunk, columns)
            if flagged:
                raise ScreenFlaggedError(f"column(s) {', '.join(flagged)} may break the contract")
        return scorer.score_columns(client_ids(chunk), columns)

    pending: deque[Future[pa.RecordBatch]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="score-batch") as pool:
        try:
            for chunk in chunks:
                pending.append(pool.submit(score, chunk))
                while len(pending) > workers:
                    write(pending.popleft().result())
            while pending:
                write(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
