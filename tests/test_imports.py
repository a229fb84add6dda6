"""Every module imports cleanly in a fresh interpreter, in any order, without touching the world.

A child interpreter imports each module of the node with the node's own modules cleared from
`sys.modules` before each one, so a cycle shows up whichever module comes first. An audit hook
refuses network connections, name lookups, writes to the file system and new processes while
importing: importing a module must never do I/O (STYLE.md, "no I/O at import")."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.test_layering import PACKAGES, ROOT, import_targets, module_name

CHILD = r"""
import importlib, os, sys, tempfile, traceback

ROOT = os.getcwd()
NETWORK = {"socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
           "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg"}
PROCESSES = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
             "os.forkpty", "pty.spawn"}
FILE_CHANGES = {"os.mkdir", "os.remove", "os.rmdir", "os.rename", "os.truncate", "os.chmod",
                "os.chown", "os.link", "os.symlink", "shutil.rmtree", "shutil.copyfile",
                "shutil.move"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
offences = []


def writes(args):
    _path, mode, flags = (tuple(args) + (None, None, None))[:3]
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return True
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def where():
    frames = [f for f in traceback.extract_stack()[:-2] if f.filename.startswith(ROOT)]
    return " <- ".join(f"{os.path.relpath(f.filename, ROOT)}:{f.lineno}" for f in reversed(frames))


def hook(event, args):
    if event in NETWORK or event in PROCESSES or event in FILE_CHANGES or (
        event == "open" and writes(args)
    ):
        offences.append(f"{event}{tuple(args)!r} at {where() or 'a library'}")
        raise RuntimeError(f"I/O at import: {event}")


modules = sys.argv[1:]
ours = {name.split(".")[0] for name in modules}
# pgserver (imported by db.embedded) asks platformdirs for a runtime directory at import, which
# calls tempfile.gettempdir(); its first call in a process probes the temp directory by writing
# a throwaway file. That is the standard library filling a cache, done here before the hook.
tempfile.gettempdir()
# pyld (imported by federation.jsonld_compaction) imports requests, whose urllib3 probes for
# IPv6 support at import: `HAS_IPV6 = _has_ipv6("::1")` binds a throwaway socket to ::1 port 0
# and closes it, never connecting or resolving. Only that module is imported before the hook;
# every other bind, connect or lookup is still refused.
import urllib3.util.connection
sys.addaudithook(hook)
failures = []
for name in modules:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as error:
        failures.append(f"import {name} failed: {type(error).__name__}: {error}\n"
                        + "".join(traceback.format_exception(error)[-6:]))
for line in offences:
    print("I/O AT IMPORT:", line)
for line in failures:
    print("FAILED:", line)
print(f"imported {len(modules) - len(failures)} of {len(modules)} modules")
sys.exit(1 if offences or failures else 0)
"""


def node_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def import_in_fresh_interpreter(
    modules: list[str], *, extra_path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUKUN_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run(
        [sys.executable, "-B", "-W", "error", "-c", CHILD, *modules],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_module_imports_alone_without_io() -> None:
    modules = sorted(node_modules())
    result = import_in_fresh_interpreter(modules)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"imported {len(modules)} of {len(modules)} modules" in result.stdout


def test_the_child_reports_io_and_cycles(tmp_path: Path) -> None:
    # Given modules that do I/O at import, and two modules that import each other
    (tmp_path / "probe_io.py").write_text(
        "import socket, subprocess\n"
        "open(__file__ + '.log', 'a').close()\n"
        "subprocess.run(['true'])\n"
        "socket.create_connection(('127.0.0.1', 9))\n"
    )
    (tmp_path / "probe_cycle_a.py").write_text("from probe_cycle_b import B\nA = 1\n")
    (tmp_path / "probe_cycle_b.py").write_text("from probe_cycle_a import A\nB = 2\n")
    # When the child imports them
    result = import_in_fresh_interpreter(
        ["probe_io", "probe_cycle_a", "probe_cycle_b"], extra_path=tmp_path
    )
    # Then it fails, naming the offence and the cycle
    assert result.returncode == 1
    assert "I/O AT IMPORT: open(" in result.stdout
    assert "import probe_io failed: RuntimeError: I/O at import: open" in result.stdout
    assert "import probe_cycle_a failed: ImportError" in result.stdout
    assert "import probe_cycle_b failed: ImportError" in result.stdout
    assert not (tmp_path / "probe_io.py.log").exists()


def test_each_offence_is_blocked(tmp_path: Path) -> None:
    probes = {
        "probe_subprocess": "import subprocess\nsubprocess.run(['true'])\n",
        "probe_system": "import os\nos.system('true')\n",
        "probe_connect": "import socket\nsocket.create_connection(('127.0.0.1', 9))\n",
        "probe_mkdir": "import os\nos.mkdir(os.path.join(os.path.dirname(__file__), 'made'))\n",
    }
    for name, source in probes.items():
        (tmp_path / f"{name}.py").write_text(source)
    result = import_in_fresh_interpreter(sorted(probes), extra_path=tmp_path)
    assert result.returncode == 1
    for event in ("subprocess.Popen", "os.system", "socket.", "os.mkdir"):
        assert f"I/O AT IMPORT: {event}" in result.stdout, result.stdout
    assert not (tmp_path / "made").exists()
    assert "imported 0 of 4 modules" in result.stdout


def module_level_imports(path: Path, module: str) -> set[str]:
    """What a module imports when it is loaded (not what `if TYPE_CHECKING:` blocks name)."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"

    def visit(statements: list[ast.stmt]) -> None:
        for statement in statements:
            if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
                visit(statement.orelse)
            elif isinstance(statement, ast.Import | ast.ImportFrom):
                for _line, target in import_targets(statement, module, is_package):
                    found.add(target)
                    if isinstance(statement, ast.ImportFrom):
                        found.update(f"{target}.{alias.name}" for alias in statement.names)
            elif isinstance(statement, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(statement, block, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One example path for every cycle (strongly connected group) in the graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return groups


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        edges = set()
        for target in module_level_imports(path, module):
            parts = target.split(".")
            # `import a.b.c` runs a, a.b and a.b.c: each is an edge when it is one of ours.
            edges.update(".".join(parts[:n]) for n in range(1, len(parts) + 1))
        graph[module] = {edge for edge in edges if edge in modules and edge != module}
    return graph


def test_no_import_cycles() -> None:
    cycles = import_cycles(import_graph(node_modules()))
    assert not cycles, "modules that import each other (a cycle means the code is in the " + (
        "wrong room):\n" + "\n".join("  " + " ↔ ".join(group) for group in cycles)
    )


def test_a_cycle_is_found(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    files = {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg.b import B\n",
        "pkg/b.py": "from . import c\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.e import E\n"
        ),
        "pkg/e.py": "from pkg import d\n",
    }
    for name, source in files.items():
        (tmp_path / name).write_text(source)
    modules = {module_name(tmp_path / name, tmp_path): tmp_path / name for name in files}
    assert import_cycles(import_graph(modules)) == [["pkg.a", "pkg.b", "pkg.c"]]
