"""requirements.txt is what production installs: every package pinned, every hand-written requirement in it."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==[^\s;]+$")


def _names(path, *, pinned_only):
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = PIN.match(line)
        if pinned_only:
            assert match, f"{path.name}: {line!r} is not pinned with =="
        name = match.group(1) if match else re.split(r"[\[<>=~! ]", line, maxsplit=1)[0]
        names.add(name.lower().replace("_", "-").replace(".", "-"))
    return names


@pytest.mark.parametrize(
    "compiled,source", [("requirements.txt", "requirements.in"), ("requirements-dev.txt", "requirements-dev.in")]
)
def test_compiled_requirements_pin_everything_written_by_hand(compiled, source):
    pinned = _names(ROOT / compiled, pinned_only=True)
    missing = _names(ROOT / source, pinned_only=False) - pinned
    assert not missing, f"{source} names {sorted(missing)} that {compiled} does not pin: run `make requirements`"


def test_production_requirements_carry_what_kombu_needs_but_does_not_declare():
    assert "packaging" in _names(ROOT / "requirements.txt", pinned_only=True)
