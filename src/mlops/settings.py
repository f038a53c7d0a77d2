"""Kedro project settings: hooks and configuration loader.

See https://docs.kedro.org/en/stable/configure/configuration_basics/ for the defaults.
"""

from omegaconf.resolvers import oc

# NOTE: the hooks import MLflow while Kedro loads these settings. dynaconf then inspects
# the call stack with thousands of modules loaded, which adds about 0.4 s to every
# `kedro` command on a 2-core machine (estimated from a pyinstrument profile).
from mlops.hooks import MlflowSessionHook, SessionRunHook
from mlops.offline import configure_offline_environment

configure_offline_environment()

# kedro-mlflow's hook is registered here, as MlflowSessionHook, instead of through its
# entry point, so that its error path cannot hide the pipeline's error. SessionRunHook
# guards the run it opens.
HOOKS = (MlflowSessionHook(), SessionRunHook())
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow", "kedro-mlflow")

# oc.env reads environment variables in every configuration file, not only in
# credentials: conf/server/mlflow.yml takes the tracking server's URI from one.
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"oc.env": oc.env},
}
