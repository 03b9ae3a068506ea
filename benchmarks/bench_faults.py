"""Fault benchmark: do AWS faults cost time, never pipelines? Prints figures; asserts nothing.

    python benchmarks/bench_faults.py                      # 500 pipelines, 20 seeds, both scenarios
    python benchmarks/bench_faults.py --pipelines 50 --seeds 2 --jobs 2     # quick variant

Each run is the real CLI (a subprocess, default options) with the real boto3 client over HTTP against the
loopback fake Image Builder. Half the declared pipelines carry their ARN, half are found by name (so the
listing is read under faults too), and a few live pipelines nothing declares are expected as unmanaged.
A pipeline is *correct* when its status is the true one: in_sync for each declared pipeline, unmanaged
for each stray one, each reported exactly once.

Scenarios:
  random    every request: 30 % throttled (CallRateLimitExceededException), 10 % 503; one seed per run
  inflight  every request arriving while 2 are in flight is throttled; --latency seconds per request
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_imagebuilder import FakeImageBuilder  # noqa: E402

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{}"
STRAYS = 5


def live(name: str) -> dict:
    return {"arn": ARN.format(name), "name": name, "status": "ENABLED", "tags": {"Team": "bench"},
            "imageRecipeArn": "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0"}


def write_declarations(path: Path, count: int) -> None:
    lines = ["driftcheck: pipelines/v1", "region: us-east-1", "pipelines:"]
    for i in range(count):
        name = f"bench-{i:05d}"
        lines.append(f"  - name: {name}")
        if i % 2:
            lines.append(f"    arn: {ARN.format(name)}")
        lines += ["    status: ENABLED", "    tags: {Team: bench}"]
    path.write_text("\n".join(lines) + "\n")


def run_once(scenario: str, seed: int, count: int, latency: float, workdir: Path) -> dict:
    declared = workdir / f"pipelines-{scenario}-{seed}.yaml"
    report = workdir / f"report-{scenario}-{seed}.json"
    write_declarations(declared, count)
    with FakeImageBuilder(page_size=25) as fake:
        for i in range(count):
            fake.add_pipeline(live(f"bench-{i:05d}"))
        for i in range(STRAYS):
            fake.add_pipeline(live(f"stray-{i}"))
        if scenario == "random":
            fake.randomly({"CallRateLimitExceededException": 0.3, "ServiceUnavailableException": 0.1}, seed=seed)
        else:
            fake.throttle_above(2)
        if latency:
            fake.delay(None, latency)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID="AKIAFAKEBENCH0000001", AWS_SECRET_ACCESS_KEY="bench-fake-secret",
                   AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE=str(workdir / "none"), AWS_SHARED_CREDENTIALS_FILE=str(workdir / "none"))
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", "from driftcheck.cli import main; main()", "check", str(declared),
             "--endpoint-url", fake.url, "--unmanaged", "--format", "json", "--output", str(report)],
            cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
        requests = len(fake.requests)
        throttled_peak = fake.max_in_flight
        faults = dict(fake.fault_counts)
    pipelines = json.loads(report.read_text())["pipelines"] if report.exists() else []
    expected = {f"bench-{i:05d}": "in_sync" for i in range(count)} | {f"stray-{i}": "unmanaged" for i in range(STRAYS)}
    seen: dict[str, list[str]] = {}
    for entry in pipelines:
        seen.setdefault(str(entry.get("name")), []).append(entry["status"])
    correct = sum(1 for name, status in expected.items() if seen.get(name) == [status])
    errors = sorted({e.get("error", "")[:120] for e in pipelines if e["status"] == "error"})
    return {"scenario": scenario, "seed": seed, "correct": correct, "total": len(expected), "wall": wall,
            "requests": requests, "faults": faults, "exit": done.returncode, "errors": errors, "peak_in_flight": throttled_peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", type=int, default=500)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--scenarios", default="random,inflight")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request (inflight and random)")
    parser.add_argument("--jobs", type=int, default=4, help="runs at once (each its own fake endpoint and CLI process)")
    args = parser.parse_args()
    runs = [(s, seed) for s in args.scenarios.split(",") for seed in (range(args.seeds) if s == "random" else range(1))]
    print(f"{args.pipelines} declared pipelines + {STRAYS} unmanaged; latency {args.latency:g} s; {args.jobs} runs at once")
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda r: run_once(r[0], r[1], args.pipelines, args.latency, Path(tmp)), runs))
    for result in results:
        print(f"{result['scenario']:8} seed {result['seed']:2}: {result['correct']}/{result['total']} correct, "
              f"{result['wall']:6.1f} s, {result['requests']} requests "
              f"({sum(result['faults'].values())} faulted), peak admitted in flight {result['peak_in_flight']}, exit {result['exit']}")
        for error in result["errors"][:3]:
            print(f"    error: {error}")
    for scenario in args.scenarios.split(","):
        mine = [r for r in results if r["scenario"] == scenario]
        if not mine:
            continue
        perfect = sum(r["correct"] == r["total"] for r in mine)
        walls = sorted(r["wall"] for r in mine)
        print(f"{scenario}: {perfect}/{len(mine)} runs with every pipeline correct; "
              f"{sum(r['correct'] for r in mine)}/{sum(r['total'] for r in mine)} pipelines correct; "
              f"wall min {walls[0]:.1f} s, median {walls[len(walls) // 2]:.1f} s, max {walls[-1]:.1f} s")


if __name__ == "__main__":
    main()
