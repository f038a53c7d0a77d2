"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Pipelines that run only on request (`kedro run --pipeline <name>`), not in `kedro run`.
ON_DEMAND_PIPELINES = ("inference",)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines, with ``__default__`` running all but ``inference``.

    The default run trains and registers the models, while ``inference`` predicts with
    registered ones on request.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (pipeline for name, pipeline in pipelines.items() if name not in ON_DEMAND_PIPELINES),
        Pipeline([]),
    )
    return pipelines
