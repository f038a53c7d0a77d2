"""Training of the project's models."""

from mlops.pipelines.training.pipeline import create_pipeline

__all__ = ["create_pipeline"]
