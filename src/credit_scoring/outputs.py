"""Where a command may write: output places it owns, never an input, never someone else's data.

Every ``--out`` (and publish target) goes through :func:`claim_output_dir` or
:func:`claim_output_file` before any work. An output place must be

* absent (its parent folder is created, and must be writable), or
* an empty folder (for a folder output), or
* a previous output of the *same* command, recognised by the marker that command writes
  (``manifest.json`` of ``data load``, ``feature_set.json`` of ``features build``, the
  ``score-batch`` header or Parquet key of a scored file);

and it may neither contain nor lie inside any input of the command. Anything else is refused
with a :class:`OutputPlaceError` that says what was found and how to proceed; nothing is
touched.

:func:`remove_stale_temporaries` removes what a killed run of the same command left beside its
output: the hidden ``.NAME.tmp-PID-*``, ``.NAME.old-PID-*`` and ``.NAME.scratch-PID-*`` folders
or files whose creating process ``PID`` is gone (:func:`temporary_prefix` names them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from credit_scoring.errors import CreditScoringError

#: Prefixes of the temporaries a command writes beside its output ``NAME`` (``.NAME.<kind>-``).
TEMPORARY_KINDS = ("tmp", "old", "scratch")
#: A temporary without a process id is stale when older than this (seconds).
STALE_AFTER_SECONDS = 3600.0


class OutputPlaceError(CreditScoringError):
    """The output place is not the command's to write (an input, someone else's data…)."""


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser())).resolve(strict=False)


def _overlap(out: Path, inputs: Sequence[Path], command: str) -> None:
    target = _resolved(out)
    for given in inputs:
        source = _resolved(given)
        if target == source:
            raise OutputPlaceError(
                f"{out} is also an input of `{command}` ({given}); writing there would destroy "
                "the input: choose another --out"
            )
        if source.is_relative_to(target):
            raise OutputPlaceError(
                f"{out} contains the input {given}; replacing it would destroy the input: "
                "choose an --out outside the input"
            )
        if target.is_relative_to(source) and source.is_dir():
            raise OutputPlaceError(
                f"{out} lies inside the input folder {given}; outputs are never written into an "
                "input: choose an --out outside it"
            )


def _writable_parent(out: Path) -> None:
    parent = _resolved(out).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputPlaceError(
            f"cannot create the folder {parent} for {out} ({exc.strerror or exc}); choose an "
            "--out in a writable folder"
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPlaceError(
            f"{parent} is not writable, so {out} cannot be written there; choose an --out in a "
            "writable folder"
        )
    probe = parent / f".{_resolved(out).name}.probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputPlaceError(
            f"cannot write into {parent} ({exc.strerror or exc}); choose an --out in a writable "
            "folder"
        ) from exc


def writable_dir(folder: Path, *, what: str) -> Path:
    """Create ``folder`` if needed and check that files can be written in it; raise
    :class:`OutputPlaceError` naming ``what`` (e.g. "the spool folder") otherwise."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputPlaceError(
            f"{what} {folder} is not writable ({exc.strerror or exc}); point it to a writable "
            "folder or fix its permissions"
        ) from exc
    return folder


def claim_output_dir(
    out_dir: Path, *, command: str, marker: str, inputs: Sequence[Path] = ()
) -> None:
    """Check that ``out_dir`` may receive the folder output of ``command``.

    ``marker`` is the file the command writes into every output folder; ``inputs`` are the
    files and folders it reads. Raises :class:`OutputPlaceError` otherwise.
    """
    out_dir = Path(out_dir)
    _overlap(out_dir, inputs, command)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise OutputPlaceError(
            f"{out_dir} exists and is not a folder; `{command}` writes a folder and replaces "
            "only an empty folder or one of its own earlier outputs: choose another --out, or "
            "remove it yourself if it may go"
        )
    if out_dir.is_dir():
        try:
            entries = [p.name for p in out_dir.iterdir()]
        except OSError as exc:
            raise OutputPlaceError(f"cannot read the folder {out_dir} ({exc})") from exc
        if entries and marker not in entries:
            shown = ", ".join(sorted(entries)[:3]) + (" …" if len(entries) > 3 else "")
            raise OutputPlaceError(
                f"{out_dir} is not empty ({shown}) and is not an earlier output of `{command}` "
                f"(no {marker} in it); it is replaced only when empty or written by "
                f"`{command}`: choose a new folder, or remove it yourself if it may go"
            )
    _writable_parent(out_dir)


def claim_output_file(
    out_path: Path,
    *,
    command: str,
    is_own: Callable[[Path], bool],
    inputs: Sequence[Path] = (),
) -> None:
    """Check that the file ``out_path`` may receive the output of ``command``.

    ``is_own`` recognises an earlier output of the command (its marker). Raises
    :class:`OutputPlaceError` otherwise.
    """
    out_path = Path(out_path)
    _overlap(out_path, inputs, command)
    if out_path.exists() or out_path.is_symlink():
        if out_path.is_dir() or out_path.is_symlink():
            raise OutputPlaceError(
                f"{out_path} exists and is not a regular file; choose another --out"
            )
        if not is_own(out_path):
            raise OutputPlaceError(
                f"{out_path} exists and is not an earlier output of `{command}`; it is replaced "
                f"only when `{command}` wrote it: choose a new file name, or remove it yourself "
                "if it may go"
            )
    _writable_parent(out_path)


def temporary_prefix(out: Path, kind: str) -> str:
    """``.NAME.KIND-PID-``: the name prefix of a temporary written beside output ``NAME``."""
    assert kind in TEMPORARY_KINDS
    return f".{Path(out).name}.{kind}-{os.getpid()}-"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _is_stale(entry: Path, prefix: str, now: float) -> bool:
    pid_text = entry.name[len(prefix) :].split("-", 1)[0]
    if pid_text.isdigit():
        return int(pid_text) != os.getpid() and not _process_alive(int(pid_text))
    return now - entry.lstat().st_mtime > STALE_AFTER_SECONDS


def remove_stale_temporaries(out: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporaries killed runs left beside ``out``; returns what was removed.

    A temporary is stale when the process named in it is gone (or, for one without a process
    id, when it is older than :data:`STALE_AFTER_SECONDS`): a concurrent run's are left alone.
    """
    out = Path(out)
    parent = out.parent
    if not parent.is_dir():
        return []
    current = time.time() if now is None else now
    removed: list[Path] = []
    for entry in parent.iterdir():
        prefix = next(
            (p for k in TEMPORARY_KINDS if entry.name.startswith(p := f".{out.name}.{k}-")), None
        )
        if prefix is None:
            continue
        with contextlib.suppress(OSError):
            if not _is_stale(entry, prefix, current):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed
