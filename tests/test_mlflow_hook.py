"""``MlflowSessionHook``: kedro-mlflow's hook with a lazy catalog and batched parameters."""

from __future__ import annotations

from kedro.io import DataCatalog

from mlops.hooks import MlflowSessionHook

CATALOG = {
    "accuracy": {"type": "kedro_mlflow.io.metrics.MlflowMetricDataset"},
    "figure": {
        "type": "matplotlib.MatplotlibDataset",
        "filepath": "data/08_reporting/figure.png",
    },
}


def test_after_catalog_created_names_metrics_only():
    catalog = DataCatalog.from_config(CATALOG)

    MlflowSessionHook().after_catalog_created(
        catalog=catalog,
        conf_catalog=CATALOG,
        conf_creds={},
        parameters={},
        save_version=None,
        load_versions={},
    )

    assert catalog["accuracy"].key == "accuracy"
    assert "figure" in catalog._lazy_datasets  # not created, so matplotlib is not imported
