"""Kedro project settings: hooks and configuration loader.

See https://docs.kedro.org/en/stable/configure/configuration_basics/ for the defaults.
"""

from mlops.hooks import SessionRunHook
from mlops.offline import configure_offline_environment

configure_offline_environment()

# kedro-mlflow's hooks come from its entry point; this hook guards the run it opens.
HOOKS = (SessionRunHook(),)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
