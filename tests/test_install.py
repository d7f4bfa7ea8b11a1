"""The install files agree: pyproject.toml lists every package the library imports, the
tested pins in requirements.txt cover all of them, and environment.yml repeats those pins."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata

from audioscale.paths import REPO

LIB = REPO / "lib" / "audioscale"


def _name(requirement: str) -> str:
    """The normalized distribution name of a requirement line ('scikit-learn>=1.5' -> scikit_learn)."""
    return re.sub(r"[-_.]+", "_", re.match(r"[A-Za-z0-9_.\-]+", requirement.strip()).group(0)).lower()


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _pins(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#", 1)[0].strip().removeprefix("- ").strip()
        if line and not line.startswith("-"):
            assert "==" in line, f"not pinned: {line}"
            out[_name(line)] = line.split("==", 1)[1]
    return out


def requirements_pins() -> dict[str, str]:
    return _pins((REPO / "requirements.txt").read_text().splitlines())


def third_party_imports() -> set[str]:
    """Top-level modules imported anywhere under lib/audioscale, stdlib and the package itself left out."""
    found = set()
    for path in LIB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("audioscale", "__future__")}


def test_pyproject_lists_every_imported_package():
    project = _pyproject()
    declared = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    dists = metadata.packages_distributions()
    missing = {m: dists.get(m) for m in third_party_imports()
               if not any(_name(d) in declared for d in dists.get(m, [m]))}
    assert not missing, f"imported but not in pyproject.toml: {missing}"


def test_requirements_pin_every_declared_package():
    project = _pyproject()
    pins = requirements_pins()
    names = {_name(r) for r in project["dependencies"]}
    for extra, reqs in project["optional-dependencies"].items():
        names |= {_name(r) for r in reqs if not r.startswith("audioscale")}
    makefile = (REPO / "Makefile").read_text()
    whisper = next(r for r in project["dependencies"] if r.startswith("openai-whisper"))
    assert f"--no-deps {whisper}" in makefile  # the scorer: the same pin, installed without triton
    names.discard("openai_whisper")
    assert not names - set(pins), f"in pyproject.toml, not pinned in requirements.txt: {names - set(pins)}"
    assert "jupyter" not in pins  # the metapackage (a notebook server, ~115 MB) runs nothing here


def test_environment_yml_has_the_same_pins():
    lines = (REPO / "environment.yml").read_text().splitlines()
    pip = lines[lines.index("  - pip:") + 1:]
    assert _pins(pip) == requirements_pins()
