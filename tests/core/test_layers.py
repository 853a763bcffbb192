"""The API starts without the training stack: importing the app loads no training module and
none of the libraries only training needs (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

TRAINING_LIBRARIES = ("ibis", "fairlearn", "optuna", "sklearn", "matplotlib")

# LightGBM imports scikit-learn for its optional estimator API whenever it is installed, which
# the serving lock does not do: the child marks the training libraries as absent (an import
# of one raises ImportError), as in the API image, so an import of ours fails loudly.
_CHILD = (
    "import json, sys\n"
    "for name in {libraries!r}: sys.modules[name] = None\n"
    "import {module}\n"
    "print(json.dumps(sorted(n for n, m in sys.modules.items() if m is not None)))\n"
)


def _imported(module: str, *, block: bool = True) -> list[str]:
    """Every module loaded after ``import module`` in a fresh ``python -X importtime``."""
    code = _CHILD.format(libraries=TRAINING_LIBRARIES if block else (), module=module)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"importing {module} failed:\n{result.stderr[-3000:]}"
    names: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return names


def _training_modules(names: list[str]) -> list[str]:
    prefixes = (*TRAINING_LIBRARIES, "credit_scoring.training")
    return [n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)]


def test_the_api_loads_no_training_library() -> None:
    names = _imported("credit_scoring.serving.app")
    assert "credit_scoring.serving.app" in names
    assert "credit_scoring.runtime.bundle" in names
    assert _training_modules(names) == []


def test_the_check_sees_a_training_import() -> None:
    """The same check flags the training run, which does import them (the test can fail)."""
    names = _imported("credit_scoring.training.run", block=False)
    found = _training_modules(names)
    assert "credit_scoring.training.train" in found
    assert any(n.startswith("sklearn") for n in found)
