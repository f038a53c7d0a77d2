"""XGBoost on a table: split, fit and evaluate on the held-out split."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from mlops.pipelines.training.validation.config import check_xgboost_params
from mlops.pipelines.training.validation.errors import raise_data_problems
from mlops.pipelines.training.validation.table import (
    check_target_column,
    encode_text_columns,
    split_class_problems,
)

logger = logging.getLogger(__name__)

SPLIT_FIX = "Add rows of the classes listed, or change xgboost.test_size, then run again."


def split_table(table: pd.DataFrame, params: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the table into train and held-out test rows with a fixed seed.

    Classification splits are stratified on the target, so both splits keep its class mix.

    Args:
        table: The validated table, with the target column named by ``params["target"]``.
        params: ``xgboost`` parameters: ``target``, ``task``, ``test_size``, ``seed``.

    Returns:
        The train rows and the test rows.

    Raises:
        TrainingConfigError: If a parameter is invalid or the target column is missing.
        DataValidationError: If a class has no rows in the train or the test split.
    """
    check_xgboost_params(params)
    check_target_column(table, params)
    classification = params["task"] == "classification"
    train, test = train_test_split(
        table,
        test_size=params["test_size"],
        random_state=params["seed"],
        stratify=table[params["target"]] if classification else None,
    )
    if classification:
        raise_data_problems(
            "Split of the table", split_class_problems(train, test, params), SPLIT_FIX
        )
    logger.info("Split %d rows into %d train and %d test rows", len(table), len(train), len(test))
    return train, test


def _features_and_target(table: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return table.drop(columns=[target]), table[target]


def _estimator_arguments(features: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    arguments = {**params["model"], "random_state": params["seed"]}
    if any(isinstance(dtype, pd.CategoricalDtype) for dtype in features.dtypes):
        arguments["enable_categorical"] = True
    return arguments


def train_xgboost(
    train: pd.DataFrame, test: pd.DataFrame, params: dict[str, Any]
) -> tuple[Any, dict[str, float]]:
    """Fit an XGBoost model on the train rows and evaluate it on the test rows.

    Text columns become ``category`` columns when ``text_columns`` is ``category``, and the
    estimator then trains with ``enable_categorical=True``.

    Args:
        train: Train rows, features and target.
        test: Held-out rows, features and target.
        params: ``xgboost`` parameters; ``model`` contains the estimator's arguments.

    Returns:
        The fitted estimator and its metrics: ``roc_auc`` and ``accuracy`` on the test
        rows for classification, ``rmse`` and ``r2`` for regression, and the
        ``fit_seconds`` that ``fit`` took.
    """
    from xgboost import XGBClassifier, XGBRegressor

    check_xgboost_params(params)
    check_target_column(train, params)
    features, target = _features_and_target(encode_text_columns(train, params), params["target"])
    estimator_class = XGBClassifier if params["task"] == "classification" else XGBRegressor
    model = estimator_class(**_estimator_arguments(features, params))
    started = time.perf_counter()
    model.fit(features, target)
    fit_seconds = time.perf_counter() - started

    test_features, test_target = _features_and_target(
        encode_text_columns(test, params), params["target"]
    )
    if params["task"] == "classification":
        metrics = _classification_metrics(model, test_features, test_target)
    else:
        metrics = _regression_metrics(model, test_features, test_target)
    logger.info("XGBoost test metrics: %s", ", ".join(f"{k}={v:.4f}" for k, v in metrics.items()))
    metrics["fit_seconds"] = fit_seconds
    return model, metrics


def _classification_metrics(
    model: Any, features: pd.DataFrame, target: pd.Series
) -> dict[str, float]:
    probabilities = model.predict_proba(features)
    if probabilities.shape[1] == 2:
        roc_auc = roc_auc_score(target, probabilities[:, 1])
    else:
        roc_auc = roc_auc_score(target, probabilities, multi_class="ovr")
    accuracy = accuracy_score(target, np.argmax(probabilities, axis=1))
    return {"roc_auc": float(roc_auc), "accuracy": float(accuracy)}


def _regression_metrics(model: Any, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    predictions = model.predict(features)
    rmse = float(np.sqrt(mean_squared_error(target, predictions)))
    return {"rmse": rmse, "r2": float(r2_score(target, predictions))}


def _estimator(model: Any) -> Any:
    """Return the estimator of a model file that the catalog loaded, or ``model`` itself."""
    return getattr(model, "model", model)


def predict_test_rows(model: Any, test: pd.DataFrame, params: dict[str, Any]) -> dict[str, Any]:
    """Predict the held-out test rows with the trained model, for the evaluation plots.

    Args:
        model: The fitted estimator, or the model file the catalog loaded (its ``model``).
        test: Held-out rows, features and target.
        params: ``xgboost`` parameters: ``target``, ``task``, ``text_columns``.

    Returns:
        ``task``, the ``expected`` and ``predicted`` values of each row and, for
        classification, the ``class_labels`` and one ``probabilities`` row per test row
        with one column per class.
    """
    estimator = _estimator(model)
    features, target = _features_and_target(encode_text_columns(test, params), params["target"])
    predictions = {
        "task": params["task"],
        "expected": target.tolist(),
        "predicted": estimator.predict(features).tolist(),
    }
    if params["task"] == "classification":
        predictions["class_labels"] = estimator.classes_.tolist()
        predictions["probabilities"] = estimator.predict_proba(features).tolist()
    return predictions


def rank_feature_gains(model: Any) -> dict[str, float]:
    """Return the average gain of the splits on each feature, largest first.

    Args:
        model: The fitted estimator, or the model file the catalog loaded (its ``model``).

    Returns:
        Gain by feature name. Features that no split uses are absent.
    """
    gains = _estimator(model).get_booster().get_score(importance_type="gain")
    return dict(sorted(gains.items(), key=lambda item: item[1], reverse=True))
