"""The command examples of README.md and docs/*.md, as the docs tests run them.

Every ``bash`` block is read line by line (comments dropped, continuations joined). A line
written as a synopsis is expanded into the commands it stands for: optional ``[…]`` parts are
kept, ``a|b`` takes ``a``, and ``cmd x | y`` (a choice of sub-commands) gives ``cmd x`` and
``cmd y``. Placeholders (``DATA_DIR``, ``<bundle>``, …) are replaced by paths of the demo
project the tests build. Each command then has a tier in :data:`RULES`: ``fast`` (the default
suite), ``slow`` (``make test-full``), or a reason it cannot run here. A command no rule knows
fails the catalogue test, so a new example is run or explained, never ignored.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC_FILES = ("README.md", *sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")))

FAST, SLOW = "fast", "slow"


@dataclass(frozen=True)
class Block:
    """One ``bash`` block: the file, the line of its opening fence, its text."""

    file: str
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Example:
    """One command of a block, expanded from its documented form."""

    block: Block
    documented: str
    command: str

    @property
    def tier(self) -> str:
        return tier_of(self.command)


def bash_blocks(files: tuple[str, ...] = DOC_FILES) -> list[Block]:
    blocks = []
    for name in files:
        text = (REPO / name).read_text()
        for match in re.finditer(r"^```bash\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL):
            line = text[: match.start()].count("\n") + 1
            blocks.append(Block(name, line, match.group(1)))
    return blocks


def logical_lines(text: str) -> list[str]:
    """Commands of a block: comments dropped, ``\\`` continuations and heredocs joined."""
    lines: list[str] = []
    pending = ""
    heredoc: str | None = None
    for raw in text.splitlines():
        if heredoc is not None:
            pending += "\n" + raw
            if raw.strip() == heredoc:
                lines.append(pending)
                pending, heredoc = "", None
            continue
        line = _strip_comment(raw).rstrip()
        if not line.strip() and not pending:
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        pending += line.strip()
        here = re.search(r"<<'?(\w+)'?", pending)
        if here:
            heredoc = here.group(1)
            continue
        lines.append(pending)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` inside quotes or a word is kept)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] == " "):
            return line[:i]
    return line


def expand(line: str) -> list[str]:
    """The commands a documented (synopsis) line stands for."""
    if "\n" in line:  # a heredoc: run as written
        return [line]
    line = re.sub(r"\[([^\[\]]*?) \| [^\[\]]*\]", r"\1", line)  # [A | B] → A
    line = re.sub(r"\[([^\[\]]*)\]", r"\1", line)  # [--opt X] → --opt X
    pieces = [p.strip() for p in re.split(r" \| ", line)]
    commands = []
    prefix = " ".join(pieces[0].split()[:2])
    for i, piece in enumerate(pieces):
        if i and not piece.startswith(prefix.split()[0]):
            piece = f"{prefix} {piece}"
        commands.append(_first_choices(piece))
    return commands


def _first_choices(command: str) -> str:
    """``--engine duckdb|spark`` → ``--engine duckdb`` (only inside one word)."""
    return re.sub(r"(?<![\s|])\|[^\s'\"]+", "", command)


def examples(blocks: list[Block] | None = None) -> list[Example]:
    found = []
    for block in blocks if blocks is not None else bash_blocks():
        for line in logical_lines(block.text):
            for command in expand(line):
                found.append(Example(block, line, command))
    return found


#: (pattern on the expanded command, tier or the reason it is not run here). First match wins.
RULES: tuple[tuple[str, str], ...] = (
    (r"^make demo$", SLOW),  # the new user's path: tests/docs/test_readme_demo.py
    (r"^make test$", "the test suite itself"),
    (r"^make up$", "needs a Docker daemon (compose.yaml is checked by tests/ops)"),
    (r"^make drills", "full length ~10 min; every drill runs in a short mode in tests/drills"),
    (r"^make data-sample$", FAST),
    (r"^(cat > \.env|docker compose)", "needs a Docker daemon (tests/ops validates compose.yaml)"),
    (r"^curl ", FAST),
    (r"--clients 307511", SLOW),  # full size
    (r"-n 50000 .*--format csv", SLOW),
    (r"--engine spark", SLOW),
    (r"--tune-trials", SLOW),  # Optuna trials, each a full cross-validation
    (r"^(CREDIT_SCORING_DATASET_DIR=\S+ )?\.venv/bin/(pytest|python) ", SLOW),
    (r"^export ", FAST),
    (r"^credit-scoring ", FAST),
)


def tier_of(command: str) -> str:
    for pattern, tier in RULES:
        if re.search(pattern, command):
            return tier
    raise LookupError(f"no rule for the documented command {command!r}")


@dataclass(frozen=True)
class Project:
    """The demo project the examples run in: ``root`` is the working directory, with the
    pipeline's output in ``root/artifacts`` as ``make demo`` leaves it."""

    root: Path
    bundle_name: str
    key: str
    key_id: str
    client_id: int
    api_port: int
    dataset_dir: Path
    sample_dir: Path

    def placeholders(self, counter: Iterator[int]) -> Mapping[str, str]:
        home = self.root / "artifacts"
        return {
            "SRC_DIR": str(home / "raw" / "synthetic"),
            "DATA_DIR": str(home / "data" / "synthetic"),
            "FEATURES_DIR": str(home / "features" / "synthetic"),
            "BUNDLE_DIR": str(home / "models" / self.bundle_name),
            "<bundle>": self.bundle_name,
            "URL": f"sqlite:///{home / 'serving.sqlite'}",
            "URI": "models:/credit-scoring@champion",
            "KEY_ID": self.key_id,
            "3f9a1c2b7d4e": self.key_id,
            "SK_ID_CURR": str(self.client_id),
            "100002": str(self.client_id),
            "VERSION": "1",
            "MIN": "0.2",
            "N": "2",
            "S": "7",
            "M": "300",
            "~/data/home-credit": str(self.dataset_dir),
            "127.0.0.1:8000": f"127.0.0.1:{self.api_port}",
        }


