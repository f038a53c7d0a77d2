"""Environment defaults that keep the project's libraries off the network.

The project trains and registers models on machines without internet access, so no
library may fetch weights, fonts or send usage telemetry. Each variable is set only when
the user has not set it, so a user who wants a library's online behaviour can opt in.
"""

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
