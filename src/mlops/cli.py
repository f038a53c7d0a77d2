"""Project commands added to the ``kedro`` command line.

``kedro models`` prints the registered models of the project's tracking store with
their champion and challenger versions and the promotion metric.
"""

from __future__ import annotations

import click
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project


@click.group(name="mlops")
def cli() -> None:
    """Commands of the mlops project."""


@cli.command("models")
@click.option("--env", "-e", default=None, help="Kedro configuration environment, e.g. ci.")
def models(env: str | None) -> None:
    """List registered models with their champion, challenger and metric values."""
    from pathlib import Path

    import mlflow

    from mlops.registry.report import describe_models, format_table

    metadata = bootstrap_project(Path.cwd())
    with KedroSession.create(project_path=metadata.project_path, env=env) as session:
        context = session.load_context()
        registry = context.params.get("registry", {})
    metrics = {
        settings["registered_model_name"]: (settings.get("promotion") or {}).get("metric", "")
        for settings in registry.values()
    }
    client = mlflow.MlflowClient()
    click.echo(f"Tracking store: {mlflow.get_tracking_uri()}")
    click.echo(format_table(describe_models(client, metrics)))