_OUTPUT_OPTIONS = ("--out", "-o")
#: A placeholder whose value depends on the option it follows.
_AFTER_OPTION = {("--clients", "N"): "1000", ("--port", "8000"): "{port}"}


def concrete(command: str, project: Project, counter: Iterator[int]) -> list[str]:
    """``command`` with its placeholders replaced, as an argument list. An output folder
    placeholder (after ``--out``/``-o``) becomes a fresh folder, so no example writes over
    the project's inputs."""
    values = project.placeholders(counter)
    if "\n" in command:
        return ["bash", "-c", command]
    words = shlex.split(command)
    out: list[str] = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ""
        if previous in _OUTPUT_OPTIONS and word in ("DATA_DIR", "FEATURES_DIR", "DIR"):
            out.append(str(project.root / f"out-{next(counter)}"))
            continue
        if word == "DIR":
            out.append(values["SRC_DIR"])
            continue
        if (previous, word) in _AFTER_OPTION:
            out.append(_AFTER_OPTION[previous, word].format(port=project.api_port))
            continue
        for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
            if re.fullmatch(r"[A-Z_]+", name):  # a whole word only (not inside MY_DATA_DIR)
                word = re.sub(rf"(?<![A-Za-z_]){name}(?![A-Za-z_])", value, word)
            else:
                word = word.replace(name, value)
        out.append(word)
    return out


#: Placeholder words the docs use (a concrete command must have none left).
PLACEHOLDER_WORDS = (
    "SRC_DIR", "DATA_DIR", "FEATURES_DIR", "BUNDLE_DIR", "DIR", "URL", "URI", "KEY_ID",
    "SK_ID_CURR", "VERSION", "MIN", "N", "S", "M", "<bundle>",
)  # fmt: skip


def leftover_placeholders(argv: list[str]) -> list[str]:
    """Placeholder words still in ``argv`` (environment assignments excepted)."""
    found = []
    for word in argv:
        if re.fullmatch(r"[A-Z_]+=.*", word):
            continue
        for name in PLACEHOLDER_WORDS:
            if re.search(rf"(?<![A-Za-z_<]){re.escape(name)}(?![A-Za-z_>])", word):
                found.append(name)
    return found
