"""What the benchmarks share: `rukun serve` subprocesses on free loopback ports, bounded load
(an asyncio + aiohttp client, or wrk when installed) with p50/p99, and the node's memory.

Every node a bench starts goes through `Bench.start` and is stopped by its PID when the bench
ends, however it ends (an error, Ctrl-C, SIGTERM)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp

RUKUN = Path(sys.executable).parent / "rukun"
WRK = Path("/usr/bin/wrk")
LISTENING = re.compile(r"^Rukun (?P<domain>\S+) listening on (?P<url>\S+)$")
MEMBER_PASSWORD = "bench password 0123"
FAILURES: tuple[type[Exception], ...] = (RuntimeError, OSError, aiohttp.ClientError)


@dataclass
class Result:
    name: str
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    p50: float = float("nan")
    p99: float = float("nan")

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank in an ascending list."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    path: str
    headers: Mapping[str, str]
    method: str = "GET"
    body: bytes | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def resident_kib(pid: int, field_name: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field_name} not found for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after "(comm)", which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class NodeProcess:
    """One `rukun serve` subprocess; `stop()` ends it by its PID, always.

    The database is `database_url` when given, else `RUKUN_DATABASE_URL`, else an embedded
    PostgreSQL in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        log: IO[bytes],
        *,
        port: int | None = None,
        args: Sequence[str] = (),
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = dict(os.environ, RUKUN_LOG_LEVEL=os.environ.get("RUKUN_LOG_LEVEL", "WARNING"))
        self.env.update(env or {})
        if database_url:
            self.env["RUKUN_DATABASE_URL"] = database_url
        self.embedded = not self.env.get("RUKUN_DATABASE_URL")
        self.common = ["--data-dir", str(data_dir)] if self.embedded else []
        self.process = subprocess.Popen(
            [RUKUN, "serve", "--host", "127.0.0.1", "--port", str(self.port), *args, *self.common],
            stdout=subprocess.PIPE,
            stderr=log,
            env=self.env,
            cwd=data_dir,
        )
        self.domain = ""
        self.url = ""

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_listening(self, within: float = 120.0) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            line = self.process.stdout.readline().decode()
            if not line:
                raise RuntimeError(
                    f"rukun serve exited with {self.process.wait()} before listening"
                )
            match = LISTENING.match(line.strip())
            if match:
                self.domain, self.url = match["domain"], match["url"]
                return
        raise RuntimeError(f"rukun serve did not listen within {within:.0f} s")

    def add_member(self, name: str) -> None:
        """Create a member with the command line; an earlier run may have made it already."""
        result = subprocess.run(
            [
                RUKUN,
                "user",
                "add",
                name,
                "--role",
                "employee",
                "--password",
                MEMBER_PASSWORD,
                *self.common,
            ],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.data_dir,
            check=False,
        )
        if result.returncode != 0 and "already taken" not in result.stderr:
            raise RuntimeError(f"rukun user add failed: {result.stderr.strip()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.embedded:
            # A node killed before its clean exit leaves the embedded PostgreSQL it started.
            pid_file = self.data_dir / "postgres" / "postmaster.pid"
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        return self.process.returncode


class Bench:
    """A scratch directory with one log for every node started here; `run_bench` stops them."""

    def __init__(self, directory: Path, log: IO[bytes], log_path: Path) -> None:
        self.directory = directory
        self.log = log
        self.log_path = log_path
        self.nodes: list[NodeProcess] = []
        self.exit_codes: list[int] = []

    def spawn(
        self,
        *,
        port: int | None = None,
        args: Sequence[str] = (),
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> NodeProcess:
        """Start a node without waiting for it to listen."""
        node = NodeProcess(
            self.directory, self.log, port=port, args=args, database_url=database_url, env=env
        )
        self.nodes.append(node)
        return node

    def start(
        self,
        *,
        port: int | None = None,
        args: Sequence[str] = (),
        database_url: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> NodeProcess:
        node = self.spawn(port=port, args=args, database_url=database_url, env=env)
        node.wait_listening()
        return node

    def stop(self, node: NodeProcess) -> int:
        """Stop one node now; its exit code is the caller's to judge."""
        self.nodes.remove(node)
        return node.stop()

    def stop_all(self) -> None:
        """Stop every node still running; a non-zero exit fails the bench."""
        self.exit_codes += [node.stop() for node in self.nodes]
        self.nodes.clear()


def run_bench(
    body: Callable[[Bench], None],
    failures: tuple[type[Exception], ...] = FAILURES,
    prefix: str = "rukun-bench-",
) -> int:
    """Run `body` in a scratch directory; 1, with the end of the nodes' log, when it fails or a
    node it left running does not exit cleanly."""
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        directory = Path(scratch)
        log_path = directory / "node.log"
        failure = ""
        with log_path.open("wb") as log:
            bench = Bench(directory, log, log_path)
            try:
                body(bench)
            except failures as error:
                failure = str(error) or type(error).__name__
            finally:
                bench.stop_all()
        code = next((c for c in bench.exit_codes if c != 0), 0)
        if failure or code != 0:
            print(f"bench failed: {failure or f'rukun serve exited with {code}'}", file=sys.stderr)
            print("the node's log ends with:", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            return 1
    return 0


def main_guarded(run: Callable[[], int]) -> int:
    """Stopped by SIGTERM, unwind like Ctrl-C, so every node is still stopped by its PID."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run()
    except KeyboardInterrupt:
        return 130


async def load(
    urls: str | Sequence[str],
    target: Target,
    *,
    seconds: float,
    concurrency: int,
    cap: int,
) -> Result:
    """`concurrency` clients in a loop until `seconds` pass or `cap` requests are sent. With
    several base URLs (nodes on different ports) the clients are spread over them evenly."""
    bases = [urls] if isinstance(urls, str) else list(urls)
    result = Result(target.name)
    latencies: list[float] = []
    sent = 0
    deadline = time.perf_counter() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while sent < cap and time.perf_counter() < deadline:
            sent += 1
            started = time.perf_counter()
            try:
                async with session.request(
                    target.method, target.path, headers=target.headers, data=target.body
                ) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as error:
                status = type(error).__name__
            latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1

    timeout = aiohttp.ClientTimeout(total=30)
    sessions = [
        aiohttp.ClientSession(
            base,
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=timeout,
        )
        for base in bases
    ]
    try:
        began = time.perf_counter()
        await asyncio.gather(*(client(sessions[i % len(sessions)]) for i in range(concurrency)))
        result.seconds = time.perf_counter() - began
    finally:
        for session in sessions:
            await session.close()
    latencies.sort()
    result.p50, result.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return result


# wrk pads "1.32s " (seconds) with a trailing space.
_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_WRK_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_wrk(name: str, output: str) -> Result:
    """Read `wrk --latency` output: totals, non-2xx count, socket errors, 50 % and 99 %."""
    result = Result(name)
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", output)
    if done:
        result.seconds = float(done[2]) * _WRK_UNIT[done[3]]
    total = int(done[1]) if done else 0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(bad[1]) if bad else 0
    broken = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    result.statuses["2xx/3xx"] = total - non_2xx
    if non_2xx:
        result.statuses["non-2xx"] = non_2xx
    if broken and sum(map(int, broken.groups())):
        result.statuses["socket errors"] = sum(map(int, broken.groups()))
    for percent, value, unit in _WRK_LATENCY.findall(output):
        seconds = float(value) * _WRK_UNIT[unit]
        if percent == "50":
            result.p50 = seconds
        else:
            result.p99 = seconds
    return result


def wrk_command(
    base_url: str, target: Target, *, seconds: float, concurrency: int, threads: int
) -> list[str]:
    if target.method != "GET" or target.body is not None:
        raise ValueError("the wrk runner sends GET requests only")
    headers = [arg for name, value in target.headers.items() for arg in ("-H", f"{name}: {value}")]
    return [
        str(WRK),
        f"-t{min(threads, concurrency)}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",  # as the aiohttp client's; wrk's own 2 s would count slow answers as errors
        "--latency",
        *headers,
        base_url + target.path,
    ]


def load_with_wrk(
    base_url: str, target: Target, *, seconds: float, concurrency: int, threads: int
) -> Result:
    """The same load through wrk, which runs for a duration (so no request cap)."""
    command = wrk_command(
        base_url, target, seconds=seconds, concurrency=concurrency, threads=threads
    )
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(target.name, completed.stdout)


def report(result: Result, width: int = 10) -> str:
    breakdown = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    return (
        f"{result.name:<{width}} {result.requests:>8} {result.rate:>10.0f} "
        f"{result.p50 * 1000:>8.2f} {result.p99 * 1000:>8.2f} "
        f"{result.errors:>7}   {breakdown}"
    )


def report_header(width: int = 10) -> str:
    return (
        f"{'endpoint':<{width}} {'requests':>8} {'req/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}   statuses"
    )


async def warm_up(urls: str | Sequence[str], targets: Sequence[Target], rounds: int) -> None:
    for base in [urls] if isinstance(urls, str) else urls:
        async with aiohttp.ClientSession(base) as session:
            for _ in range(rounds):
                for target in targets:
                    async with session.request(
                        target.method, target.path, headers=target.headers, data=target.body
                    ) as response:
                        await response.read()
