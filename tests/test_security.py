"""Secrets stay out of the repository, services bind to loopback, checkpoints run no code."""

from __future__ import annotations

import re
import subprocess

import pytest
import torch
import yaml
from helpers import REPO_ROOT

from mlops.datasets import TorchCheckpointDataset
from mlops.datasets.models import ModelFileError

# Shapes of real secrets: cloud keys, private keys, tokens and passwords set to a value.
SECRET_PATTERNS = {
    "AWS access key": re.compile(r"AKIA[0-9A-Z]{16}"),
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"gh[pousr]_[A-Za-z0-9]{36}"),
    "password value": re.compile(r"(?i)(password|passwd|secret|token)\s*[:=]\s*['\"][^'\"\s]{6,}"),
    "credentials in a URI": re.compile(r"://[^/\s:@]+:[^/\s@]+@"),
}


def _tracked_files():
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return [REPO_ROOT / name for name in listed.stdout.splitlines()]


def test_repository_tracks_no_secrets():
    found = []
    for path in _tracked_files():
        if not path.is_file() or path.suffix in {".png", ".db", ".pt"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [
            f"{path.name}: {kind}" for kind, rule in SECRET_PATTERNS.items() if rule.search(text)
        ]
    assert found == []


@pytest.mark.parametrize(
    "path", ["conf/local/credentials.yml", "conf/base/credentials.yml", "conf/local/mlflow.yml"]
)
def test_gitignore_covers_local_configuration(path):
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT, check=False)
    assert ignored.returncode == 0


def test_mlflow_config_binds_ui_to_loopback():
    config = yaml.safe_load((REPO_ROOT / "conf" / "base" / "mlflow.yml").read_text())

    assert config["ui"]["host"] == "127.0.0.1"
    assert config["server"]["credentials"] is None


class _RunsCodeWhenUnpickled:
    def __reduce__(self):
        return (print, ("code ran while loading the checkpoint",))


def test_torch_checkpoint_dataset_rejects_pickled_code(tmp_path, capsys):
    path = tmp_path / "efficientnet.pt"
    torch.save({"state_dict": {}, "payload": _RunsCodeWhenUnpickled()}, path)

    with pytest.raises(ModelFileError, match="weights_only=True"):
        TorchCheckpointDataset(filepath=str(path)).load()
    assert "code ran" not in capsys.readouterr().out
