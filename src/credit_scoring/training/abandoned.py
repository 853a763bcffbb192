"""MLflow runs left RUNNING by a killed ``train``: marked FAILED by the next training.

Every run ``train`` creates is tagged with the host and process id that created it
(:func:`owner_tags`); :func:`fail_abandoned_runs` finds the experiment's RUNNING runs whose
process is gone from this host and terminates them as FAILED, with a tag saying why.
"""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

HOST_TAG = "credit_scoring.host"
PID_TAG = "credit_scoring.pid"
REASON_TAG = "credit_scoring.failed_reason"


def owner_tags() -> dict[str, str]:
    """Tags naming this process as the run's creator."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_abandoned_runs(client: MlflowClient, experiment_id: str) -> list[str]:
    """Mark FAILED the RUNNING runs of ``experiment_id`` whose creating process (on this host)
    is gone; returns their ids. Runs of other hosts or live processes are left alone."""
    host = socket.gethostname()
    failed: list[str] = []
    runs = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")
    for run in runs:
        tags = run.data.tags
        pid = tags.get(PID_TAG, "")
        if tags.get(HOST_TAG) != host or not pid.isdigit():
            continue
        if int(pid) == os.getpid() or _alive(int(pid)):
            continue
        client.set_tag(
            run.info.run_id, REASON_TAG, f"process {pid} ended before the run was complete"
        )
        client.set_terminated(run.info.run_id, status="FAILED")
        failed.append(run.info.run_id)
    return failed
