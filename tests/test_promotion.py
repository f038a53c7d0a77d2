"""The promotion gate, aliases set by registration, and the registry table."""

from __future__ import annotations

import math
import subprocess
import sys

import mlflow
import pytest
from helpers import MODEL_PATHS, run_kedro, subprocess_env, write_xgboost_model

from mlops.datasets import XGBoostModelDataset
from mlops.registry import (
    PromotionConfigError,
    PromotionGate,
    decide_promotion,
    log_xgboost_model,
    register_model_file,
)
from mlops.registry.report import describe_models, format_table

GATE = PromotionGate(metric="xgboost.roc_auc", min_value=0.8, min_improvement=0.01)


@pytest.mark.parametrize(
    "case",
    [
        (GATE, 0.9, None, None, True, "first version with xgboost.roc_auc 0.9"),
        (GATE, 0.7, None, None, False, "misses the min 0.8"),
        (GATE, None, 0.9, 1, False, "has no xgboost.roc_auc metric"),
        (GATE, 0.95, 0.9, 1, True, "improvement 0.05, min 0.01"),
        (GATE, 0.905, 0.9, 1, False, "improvement 0.005, min 0.01"),
        (GATE, 0.95, None, 1, True, "champion version 1 has no xgboost.roc_auc"),
        (PromotionGate("xgboost.roc_auc", mode="force"), 0.1, 0.9, 1, True, "force set"),
        (PromotionGate("xgboost.roc_auc", mode="skip"), 0.99, 0.9, 1, False, "skip set"),
        (PromotionGate("xgboost.rmse", "minimize", 2.0, 0.1), 1.0, 1.5, 3, True, "improvement 0.5"),
        (PromotionGate("xgboost.rmse", "minimize", 2.0, 0.1), 2.5, None, None, False, "the max 2"),
    ],
)
def test_decide_promotion_cases(case):
    gate, challenger, champion, champion_version, promoted, reason = case

    decision = decide_promotion(gate, challenger, champion, champion_version)

    assert decision.promoted is promoted
    assert reason in decision.reason
    assert decision.tags["promotion"] == ("promoted" if promoted else "kept")
    assert decision.aliases == (["challenger", "champion"] if promoted else ["challenger"])


def test_promotion_gate_from_params_defaults():
    gate = PromotionGate.from_params("xgboost", {"metric": "xgboost.roc_auc"})

    assert gate.direction == "maximize"
    assert gate.min_value == -math.inf
    assert gate.mode == "auto"
    assert PromotionGate.from_params("xgboost", None) is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "registry.xgboost.promotion.metric is missing"),
        ({"metric": "m", "mode": "always"}, "mode is 'always'; expected one of"),
        ({"metric": "m", "direction": "up"}, "direction is 'up'"),
        ({"metric": "m", "min_improvement": -1}, "min_improvement is -1.0; it must be >= 0"),
    ],
)
def test_promotion_gate_from_params_invalid_raises(params, message):
    with pytest.raises(PromotionConfigError, match=message):
        PromotionGate.from_params("xgboost", params)


def _register(path, roc_auc):
    return register_model_file(
        XGBoostModelDataset(filepath=str(path)).load(),
        model_key="xgboost",
        registered_model_name="tabular",
        log_model=log_xgboost_model,
        metrics={"roc_auc": roc_auc},
        promotion=GATE,
    )


def test_register_outside_session_sets_aliases_at_once(project, tracking):
    path = project / MODEL_PATHS["xgboost"]
    write_xgboost_model(path)

    first = _register(path, 0.9)
    second = _register(path, 0.905)

    assert first.promotion.promoted
    assert not second.promotion.promoted
    assert tracking.get_model_version_by_alias("tabular", "champion").version == 1
    assert tracking.get_model_version_by_alias("tabular", "challenger").version == 2
    assert tracking.get_model_version("tabular", "2").tags["promotion.champion_value"] == "0.9"
    assert mlflow.active_run() is None


def test_describe_models_lists_aliases_and_values(project, tracking):
    path = project / MODEL_PATHS["xgboost"]
    write_xgboost_model(path)
    _register(path, 0.9)
    _register(path, 0.95)

    [row] = describe_models(tracking, {"tabular": "xgboost.roc_auc"})
    table = format_table([row])

    assert row["versions"] == "2"
    assert row["champion"] == "2"
    assert row["champion value"] == "0.95"
    assert row["promotion"] == "promoted"
    assert table.splitlines()[0].split()[:3] == ["model", "versions", "champion"]
    assert format_table([]) == "No registered models in this tracking store."


def test_kedro_models_command_prints_table(project, tracking):
    write_xgboost_model(project / MODEL_PATHS["xgboost"])
    assert run_kedro(project, "--pipeline", "registry").returncode == 0

    result = subprocess.run(
        [sys.executable, "-m", "kedro", "models"],
        cwd=project,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Tracking store: sqlite:///")
    [row] = [line for line in lines if line.startswith("xgboost ")]
    assert row.split()[:4] == ["xgboost", "1", "-", "1"]
