"""Registration of the trained models in the MLflow Model Registry."""

from mlops.pipelines.registry.pipeline import create_pipeline

__all__ = ["create_pipeline"]
