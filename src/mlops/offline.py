"""Environment defaults that keep the project's libraries off the network.

The project trains and registers models on machines without internet access, so no
library may fetch weights, fonts or send usage telemetry. Each variable is set only when
the user has not set it, so a user who wants a library's online behaviour can opt in.
"""

import importlib.util
import os
import sys

OFFLINE_ENVIRONMENT = {
    # MLflow >= 3.2 sends usage telemetry unless this is set.
    "MLFLOW_DISABLE_TELEMETRY": "true",
    # ultralytics: no usage events, no DNS probe at import, no automatic pip installs.
    "YOLO_OFFLINE": "1",
    # timm and ultralytics import huggingface_hub; it must never look up the hub.
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def configure_offline_environment() -> None:
    """Set the offline defaults in ``os.environ`` for this process and its children."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)

    # MLflow decides on telemetry when it is first imported, and a Kedro plugin may have
    # imported it already. Setting the client again drops it now that telemetry is off.
    if "mlflow" in sys.modules:
        from mlflow.telemetry import set_telemetry_client

        set_telemetry_client()

    _disable_kedro_viz_version_check()


def _disable_kedro_viz_version_check() -> None:
    """Make kedro-viz report its installed version as the latest one.

    kedro-viz 12.5 requests its latest version from PyPI when ``kedro viz run`` starts
    and on every page load, with no setting to turn that off. Offline, the lookup fails
    and the page shows an "update" banner. The server process loads these settings too, before it
    imports its API, so the API module binds the replacement.
    """
    if importlib.util.find_spec("kedro_viz") is None:
        return
    from kedro_viz import __version__
    from kedro_viz.integrations import pypi
    from packaging.version import parse

    def installed_version():
        return parse(__version__)

    pypi.get_latest_version = installed_version
    version_api = sys.modules.get("kedro_viz.api.rest.responses.version")
    if version_api is not None:
        version_api.get_latest_version = installed_version
