"""Default data sets, built offline from data that ships with scikit-learn."""

from mlops.pipelines.data_preparation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
