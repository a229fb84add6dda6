"""Imports flow one way (DESIGN.md): `node → web → inbox → outbox → content → actors →
federation`, with `db` at the bottom beside `federation`, usable from `actors` upward.

Every module is parsed with `ast`, so an import hidden inside a function, a class or an
`if TYPE_CHECKING:` block counts as much as one at the top of the file."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("node", "web", "inbox", "outbox", "content", "actors", "federation")
PACKAGES = (*ORDER, "db")


def _allowed() -> dict[str, frozenset[str]]:
    """For each package, the packages it may import besides itself."""
    allowed = {
        package: frozenset(ORDER[index + 1 :])
        | ({"db"} if index <= ORDER.index("actors") else set())
        for index, package in enumerate(ORDER)
    }
    allowed["federation"] = frozenset()  # pure protocol code: no storage, nothing above
    allowed["db"] = frozenset()  # plain storage: knows nothing of federation or anything above
    return allowed


ALLOWED = _allowed()


@dataclass(frozen=True, slots=True)
class Violation:
    path: str
    line: int
    importer: str
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported} ({self.why})"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_targets(node: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Absolute names of what one AST node imports (nothing for other nodes)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield node.lineno, alias.name
    elif isinstance(node, ast.ImportFrom):
        if node.level == 0:
            yield node.lineno, node.module or ""
            return
        # A relative import counts from the module's package (the module itself for __init__).
        base = module.split(".") if is_package else module.split(".")[:-1]
        if node.level - 1 >= len(base):
            yield node.lineno, "." * node.level + (node.module or "")
            return
        anchor = base[: len(base) - (node.level - 1)]
        yield node.lineno, ".".join([*anchor, *([node.module] if node.module else [])])
    elif (
        isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "__import__")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
        )
    ):
        yield node.lineno, node.args[0].value


def check_source(
    source: str, module: str, path: str, *, is_package: bool = False
) -> list[Violation]:
    """Every import in `source` (module `module`) that breaks the layering."""
    importer = module.split(".", maxsplit=1)[0]
    violations = []
    for node in ast.walk(ast.parse(source, filename=path)):
        for line, target in import_targets(node, module, is_package):
            if target.startswith("."):
                why = "relative import beyond the top-level package"
                violations.append(Violation(path, line, module, target, why))
                continue
            imported = target.split(".")[0]
            if imported not in PACKAGES or imported == importer:
                continue  # stdlib, third-party, or the importer's own package
            if imported not in ALLOWED[importer]:
                why = (
                    f"{importer} may import only {', '.join(sorted(ALLOWED[importer])) or 'itself'}"
                )
                violations.append(Violation(path, line, module, target, why))
    return violations


def check_tree(root: Path = ROOT) -> list[Violation]:
    violations = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            violations += check_source(
                path.read_text(encoding="utf-8"),
                module_name(path, root),
                str(path.relative_to(root)),
                is_package=path.name == "__init__.py",
            )
    return violations


def nested_imports(source: str, path: str) -> list[str]:
    """Imports inside a function or class body: a cycle dodged instead of fixed (DESIGN.md)."""
    found = []
    for scope in ast.walk(ast.parse(source, filename=path)):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            found += [
                f"{path}:{node.lineno}: import inside {getattr(scope, 'name', 'lambda')}"
                for node in ast.walk(scope)
                if isinstance(node, ast.Import | ast.ImportFrom)
            ]
    return sorted(set(found))


def test_every_import_flows_downward() -> None:
    violations = check_tree()
    assert not violations, "upward imports (order: node → web → inbox → outbox → content → " + (
        "actors → federation, db beside federation, used from actors up):\n"
        + "\n".join(f"  {v}" for v in violations)
    )


def test_no_imports_inside_functions_or_classes() -> None:
    found = [
        line
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in nested_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "imports belong at the top of the module:\n" + "\n".join(found)


def test_a_nested_import_is_caught() -> None:
    source = "import json\n\ndef load():\n    from actors import keys\n\nclass C:\n    import os\n"
    assert nested_imports(source, "content/x.py") == [
        "content/x.py:4: import inside load",
        "content/x.py:7: import inside C",
    ]


def test_the_tree_has_modules_to_check() -> None:
    modules = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    assert len(modules) >= len(PACKAGES)
    assert (ROOT / "node" / "cli.py") in modules


def test_an_upward_import_is_caught() -> None:
    # Given a module in actors that reaches up into web
    source = "from web.app import create_app\n"
    # Then the checker names the file, the line and both ends
    [violation] = check_source(source, "actors.example", "actors/example.py")
    assert (violation.importer, violation.imported, violation.line) == (
        "actors.example",
        "web.app",
        1,
    )
    assert "actors/example.py:1: actors.example imports web.app" in str(violation)


def test_every_form_of_import_is_caught() -> None:
    source = """
import web
import content.statuses as statuses
from outbox import deliveries
from node.settings import Settings
import importlib

def later():
    from inbox.handlers import follow

class Hidden:
    import web.app

if TYPE_CHECKING:
    from content import timelines

importlib.import_module("web.keys")
__import__("node.cli")
"""
    found = [(v.line, v.imported) for v in check_source(source, "actors.x", "actors/x.py")]
    assert sorted(found) == [
        (2, "web"),
        (3, "content.statuses"),
        (4, "outbox"),
        (5, "node.settings"),
        (9, "inbox.handlers"),
        (12, "web.app"),
        (15, "content"),
        (17, "web.keys"),
        (18, "node.cli"),
    ]


def test_relative_imports_are_resolved() -> None:
    # `from .. import web` in actors/sub/mod.py is actors.web: its own package, allowed.
    assert check_source("from .. import web\n", "actors.sub.mod", "actors/sub/mod.py") == []
    # In actors/__init__.py, `.` is actors itself.
    assert (
        check_source(
            "from .accounts import Member\n", "actors", "actors/__init__.py", is_package=True
        )
        == []
    )
    [beyond] = check_source("from .. import web\n", "actors.mod", "actors/mod.py")
    assert beyond.why == "relative import beyond the top-level package"


def test_downward_sideways_and_foreign_imports_pass() -> None:
    source = (
        "import asyncio\nimport aiohttp.web\nfrom actors.accounts import Member\n"
        "from db.pool import connection\nfrom federation import signatures\n"
        "from web.keys import POOL\n"
    )
    assert check_source(source, "web.app", "web/app.py") == []
    assert check_source("from db.pool import connect\n", "actors.x", "actors/x.py") == []


def test_bottom_layers_stay_apart() -> None:
    [up] = check_source("from db.pool import connect\n", "federation.x", "federation/x.py")
    assert up.why == "federation may import only itself"
    [down] = check_source("import federation.signatures\n", "db.x", "db/x.py")
    assert down.imported == "federation.signatures"
    assert check_source("from actors import keys\n", "db.queue", "db/queue.py") != []
    # content may use db; federation may not use actors.
    assert check_source("from db import queue\n", "content.x", "content/x.py") == []
    assert check_source("from actors import keys\n", "federation.x", "federation/x.py") != []
