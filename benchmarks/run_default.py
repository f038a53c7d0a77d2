"""Measure the default `kedro run`: wall time, peak memory and model quality.

The script runs the project's pipelines on a fresh copy of its configuration in a
temporary folder, so the data and the SQLite store are new. It samples the resident
memory of the whole process tree every 0.2 s. Then it reads the final metrics from the
MLflow run and writes a Markdown report.

Usage:
    .venv/bin/python benchmarks/run_default.py [--env ci] [--output benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import mlflow
import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    "xgboost.roc_auc": (">=", 0.98),
    "yolo.map50": (">=", 0.85),
    "efficientnet.top1": (">=", 0.95),
}
PACKAGES = ("kedro", "kedro-mlflow", "mlflow", "torch", "ultralytics", "timm", "xgboost")


def copy_project(target: Path) -> None:
    """Copy what `kedro run` needs into ``target``: configuration and project metadata."""
    shutil.copytree(REPO_ROOT / "conf", target / "conf", ignore=shutil.ignore_patterns("local"))
    (target / "conf" / "local").mkdir()
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO_ROOT / name, target / name)
    (target / "src").mkdir()


def tree_rss(process: psutil.Process) -> int:
    """Return the resident memory, in bytes, of a process and all its children."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def run_and_measure(project: Path, env_name: str) -> tuple[float, int, int]:
    """Run `kedro run --env ENV` in ``project``; return wall seconds, peak bytes, exit code."""
    command = [sys.executable, "-m", "kedro", "run", "--env", env_name]
    started = time.perf_counter()
    with open(project / "kedro_run.log", "w", encoding="utf-8") as log:
        process = subprocess.Popen(command, cwd=project, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(watched))
            time.sleep(0.2)
    return time.perf_counter() - started, peak, process.returncode


def read_metrics(project: Path) -> dict[str, float]:
    """Return the metrics of the single run in the project's store."""
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("mlops")
    (run,) = client.search_runs([experiment.experiment_id])
    return run.data.metrics


def report(env_name: str, seconds: float, peak: int, metrics: dict[str, float]) -> str:
    """Return the Markdown report of one measured run."""
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    lines = [
        "# Benchmark: the default `kedro run`",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Command: `kedro run --env {env_name}` on a fresh copy (new data, new store)",
        f"- Machine: {platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB memory, no GPU used",
        f"- Python {platform.python_version()}; {versions}",
        "- Script: `benchmarks/run_default.py` (one run: the numbers vary by a few percent "
        "between runs and machines)",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| wall time | {seconds / 60:.1f} min | <= 10 min |",
        f"| peak memory (process tree RSS) | {peak / 2**30:.2f} GiB | <= 3 GiB |",
    ]
    for name, (operator, target) in TARGETS.items():
        value = metrics.get(name, float("nan"))
        lines.append(f"| {name} | {value:.4f} | {operator} {target} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="local", help="Kedro configuration environment")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "RESULTS.md")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlops-benchmark-") as folder:
        project = Path(folder)
        copy_project(project)
        seconds, peak, code = run_and_measure(project, arguments.env)
        if code != 0:
            sys.stderr.write((project / "kedro_run.log").read_text()[-5000:])
            return code
        text = report(arguments.env, seconds, peak, read_metrics(project))
    arguments.output.write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
