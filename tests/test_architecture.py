"""The architecture as a test: import-linter's contracts (pyproject.toml) hold, and a back-arrow breaks them."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]


def _lint_imports(cwd):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, env={"PYTHONPATH": str(cwd)}
    )


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(tree, module, line):
    path = tree / module
    path.write_text(line + "\n" + path.read_text())


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("zoom_integration/scheduling/meetings.py", "from zoom_integration import tasks", "only jobs imports tasks"),
        ("courses/services.py", "import zoom_integration.models", "Apps point one way"),
        ("zoom_integration/connection/client.py", "from zoom_integration import models", "no model"),
        ("zoom_integration/inbox/drain.py", "from zoom_integration.scheduling import meetings", "Layers inside"),
        ("zoom_simulator/services.py", "import zoom_integration.constants", "know nothing of each other"),
        ("zoom_integration/content/polls.py", "import requests", "Only the connection package speaks HTTP"),
    ],
)
def test_a_back_arrow_breaks_a_contract(tree_copy, module, line, contract):
    _add_import(tree_copy, module, line)
    result = _lint_imports(tree_copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split())
