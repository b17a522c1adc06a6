"""Everything app/ imports is installed by `make run` (the runtime dependencies), not only by
the test extras: a fresh machine must be able to start s11. And nothing is declared for nothing:
every package pyproject.toml asks for is imported somewhere, or is listed here with why."""

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


# Packages s11 needs that no file of ours imports by name, and why each stays.
NOT_IMPORTED = {
    "gunicorn": "the production server the Dockerfile runs (`gunicorn -k uvicorn...`)",
    "python-multipart": "FastAPI's Form() and UploadFile parse request bodies through it",
    "defusedxml": "openpyxl parses workbook XML through it, safely, when it is installed",
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect, chosen by S11_DATABASE_URL",
    "itsdangerous": "Starlette's SessionMiddleware (app/main.py) signs the session cookie with it",
    "govuk-frontend-jinja": "the GOV.UK macros, loaded by name through Jinja's PackageLoader",
    "httpx2": "Starlette's TestClient imports it (plain httpx is its deprecated fallback)",
    "import-linter": "the `lint-imports` command; tests/test_architecture.py runs it",
    "ruff": "the `ruff` command of `make lint` and `make test`",
    "pytest-xdist": "pytest's `-n` option: `make test` spreads the suite over the cores with it",
    "moto": "the S3 server the tests start as a process (`python -m moto.server`, tests/conftest)",
}


def declared_distributions() -> set[str]:
    """Every distribution pyproject.toml asks for: the runtime ones and the test extras."""
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    texts = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        texts.extend(extra)
    return {_normal(Requirement(text).name) for text in texts}


def imported_anywhere() -> set[str]:
    """Top-level modules imported by the app, its tests, benchmarks and migrations."""
    modules = set()
    for folder in ("app", "tests", "bench", "migrations"):
        for path in (PROJECT_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return modules


def test_every_declared_package_is_imported_somewhere_or_says_why_not():
    owners = packages_distributions()  # import name -> the distributions that provide it
    provided_by: dict[str, set[str]] = {}
    for module, dists in owners.items():
        for dist in dists:
            provided_by.setdefault(_normal(dist), set()).add(module)
    imported = imported_anywhere()
    unused = {
        dist
        for dist in declared_distributions()
        if dist not in NOT_IMPORTED and not provided_by.get(dist, set()) & imported
    }
    assert not unused, (
        f"imported nowhere: drop them, or say why they stay in NOT_IMPORTED: {unused}"
    )
    stale = {dist for dist in NOT_IMPORTED if dist not in declared_distributions()}
    assert not stale, f"NOT_IMPORTED names packages pyproject.toml no longer asks for: {stale}"
