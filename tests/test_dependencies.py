"""Everything app/ imports is installed by `make run` (the runtime dependencies), not only by
the test extras: a fresh machine must be able to start s11."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires

from packaging.requirements import Requirement

from app.config import PROJECT_ROOT


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """The runtime dependencies and everything they pull in, as distribution names."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    pending = [Requirement(text) for text in project["dependencies"]]
    seen: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = _normal(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        try:
            children = requires(requirement.name) or []
        except PackageNotFoundError:
            continue
        for text in children:
            child = Requirement(text)
            marker = child.marker
            if marker is None or any(
                marker.evaluate({"extra": extra}) for extra in (requirement.extras or {""})
            ):
                pending.append(child)
    return seen


def imported_top_level_modules() -> set[str]:
    modules = set()
    for path in (PROJECT_ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"app", "__future__"}


def test_every_module_the_app_imports_comes_from_a_runtime_dependency():
    installed = runtime_closure()
    owners = packages_distributions()
    missing = {
        module: owners.get(module, ["?"])
        for module in imported_top_level_modules()
        if not any(_normal(dist) in installed for dist in owners.get(module, []))
    }
    assert not missing, f"add to [project.dependencies]: {missing}"
