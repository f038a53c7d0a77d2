"""Plot functions of the training pipeline and the XGBoost nodes that feed them."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog
from matplotlib import pyplot as plt

from mlops.datasets import XGBoostModelDataset
from mlops.pipelines.training.plots import (
    plot_feature_importance,
    plot_predicted_vs_actual,
    plot_roc_curve,
    plot_test_evaluation,
    plot_training_curves,
)
from mlops.pipelines.training.xgboost import (
    predict_test_rows,
    rank_feature_gains,
    split_table,
    train_xgboost,
)

CATALOG = Path(__file__).resolve().parents[1] / "conf" / "base" / "catalog.yml"

PARAMS = {
    "target": "y",
    "task": "classification",
    "test_size": 0.25,
    "seed": 0,
    "model": {"n_estimators": 10, "max_depth": 2},
}

HISTORY = {
    "train_loss": [2.1, 1.4, 0.9],
    "val_loss": [1.9, 1.2, 1.1],
    "val_top1": [0.3, 0.6, 0.7],
    "best_epoch": 3,
}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def table():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(120, 4))
    target = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int)
    return pd.DataFrame(features, columns=["a", "b", "c", "d"]).assign(y=target)


def _binary_predictions():
    rng = np.random.default_rng(1)
    expected = rng.integers(0, 2, 60)
    scores = np.clip(0.6 * expected + 0.5 * rng.random(60), 0, 1)
    return {
        "task": "classification",
        "expected": expected.tolist(),
        "predicted": (scores > 0.5).astype(int).tolist(),
        "class_labels": [0, 1],
        "probabilities": np.column_stack([1 - scores, scores]).tolist(),
    }


def _line_labels(axes):
    return [line.get_label() for line in axes.get_lines()]


def test_plots_use_agg_backend():
    plot_feature_importance({"a": 1.0})

    assert matplotlib.get_backend().lower() == "agg"


def test_plot_roc_curve_binary_draws_one_curve():
    figure = plot_roc_curve(_binary_predictions())

    [axes] = figure.axes
    labels = _line_labels(axes)
    assert len(labels) == 2
    assert labels[0].startswith("class 1 (AUC = ")
    assert labels[1] == "chance"
    assert axes.get_xlabel() == "False positive rate"
    assert axes.get_ylabel() == "True positive rate"
    assert axes.get_title() == "Test ROC curve (60 rows)"
    assert axes.get_legend() is not None


def test_plot_roc_curve_multiclass_per_class():
    rng = np.random.default_rng(2)
    expected = np.repeat([0, 1, 2], 10)
    probabilities = rng.dirichlet([1, 1, 1], size=30)
    predictions = {
        "expected": expected.tolist(),
        "class_labels": [0, 1, 2],
        "probabilities": probabilities.tolist(),
    }

    [axes] = plot_roc_curve(predictions).axes

    labels = _line_labels(axes)
    assert [label.split(" (")[0] for label in labels] == ["class 0", "class 1", "class 2", "chance"]


def test_plot_predicted_vs_actual_points_diagonal():
    predictions = {"task": "regression", "expected": [1.0, 2.0, 3.0], "predicted": [1.0, 2.0, 5.0]}

    [axes] = plot_predicted_vs_actual(predictions).axes

    [points] = axes.collections
    assert len(points.get_offsets()) == 3
    assert _line_labels(axes) == ["predicted = actual"]
    assert axes.get_xlabel() == "Actual value"
    assert axes.get_ylabel() == "Predicted value"
    assert "RMSE 1.155" in axes.get_title()


def test_plot_test_evaluation_classification_roc():
    figures = plot_test_evaluation(_binary_predictions())

    assert list(figures) == ["roc_curve.png"]


def test_plot_test_evaluation_regression_scatter():
    predictions = {"task": "regression", "expected": [1.0, 2.0], "predicted": [1.5, 2.5]}

    figures = plot_test_evaluation(predictions)

    assert list(figures) == ["predicted_vs_actual.png"]


def test_plot_feature_importance_top_n_largest():
    gains = {f"feature_{index}": float(index) for index in range(30)}

    [axes] = plot_feature_importance(gains, top_n=5).axes

    names = [label.get_text() for label in axes.get_yticklabels()]
    widths = [bar.get_width() for bar in axes.patches]
    assert names == ["feature_25", "feature_26", "feature_27", "feature_28", "feature_29"]
    assert widths == [25.0, 26.0, 27.0, 28.0, 29.0]
    assert axes.get_title() == "Top 5 of 30 features by gain"
    assert axes.get_xlabel() == "Average gain per split"


def test_plot_training_curves_draws_losses_and_top1():
    figure = plot_training_curves(HISTORY)

    loss_axes, top1_axes = figure.axes
    assert _line_labels(loss_axes) == ["train loss", "validation loss", "best epoch"]
    assert _line_labels(top1_axes) == ["validation top-1", "best epoch"]
    assert list(loss_axes.get_lines()[0].get_xdata()) == [1, 2, 3]
    assert list(top1_axes.get_lines()[0].get_ydata()) == [0.3, 0.6, 0.7]
    assert list(top1_axes.get_lines()[1].get_xdata()) == [3, 3]
    assert loss_axes.get_xlabel() == "Epoch"
    assert top1_axes.get_ylabel() == "Top-1 accuracy"
    assert loss_axes.get_legend() is not None


def test_plot_training_curves_single_epoch():
    history = {"train_loss": [2.0], "val_loss": [1.8], "val_top1": [0.4], "best_epoch": 1}

    loss_axes, _ = plot_training_curves(history).axes

    assert len(loss_axes.get_lines()[0].get_xdata()) == 1
    assert loss_axes.get_xlim() == (0.5, 1.5)
    assert [tick for tick in loss_axes.get_xticks() if 0.5 <= tick <= 1.5] == [1.0]


def test_predict_test_rows_classification(table):
    train, test = split_table(table, PARAMS)
    model, metrics = train_xgboost(train, test, PARAMS)

    predictions = predict_test_rows(model, test, PARAMS)

    assert predictions["task"] == "classification"
    assert predictions["expected"] == test["y"].tolist()
    assert predictions["class_labels"] == [0, 1]
    assert np.asarray(predictions["probabilities"]).shape == (len(test), 2)
    assert len(predictions["predicted"]) == len(test)
    accuracy = np.mean(np.asarray(predictions["predicted"]) == test["y"].to_numpy())
    assert accuracy == pytest.approx(metrics["accuracy"])


def test_predict_test_rows_reads_loaded_model_file(table, tmp_path):
    train, test = split_table(table, PARAMS)
    model, _ = train_xgboost(train, test, PARAMS)
    dataset = XGBoostModelDataset(filepath=str(tmp_path / "model.json"))
    dataset.save(model)

    from_file = predict_test_rows(dataset.load(), test, PARAMS)

    in_memory = predict_test_rows(model, test, PARAMS)
    assert np.allclose(from_file["probabilities"], in_memory["probabilities"])


def test_predict_test_rows_regression_no_probabilities(table):
    params = {**PARAMS, "task": "regression"}
    regression_table = table.assign(y=table["a"] * 2.0)
    train, test = split_table(regression_table, params)
    model, _ = train_xgboost(train, test, params)

    predictions = predict_test_rows(model, test, params)

    assert predictions["task"] == "regression"
    assert "probabilities" not in predictions
    assert len(predictions["predicted"]) == len(test)


def test_rank_feature_gains_largest_first(table):
    train, test = split_table(table, PARAMS)
    model, _ = train_xgboost(train, test, PARAMS)

    gains = rank_feature_gains(model)

    values = list(gains.values())
    assert values == sorted(values, reverse=True)
    assert next(iter(gains)) == "a"
    assert set(gains) <= {"a", "b", "c", "d"}


def _report_catalog(names):
    """Build the report entries of the project catalog, without their MLflow wrapper."""
    config = yaml.safe_load(CATALOG.read_text())
    return DataCatalog.from_config({name: config[name]["dataset"] for name in names})


def test_catalog_report_entries_write_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    catalog = _report_catalog(
        ["xgboost_test_evaluation", "xgboost_feature_importance", "efficientnet_training_curves"]
    )

    catalog.save("xgboost_test_evaluation", plot_test_evaluation(_binary_predictions()))
    catalog.save("xgboost_feature_importance", plot_feature_importance({"a": 2.0, "b": 1.0}))
    catalog.save("efficientnet_training_curves", plot_training_curves(HISTORY))

    reports = tmp_path / "data" / "08_reporting"
    for path in (
        reports / "xgboost" / "test_evaluation" / "roc_curve.png",
        reports / "xgboost" / "feature_importance.png",
        reports / "efficientnet" / "training_curves.png",
    ):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    assert plt.get_fignums() == []


def test_catalog_test_evaluation_replaces_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    catalog = _report_catalog(["xgboost_test_evaluation"])
    regression = {"task": "regression", "expected": [1.0, 2.0], "predicted": [1.5, 2.5]}

    catalog.save("xgboost_test_evaluation", plot_test_evaluation(_binary_predictions()))
    catalog.save("xgboost_test_evaluation", plot_test_evaluation(regression))

    folder = tmp_path / "data" / "08_reporting" / "xgboost" / "test_evaluation"
    assert sorted(path.name for path in folder.iterdir()) == ["predicted_vs_actual.png"]
