"""A table of the registered models: champion, challenger and their metrics."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException

from mlops.registry.promotion import CHALLENGER, CHAMPION

COLUMNS = ("model", "versions", "champion", "challenger", "metric", "champion value",
           "challenger value", "promotion")  # fmt: skip


def _version_by_alias(client: mlflow.MlflowClient, name: str, alias: str):
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:  # the alias is not set on any version
        return None


def describe_models(
    client: mlflow.MlflowClient, metrics: Mapping[str, str]
) -> list[dict[str, str]]:
    """Return one row per registered model in the store, sorted by name.

    Args:
        client: A client of the tracking store holding the registry.
        metrics: Promotion metric per registered model name, e.g. ``{"xgboost":
            "xgboost.roc_auc"}``; models without one show no metric values.
    """
    rows = []
    for model in sorted(client.search_registered_models(), key=lambda item: item.name):
        champion = _version_by_alias(client, model.name, CHAMPION)
        challenger = _version_by_alias(client, model.name, CHALLENGER)
        metric = metrics.get(model.name, "")
        count = len(client.search_model_versions(f"name = '{model.name}'"))
        rows.append(
            {
                "model": model.name,
                "versions": str(count),
                "champion": str(champion.version) if champion else "-",
                "challenger": str(challenger.version) if challenger else "-",
                "metric": metric or "-",
                "champion value": _tag(champion, metric),
                "challenger value": _tag(challenger, metric),
                "promotion": _tag(challenger, "promotion"),
            }
        )
    return rows


def _tag(version: Any, name: str) -> str:
    if version is None or not name:
        return "-"
    return version.tags.get(name, "-")


def format_table(rows: list[dict[str, str]]) -> str:
    """Return ``rows`` as a plain-text table with aligned columns."""
    if not rows:
        return "No registered models in this tracking store."
    widths = {column: max(len(column), *(len(row[column]) for row in rows)) for column in COLUMNS}
    lines = ["  ".join(column.ljust(widths[column]) for column in COLUMNS)]
    lines.append("  ".join("-" * widths[column] for column in COLUMNS))
    lines += ["  ".join(row[column].ljust(widths[column]) for column in COLUMNS) for row in rows]
    return "\n".join(lines)
