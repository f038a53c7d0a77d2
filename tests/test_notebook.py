"""notebooks/champions.ipynb runs from top to bottom on the champions of a ci run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from helpers import REPO_ROOT, guarded_env, run_kedro
from nbclient import NotebookClient

NOTEBOOK = REPO_ROOT / "notebooks" / "champions.ipynb"


def test_notebook_committed_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code_cells
    assert all(cell.outputs == [] for cell in code_cells)
    assert all(cell.execution_count is None for cell in code_cells)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.fixture
def venv_kernel(tmp_path, monkeypatch):
    """Install the ``python3`` kernel of this interpreter in a temporary prefix only."""
    prefix = tmp_path / "jupyter"
    command = ["ipykernel", "install", "--prefix", str(prefix), "--name", "python3"]
    subprocess.run(
        [sys.executable, "-m", *command],
        check=True,
        capture_output=True,
    )
    kernels = prefix / "share" / "jupyter"
    monkeypatch.setenv("JUPYTER_PATH", str(kernels))
    return kernels / "kernels" / "python3"


@pytest.mark.slow
def test_notebook_runs_on_ci_champions(project, tmp_path, monkeypatch, venv_kernel):
    network_log = tmp_path / "network.log"
    trained = run_kedro(project, "--env", "ci")
    assert trained.returncode == 0, trained.stderr[-5000:]
    (project / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, project / "notebooks" / NOTEBOOK.name)
    for name, value in guarded_env(network_log, {"KEDRO_ENV": "ci"}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MPLBACKEND", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(project / "notebooks")}},
    ).execute()

    kernel_spec = json.loads((venv_kernel / "kernel.json").read_text())
    assert kernel_spec["argv"][0] == sys.executable
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert [output for output in outputs if output.output_type == "error"] == []
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) == 2
    text = "".join(output.get("text", "") for output in outputs)
    for model in ("xgboost", "yolo", "efficientnet"):
        assert f"{model}: champion is {model} version 1" in text
    assert not network_log.exists(), network_log.read_text()
