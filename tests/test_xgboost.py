"""XGBoost split and training nodes on small in-memory tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops.datasets import XGBoostModelDataset
from mlops.pipelines.training.validation import TrainingConfigError
from mlops.pipelines.training.xgboost import split_table, train_xgboost

PARAMS = {
    "target": "y",
    "task": "regression",
    "test_size": 0.25,
    "seed": 0,
    "model": {"n_estimators": 20, "max_depth": 2},
}


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(80, 3))
    return pd.DataFrame(features, columns=["a", "b", "c"]).assign(y=features[:, 0] * 2.0)


def test_train_xgboost_regression_reports_rmse_r2(table, tmp_path):
    train, test = split_table(table, PARAMS)

    model, metrics = train_xgboost(train, test, PARAMS)

    assert (len(train), len(test)) == (60, 20)
    assert set(metrics) == {"rmse", "r2", "fit_seconds"}
    assert metrics["fit_seconds"] > 0
    assert metrics["r2"] > 0.5
    dataset = XGBoostModelDataset(filepath=str(tmp_path / "model.json"))
    dataset.save(model)
    assert type(dataset.load().model).__name__ == "XGBRegressor"


def test_split_table_is_reproducible(table):
    first, _ = split_table(table, PARAMS)
    second, _ = split_table(table, PARAMS)

    assert first.index.tolist() == second.index.tolist()


def test_split_table_unknown_target_raises(table):
    with pytest.raises(TrainingConfigError, match="xgboost.target is 'label'.*columns"):
        split_table(table, {**PARAMS, "target": "label"})


def test_split_table_unknown_task_raises(table):
    with pytest.raises(TrainingConfigError, match="xgboost.task is 'ranking'"):
        split_table(table, {**PARAMS, "task": "ranking"})
