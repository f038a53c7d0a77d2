"""Project commands added to the ``kedro`` command line.

``kedro models`` prints the registered models of the project's tracking store with
their champion and challenger versions and the promotion metric. ``kedro create-run``
creates the MLflow run that several ``kedro run`` processes continue, one after the
other, when its id is exported as ``MLFLOW_RUN_ID``.
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


@cli.command("create-run")
@click.option("--env", "-e", default=None, help="Kedro configuration environment, e.g. server.")
@click.option("--name", default=None, help="Name of the run; MLflow generates one by default.")
def create_run(env: str | None, name: str | None) -> None:
    """Create an MLflow run in the project's experiment and print its id.

    Export the id as MLFLOW_RUN_ID and every `kedro run` started with it, in any
    process, logs into that run instead of opening its own.
    """
    from pathlib import Path

    import mlflow

    metadata = bootstrap_project(Path.cwd())
    with KedroSession.create(project_path=metadata.project_path, env=env) as session:
        # Loading the context runs kedro-mlflow's set-up: tracking URI, credentials and
        # the experiment, created when it does not exist yet.
        context = session.load_context()
        experiment_name = context.mlflow.tracking.experiment.name
    experiment = mlflow.get_experiment_by_name(experiment_name)
    run = mlflow.MlflowClient().create_run(experiment.experiment_id, run_name=name)
    click.echo(run.info.run_id)
