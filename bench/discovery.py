"""Discovery under load: how fast a node answers WebFinger and actor fetches, and how much
memory it holds at rest.

Starts a real node (`rukun serve` on a free loopback port; PostgreSQL from `RUKUN_DATABASE_URL`,
else an embedded one in a temporary directory), creates a member with the command line, then
drives bounded concurrent load against

    GET /.well-known/webfinger?resource=acct:NAME@DOMAIN
    GET /users/NAME   (Accept: application/activity+json)

and prints requests/s, p50/p99 latency and errors for each, plus the node's idle resident memory
after warm-up. Uses `wrk` when /usr/bin/wrk exists, else an asyncio + aiohttp client.

    .venv/bin/python bench/discovery.py [--duration 10] [--concurrency 50] [--max-requests N]
"""

from __future__ import annotations

import argparse
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp

RUKUN = Path(sys.executable).parent / "rukun"
WRK = Path("/usr/bin/wrk")
ACTIVITY_JSON = "application/activity+json"
LISTENING = re.compile(r"^Rukun (?P<domain>\S+) listening on (?P<url>\S+)$")
MEMBER_PASSWORD = "bench password 0123"


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


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank in an ascending list."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    path: str
    headers: dict[str, str]


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


class NodeProcess:
    """One `rukun serve` subprocess; `stop()` ends it by its PID, always."""

    def __init__(self, data_dir: Path, log: IO[bytes]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = dict(os.environ, RUKUN_LOG_LEVEL=os.environ.get("RUKUN_LOG_LEVEL", "WARNING"))
        self.common = [] if os.environ.get("RUKUN_DATABASE_URL") else ["--data-dir", str(data_dir)]
        self.process = subprocess.Popen(
            [RUKUN, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.common],
            stdout=subprocess.PIPE,
            stderr=log,
            env=self.env,
            cwd=data_dir,
        )
        self.domain = ""
        self.url = ""

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
        """Create the member the load asks for; an earlier run may have made it already."""
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
        # A node killed before its clean exit leaves the embedded PostgreSQL it started running.
        pid_file = self.data_dir / "postgres" / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)
        return self.process.returncode


async def load(
    base_url: str, target: Target, *, seconds: float, concurrency: int, cap: int
) -> Result:
    """`concurrency` clients in a loop until `seconds` pass or `cap` requests are sent."""
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
                async with session.get(target.path, headers=target.headers) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as error:
                status = type(error).__name__
            latencies.append(time.perf_counter() - started)
            result.statuses[status] += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as session:
        began = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - began
    latencies.sort()
    result.p50, result.p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    return result


_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", re.MULTILINE)
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


def load_with_wrk(
    base_url: str, target: Target, *, seconds: float, concurrency: int, threads: int
) -> Result:
    """The same load through wrk, which runs for a duration (so no request cap)."""
    headers = [arg for name, value in target.headers.items() for arg in ("-H", f"{name}: {value}")]
    command = [
        str(WRK),
        f"-t{min(threads, concurrency)}",
        f"-c{concurrency}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        *headers,
        base_url + target.path,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(target.name, completed.stdout)


def report(result: Result) -> str:
    breakdown = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    rate = result.requests / result.seconds if result.seconds else 0.0
    return (
        f"{result.name:<10} {result.requests:>8} {rate:>10.0f} "
        f"{result.p50 * 1000:>8.2f} {result.p99 * 1000:>8.2f} "
        f"{result.errors:>7}   {breakdown}"
    )


async def warm_up(base_url: str, targets: list[Target], rounds: int) -> None:
    async with aiohttp.ClientSession(base_url) as session:
        for _ in range(rounds):
            for target in targets:
                async with session.get(target.path, headers=target.headers) as response:
                    await response.read()


def measure(node: NodeProcess, args: argparse.Namespace, use_wrk: bool) -> None:
    node.add_member(args.name)
    targets = [
        Target(
            "webfinger",
            f"/.well-known/webfinger?resource=acct:{args.name}@{node.domain}",
            {"Accept": "application/jrd+json"},
        ),
        Target("actor", f"/users/{args.name}", {"Accept": ACTIVITY_JSON}),
    ]
    asyncio.run(warm_up(node.url, targets, args.warmup))
    idle_kib = resident_kib(node.process.pid)
    print(f"node {node.url} (domain {node.domain}), pid {node.process.pid}")
    print(
        f"load: {args.concurrency} concurrent for {args.duration:g} s per endpoint"
        + ("" if use_wrk else f", at most {args.max_requests} requests")
        + f", client {'wrk' if use_wrk else 'aiohttp'}"
    )
    print(f"idle RSS after warm-up: {idle_kib / 1024:.1f} MiB")
    print(
        f"{'endpoint':<10} {'requests':>8} {'req/s':>10} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}   statuses"
    )
    for target in targets:
        if use_wrk:
            result = load_with_wrk(
                node.url,
                target,
                seconds=args.duration,
                concurrency=args.concurrency,
                threads=os.cpu_count() or 2,
            )
        else:
            result = asyncio.run(
                load(
                    node.url,
                    target,
                    seconds=args.duration,
                    concurrency=args.concurrency,
                    cap=args.max_requests,
                )
            )
        print(report(result), flush=True)
    peak_kib = resident_kib(node.process.pid, "VmHWM")
    print(f"peak RSS (since start): {peak_kib / 1024:.1f} MiB")


def run(args: argparse.Namespace) -> int:
    use_wrk = WRK.exists() and not args.no_wrk
    with tempfile.TemporaryDirectory(prefix="rukun-bench-") as scratch:
        data_dir = Path(scratch)
        log_path = data_dir / "node.log"
        failure = ""
        with log_path.open("wb") as log:
            node = NodeProcess(data_dir, log)
            try:
                node.wait_listening()
                measure(node, args, use_wrk)
            except (RuntimeError, OSError, aiohttp.ClientError) as error:
                failure = str(error)
            finally:
                code = node.stop()
        if failure or code != 0:
            print(f"bench failed: {failure or f'rukun serve exited with {code}'}", file=sys.stderr)
            print("the node's log ends with:", file=sys.stderr)
            print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="hard cap per endpoint (aiohttp client)"
    )
    parser.add_argument("--warmup", type=int, default=200, help="warm-up rounds before measuring")
    parser.add_argument("--name", default="bench", help="the member looked up")
    parser.add_argument("--no-wrk", action="store_true", help="use the aiohttp client")
    args = parser.parse_args()
    # Stopped by SIGTERM, unwind like Ctrl-C so the node is still stopped by its PID.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not RUKUN.exists():
        parser.error(f"{RUKUN} not found: run with the checkout's .venv/bin/python")
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
