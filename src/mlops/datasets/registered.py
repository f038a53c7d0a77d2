"""A registered model version, loaded from the MLflow Model Registry for inference.

``RegisteredModelDataset`` loads one version of a registered model, chosen by alias or
by version number. When the registry has no such model, alias or version, it logs one
WARNING and loads a ``MissingModel``, so the consuming node can skip the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import mlflow
from kedro.io import AbstractDataset, DatasetError
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST, ErrorCode

logger = logging.getLogger(__name__)

FLAVORS = ("pyfunc", "xgboost")
_NOT_FOUND = ErrorCode.Name(RESOURCE_DOES_NOT_EXIST)


@dataclass(frozen=True)
class LoadedModel:
    """A registered model version loaded for inference.

    Attributes:
        model_uri: The configured URI: ``models:/<name>@<alias>`` or
            ``models:/<name>/<version>``.
        name: The registered model name.
        version: The version loaded. For an alias, the version it pointed to at load time.
        model: A ``PyFuncModel``, or the native model of the ``xgboost`` flavor.
    """

    model_uri: str
    name: str
    version: int
    model: Any


@dataclass(frozen=True)
class MissingModel:
    """Placeholder loaded when the registry has no version matching ``model_uri``."""

    model_uri: str


class RegisteredModelDataset(AbstractDataset):
    """One version of a registered model, chosen by alias or by version number.

    The registry is the one MLflow uses in this process, which in ``kedro run`` is the
    store that kedro-mlflow set from ``mlflow.yml``. An alias is resolved to its version
    first and that version is loaded, so the reported version is the one that predicts
    even if the alias moves meanwhile.

    The argument is ``model_version``, not ``version``, because Kedro removes a
    ``version`` key from every catalog entry (it is reserved for versioned datasets).

    A registered model, alias or version that does not exist logs one WARNING and loads
    a ``MissingModel``. Other failures, such as an unreachable store or model files that
    are missing or corrupt, raise ``DatasetError``. The dataset is read-only.

    Example in ``catalog.yml``::

        xgboost_registered_model:
          type: mlops.datasets.RegisteredModelDataset
          model_name: xgboost
          alias: champion  # or `model_version: 3`
          flavor: xgboost
    """

    def __init__(
        self,
        model_name: str,
        alias: str | None = None,
        model_version: int | None = None,
        *,
        flavor: str = "pyfunc",
        load_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Create the dataset.

        Args:
            model_name: The registered model name.
            alias: Alias of the version to load, such as ``champion``.
            model_version: Version number to load. Set either ``alias`` or
                ``model_version``.
            flavor: ``pyfunc`` loads with ``mlflow.pyfunc.load_model``, ``xgboost`` with
                ``mlflow.xgboost.load_model`` (the estimator, with ``predict_proba``).
            load_args: Keyword arguments of the flavor's ``load_model``, such as
                ``model_config`` for a pyfunc model.
            metadata: Free-form metadata, ignored by Kedro.

        Raises:
            DatasetError: If both or neither of ``alias`` and ``model_version`` are set,
                the version is not a positive integer, or the flavor is unknown.
        """
        _check_reference(model_name, alias, model_version)
        if flavor not in FLAVORS:
            raise DatasetError(
                f"Registered model '{model_name}' has flavor '{flavor}'; expected one of "
                f"{list(FLAVORS)}. Set `flavor` in its catalog entry to one of them."
            )
        self._model_name = model_name
        self._alias = alias
        self._version = model_version
        self._flavor = flavor
        self._load_args = dict(load_args or {})
        self.metadata = metadata

    @property
    def _model_uri(self) -> str:
        if self._alias is not None:
            return f"models:/{self._model_name}@{self._alias}"
        return f"models:/{self._model_name}/{self._version}"

    def load(self) -> LoadedModel | MissingModel:
        version = self._find_version()
        if version is None:
            return MissingModel(self._model_uri)
        model = self._load_version(version)
        logger.info(
            "Loaded %s (version %s) with the %s flavor", self._model_uri, version, self._flavor
        )
        return LoadedModel(
            model_uri=self._model_uri, name=self._model_name, version=version, model=model
        )

    def save(self, data: Any) -> None:
        raise DatasetError(
            f"RegisteredModelDataset '{self._model_uri}' is read-only. Register models with "
            "the registry pipeline (`kedro run --pipeline registry`)."
        )

    def _find_version(self) -> int | None:
        """Return the version number to load, or None after a WARNING if there is none."""
        client = mlflow.MlflowClient()
        try:
            registered = client.get_registered_model(self._model_name)
            if self._alias is not None:
                version = registered.aliases.get(self._alias)
                problem = f"has no alias '{self._alias}'"
            else:
                version = self._version if self._version_exists(client) else None
                problem = f"has no version {self._version}"
        except MlflowException as exc:
            if exc.error_code != _NOT_FOUND:
                raise self._registry_error(exc) from exc
            version, problem = None, "does not exist"
        if version is None:
            self._warn_missing(problem)
            return None
        return int(version)

    def _version_exists(self, client: mlflow.MlflowClient) -> bool:
        try:
            client.get_model_version(self._model_name, str(self._version))
        except MlflowException as exc:
            if exc.error_code == _NOT_FOUND:
                return False
            raise
        return True

    def _load_version(self, version: int) -> Any:
        uri = f"models:/{self._model_name}/{version}"
        try:
            if self._flavor == "xgboost":
                return mlflow.xgboost.load_model(uri, **self._load_args)
            return mlflow.pyfunc.load_model(uri, **self._load_args)
        except Exception as exc:
            raise DatasetError(
                f"Could not load {uri} ({self._model_uri}) with the {self._flavor} flavor from "
                f"the registry at {mlflow.get_registry_uri()}: {exc}. The version exists, so "
                "its files are missing or corrupt, `load_args` is invalid, or a library the "
                "model needs is not installed. Fix that, or register the model again."
            ) from exc

    def _warn_missing(self, problem: str) -> None:
        logger.warning(
            "Registered model '%s' %s in the MLflow Model Registry at %s, so %s is not "
            "loaded and its predictions are skipped. %s",
            self._model_name,
            problem,
            mlflow.get_registry_uri(),
            self._model_uri,
            self._fix_missing(),
        )

    def _fix_missing(self) -> str:
        if self._alias is not None:
            return (
                "Train and register the model (`kedro run`), then point the alias at the "
                f"version to use: `MlflowClient().set_registered_model_alias('{self._model_name}', "
                f"'{self._alias}', <version>)`, or set `model_version` in place of `alias` in the "
                "catalog entry."
            )
        return (
            "Train and register the model (`kedro run`), or set `model_version` in the "
            "catalog entry to a version that exists."
        )

    def _registry_error(self, exc: MlflowException) -> DatasetError:
        return DatasetError(
            f"Could not look up {self._model_uri} in the MLflow Model Registry at "
            f"{mlflow.get_registry_uri()}: {exc}. Check that the store in mlflow.yml is "
            "reachable and that the model name, alias and version are valid."
        )

    def _exists(self) -> bool:
        client = mlflow.MlflowClient()
        try:
            if self._alias is not None:
                client.get_model_version_by_alias(self._model_name, self._alias)
            else:
                client.get_model_version(self._model_name, str(self._version))
        except MlflowException:
            return False
        return True

    def _describe(self) -> dict[str, Any]:
        return {"model_uri": self._model_uri, "flavor": self._flavor}


def _check_reference(model_name: str, alias: str | None, version: Any) -> None:
    """Raise ``DatasetError`` unless exactly one of ``alias`` and ``version`` is valid."""
    if (alias is None) == (version is None):
        raise DatasetError(
            f"Registered model '{model_name}' needs either `alias` or `model_version` in its "
            f"catalog entry, not {'both' if alias is not None else 'neither'}. Set "
            "`alias: champion` to load the version the alias points to, or `model_version: 3`."
        )
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise DatasetError(
            f"Registered model '{model_name}' has model_version {version!r}; expected a "
            "positive integer such as `model_version: 3`."
        )
    if version is not None and version < 1:
        raise DatasetError(
            f"Registered model '{model_name}' has model_version {version}; versions start at 1."
        )
