"""Predictions of the models registered in the MLflow Model Registry."""

from mlops.pipelines.inference.pipeline import create_pipeline

__all__ = ["create_pipeline"]
