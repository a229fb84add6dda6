"""Where a request's time goes, two ways.

- `py-spy` (when installed in the venv) samples the running node during load: the frames it is
  in, grouped by library (asyncpg, aiohttp, the project's packages, the event loop).
- In-process: the real app (`web.app.create_app`) on a loopback TestServer with ONE pooled
  connection, a client thread sending requests one at a time, cProfile on the server's thread
  and asyncpg's query logger on the connection: queries per request with their time, and the
  CPU each layer (auth, the timeline query, status views, rendering, middleware) costs."""

from __future__ import annotations

import asyncio
import cProfile
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import orjson
from aiohttp.test_utils import TestServer
from asyncpg.connection import LoggedQuery
from harness import Target

from actors.site import Site
from db.pool import create_pool
from web.app import create_app
from web.config import WebConfig

# Functions whose cumulative cost says which layer the time goes to (file suffix, name).
LAYERS = (
    ("web/cors.py", "cors_middleware"),
    ("web/app.py", "security_headers_middleware"),
    ("web/errors.py", "error_middleware"),
    ("web/app.py", "database_middleware"),
    ("web/mastodon/timelines.py", "home"),
    ("web/mastodon/auth.py", "require_member"),
    ("actors/credentials.py", "authenticate_token"),
    ("web/mastodon/params.py", "read"),
    ("content/timelines.py", "home_timeline"),
    ("content/status_views.py", "load_status_views"),
    ("content/statuses.py", "get_statuses"),
    ("actors/profiles.py", "load_accounts"),
    ("web/mastodon/timelines.py", "statuses_page"),
    ("web/mastodon/entities/statuses.py", "render_status"),
    ("web/mastodon/entities/accounts.py", "render_account"),
    ("web/mastodon/responses.py", "json_response"),
    ("web/mastodon/paging.py", "with_link"),
    ("web/mastodon/statuses.py", "create"),
    ("outbox/posting.py", "do_post"),
    ("content/compose.py", "check_draft"),
    ("content/compose.py", "insert_status"),
    ("content/feeds.py", "fan_out"),
    ("web/mastodon/status_access.py", "render_one"),
)
PROJECT = ("node", "web", "inbox", "outbox", "content", "actors", "federation", "db")


def py_spy() -> Path | None:
    beside = Path(sys.executable).parent / "py-spy"
    found = beside if beside.exists() else shutil.which("py-spy")
    return Path(found) if found else None


