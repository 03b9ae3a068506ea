"""Benchmark: Terraform `for_each` over a set of N strings against a map of N, and `count = N`.

Runs `driftcheck check` offline (an empty --live directory) on one generated pipeline block per style
and prints the wall time of each and the set/map ratio. The goal: a set costs about what a map costs.

    python benchmarks/bench_terraform_expansion.py [--sizes 100,300,1000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STYLES = {
    "set": 'for_each = toset([for i in range({n}) : "app-${{i}}"])',
    "map": 'for_each = {{ for i in range({n}) : "app-${{i}}" => i }}',
    "count": "count = {n}",
}
BLOCK = '''resource "aws_imagebuilder_image_pipeline" "p" {{
  {meta}
  name                             = "bench-${{{key}}}"
  image_recipe_arn                 = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0"
  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/i"
}}
'''


def run(directory: Path, live: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from driftcheck.cli import main; main()", "check", str(directory), "--live", str(live),
         "--region", "us-east-1", "--format", "json", "--output", str(directory / "report.json")],
        check=False, capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'N':>6} {'set s':>8} {'map s':>8} {'count s':>8} {'set/map':>8}")
    with tempfile.TemporaryDirectory() as work:
        live = Path(work) / "live"
        live.mkdir()
        for n in sizes:
            times = {}
            for style, meta in STYLES.items():
                directory = Path(work) / f"{style}-{n}"
                directory.mkdir()
                key = "count.index" if style == "count" else "each.key"
                (directory / "main.tf").write_text(BLOCK.format(meta=meta.format(n=n), key=key))
                times[style] = run(directory, live)
            print(f"{n:>6} {times['set']:>8.2f} {times['map']:>8.2f} {times['count']:>8.2f} {times['set'] / times['map']:>8.2f}")


if __name__ == "__main__":
    main()
