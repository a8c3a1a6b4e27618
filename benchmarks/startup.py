"""Benchmark: `cucm-lab serve` from a warm state directory until the management
API answers.

Not a test: ``make bench`` prints the figures. A first, cold run fills the
state directory's key pool and is left running until the pool is back at its
target; each warm run then starts a fresh process on that directory, times
it from ``exec`` to the first 200 from ``GET /labs``, and stays up until its
background refill has put back the keys its lab took, so every run starts
equally warm.

A warm install has its bytecode compiled: the servers get a bytecode cache
of their own in the scratch directory (``PYTHONPYCACHEPREFIX``), which the
cold run fills, whatever ``PYTHONDONTWRITEBYTECODE`` says in the caller's
environment. ``--no-bytecode-cache`` measures the environment as it is.

Target: under 2 s on a 2-core machine (issue 5, item 4).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.keypool import BITS, TARGET

#: The installed console script, as `make run` starts it.
COMMAND = [str(Path(sys.executable).with_name("cucm-lab"))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pooled(state: Path) -> int:
    path = state / "keys" / f"rsa-{BITS}.pem"
    return path.read_bytes().count(b"BEGIN") if path.exists() else 0


def run_once(
    state: Path, env: dict[str, str] | None = None, *, timeout: float = 120.0
) -> float:
    """Start a server on ``state``; wall seconds until its API answers."""
    port = _free_port()
    began = time.perf_counter()
    process = subprocess.Popen(
        [*COMMAND, "serve", "--state-dir", str(state), "--base-port", "0",
         "--mgmt-port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        answered = _wait_for_api(f"http://127.0.0.1:{port}/labs", began, timeout)
        # Leave the pool as warm as it was found for the next run.
        deadline = time.monotonic() + timeout
        while _pooled(state) < TARGET and time.monotonic() < deadline:
            time.sleep(0.2)
        return answered
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def _wait_for_api(url: str, began: float, timeout: float) -> float:
    while time.perf_counter() - began < timeout:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return time.perf_counter() - began
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--state-dir", type=Path, help="Keep the pool here (default: a temp dir)."
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="Run with the caller's environment as it is.",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="cucm-lab-bench-") as scratch:
        state = args.state_dir or Path(scratch) / "state"
        os.makedirs(state, exist_ok=True)
        env = None
        if not args.no_bytecode_cache:
            env = {
                k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"
            }
            env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        cold = run_once(state, env)
        print(f"cold start (pool of {_pooled(state)} keys after): {cold:.2f} s")
        warm = [run_once(state, env) for _ in range(args.runs)]
        print(
            f"warm start, {args.runs} runs: median {statistics.median(warm):.2f} s, "
            f"best {min(warm):.2f} s, worst {max(warm):.2f} s (target < 2 s)"
        )


if __name__ == "__main__":
    main()