def start_py_spy(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """Sample `pid` for `seconds` without pausing it; collapsed stacks go to `output`."""
    binary = py_spy()
    assert binary is not None
    return subprocess.Popen(
        [
            str(binary),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "250",
            "--nonblocking",
            "--format",
            "raw",
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>[^:()]*)(:\d+)?\)$")


def area(path: str) -> str:
    """Which library or project package a source file belongs to. py-spy names files relative
    to the import path: `asyncpg/connection.py`, `content/feeds.py`, `selectors.py`."""
    parts = Path(path).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    if not parts:
        return "other"
    if parts[0] in PROJECT:
        return f"rukun {parts[0]}/"
    if parts[0] == "asyncio" or parts[0] == "selectors.py":
        return "asyncio loop"
    return parts[0] if len(parts) > 1 else "python stdlib"


def summarise_py_spy(output: Path, seconds: float, rate: int = 250, top: int = 20) -> str:
    """Self samples by area and by function, and inclusive samples for the layers."""
    by_area: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in output.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        leaf = _FRAME.match(frames[-1])
        if leaf and leaf["name"].endswith("SocketTransport.write"):
            # send() on loopback wakes the reader (a PostgreSQL backend, the client); with
            # every core busy the kernel runs it at once and the node waits here for a CPU.
            by_area["socket send (waiting for a CPU)"] += count
        else:
            by_area[area(leaf["file"] if leaf else "")] += count
        by_leaf[frames[-1]] += count
        seen = set()
        for frame in frames:
            match = _FRAME.match(frame)
            if match is None:
                continue
            for suffix, name in LAYERS:
                key = f"{suffix}:{name}"
                if key not in seen and match["name"] == name and match["file"].endswith(suffix):
                    seen.add(key)
                    inclusive[key] += count
    if not total:
        return "py-spy recorded no samples"
    share = 100.0 / total
    busy = total / (rate * seconds) * 100.0
    lines = [
        f"py-spy: {total} samples of the node's busy thread over {seconds:.0f} s "
        f"({busy:.0f} % of the samples possible at {rate} Hz: the rest it was idle in epoll)",
        "  self time by area:",
    ]
    lines += [f"    {n * share:5.1f} %  {name}" for name, n in by_area.most_common()]
    lines.append("  inclusive time of the layers (nested, so they overlap):")
    lines += [
        f"    {inclusive[f'{s}:{n}'] * share:5.1f} %  {s}:{n}"
        for s, n in LAYERS
        if inclusive[f"{s}:{n}"]
    ]
    lines.append(f"  top {top} functions by self time:")
    lines += [f"    {n * share:5.1f} %  {frame}" for frame, n in by_leaf.most_common(top)]
    return "\n".join(lines)


@dataclass(eq=False)  # asyncpg keeps its loggers in a set: hashed by identity
class QueryLog:
    """asyncpg's query logger: calls and seconds per statement."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    examples: dict[str, tuple[str, tuple[object, ...]]] = field(default_factory=dict)

    def __call__(self, record: LoggedQuery) -> None:
        text = " ".join(record.query.split())
        self.calls[text] += 1
        self.seconds[text] += record.elapsed
        self.examples[text] = (record.query, tuple(record.args or ()))

    def clear(self) -> None:
        self.calls.clear()
        self.seconds.clear()
        self.examples.clear()


_EXPLAINABLE = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


async def server_times(
    conn: asyncpg.Connection, query: str, args: tuple[object, ...], rounds: int = 5
) -> tuple[float, float] | None:
    """PostgreSQL's own planning and execution milliseconds for one statement (the median of
    `rounds`), inside a transaction that is rolled back, so writes leave nothing behind."""
    if not _EXPLAINABLE.match(query) or ";" in query.strip().rstrip(";"):
        return None  # BEGIN, COMMIT, several statements (the pool's reset)
    planning, execution = [], []
    for _ in range(rounds):
        transaction = conn.transaction()
        await transaction.start()
        try:
            plan = await conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {query}", *args)
        except asyncpg.PostgresError:
            return None
        finally:
            await transaction.rollback()
        document = plan[0] if isinstance(plan, list) else orjson.loads(plan)[0]
        planning.append(document["Planning Time"])
        execution.append(document["Execution Time"])
    return statistics.median(planning), statistics.median(execution)


def _client_thread(base: str, target: Target, requests: int) -> float:
    async def run() -> float:
        async with aiohttp.ClientSession(base) as session:
            began = time.perf_counter()
            for _ in range(requests):
                async with session.request(
                    target.method, target.path, headers=target.headers, data=target.body
                ) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{target.path} answered {response.status}")
            return time.perf_counter() - began

    return asyncio.run(run())


def _short(text: str, width: int = 110) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _layer_lines(stats: pstats.Stats, requests: int) -> list[str]:
    table = stats.stats  # type: ignore[attr-defined]
    lines = []
    for suffix, name in LAYERS:
        for (file, _line, function), (_cc, _nc, _tt, cumulative, _callers) in table.items():
            if function == name and file.endswith(suffix):
                per_request = cumulative / requests * 1000
                lines.append(f"    {per_request:7.3f} ms  {suffix}:{name}")
                break
    return lines


async def profile_in_process(
    url: str, site: Site, target: Target, *, requests: int, warmup: int = 50, top: int = 25
) -> str:
    pool = await create_pool(url, min_size=1, max_size=1)
    log = QueryLog()
    async with pool.acquire() as conn:
        conn.add_query_logger(log)
    server = TestServer(create_app(WebConfig(site=site), pool), host="127.0.0.1")
    await server.start_server()
    loop = asyncio.get_running_loop()
    try:
        base = str(server.make_url(""))
        await loop.run_in_executor(None, _client_thread, base, target, warmup)
        log.clear()
        profiler = cProfile.Profile()
        profiler.enable()
        wall = await loop.run_in_executor(None, _client_thread, base, target, requests)
        profiler.disable()
        await server.close()
        async with pool.acquire() as conn:
            conn.remove_query_logger(log)
            explained = {
                text: await server_times(conn, *example) for text, example in log.examples.items()
            }
            plans = {
                " ".join(row["statement"].split()): (row["generic_plans"], row["custom_plans"])
                for row in await conn.fetch(
                    "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
                )
            }
    finally:
        await server.close()
        await pool.close()
    stats = pstats.Stats(profiler)
    query_total = sum(log.calls.values())
    db_seconds = sum(log.seconds.values())
    lines = [
        f"in-process, {target.method} {target.path}: {requests} sequential requests on one "
        "connection: "
        f"{wall / requests * 1000:.2f} ms each (client thread included), "
        f"{query_total / requests:.1f} queries per request, "
        f"{db_seconds / requests * 1000:.2f} ms of them waiting on PostgreSQL",
        "  queries: calls per request; mean round trip as the node saw it; PostgreSQL's own",
        "  planning + execution time (EXPLAIN ANALYZE, median of 5); how often the prepared",
        "  statement was planned afresh (custom) or ran its cached generic plan:",
    ]
    for text, calls in sorted(log.calls.items(), key=lambda kv: -log.seconds[kv[0]]):
        inside = explained.get(text)
        server_side = f"{inside[0]:6.3f} + {inside[1]:6.3f}" if inside else f"{'-':>15}"
        generic, custom = plans.get(text, (0, 0))
        lines.append(
            f"    {calls / requests:4.1f}  {log.seconds[text] / calls * 1000:6.3f} ms  "
            f"{server_side} ms  {custom:>4} custom {generic:>4} generic  {_short(text, 60)}"
        )
    lines.append("  server-thread CPU per request, cumulative, by layer (cProfile; nested):")
    lines += _layer_lines(stats, requests)
    lines.append(f"  top {top} functions by own time on the server thread (ms per request):")
    table = stats.stats  # type: ignore[attr-defined]
    ranked = sorted(table.items(), key=lambda kv: -kv[1][2])[:top]
    for (file, line, function), (_cc, calls, own, cumulative, _callers) in ranked:
        where = file if file.startswith("~") else f"{_tail(file)}:{line}"
        lines.append(
            f"    {own / requests * 1000:7.3f} own {cumulative / requests * 1000:7.3f} cum "
            f"{calls / requests:7.1f} calls  {function}  ({where})"
        )
    return "\n".join(lines)


def _tail(path: str) -> str:
    parts = Path(path).parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :])
    return "/".join(parts[-3:])
