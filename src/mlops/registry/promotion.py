"""The promotion gate: whether a new model version becomes the ``champion``.

Every new version gets the alias ``challenger``. It also gets ``champion`` when it passes
the gate configured per model under ``registry.<model>.promotion``:

- ``metric``: the version tag that decides, such as ``xgboost.roc_auc``;
- ``direction``: ``maximize`` or ``minimize``;
- ``min_value``: the value the metric must reach (at least, or at most when minimizing);
- ``min_improvement``: how much better than the current champion it must be;
- ``mode``: ``auto`` (the gate decides), ``force`` (always champion) or ``skip`` (never).

The decision and its numbers become version tags (``promotion``, ``promotion.reason``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHAMPION = "champion"
CHALLENGER = "challenger"
MODES = ("auto", "force", "skip")
DIRECTIONS = ("maximize", "minimize")


class PromotionConfigError(ValueError):
    """A promotion gate parameter is missing or invalid."""


@dataclass(frozen=True)
class PromotionGate:
    """The rule that a challenger must pass to become champion."""

    metric: str
    direction: str = "maximize"
    min_value: float = -math.inf
    min_improvement: float = 0.0
    mode: str = "auto"

    @classmethod
    def from_params(cls, model_key: str, params: Mapping[str, Any] | None) -> PromotionGate | None:
        """Build the gate from ``registry.<model_key>.promotion``, checking each value.

        Returns:
            The gate, or None without a ``promotion`` section: no alias is set then.

        Raises:
            PromotionConfigError: If the metric is missing or a value is out of range.
        """
        if params is None:
            return None
        params = dict(params)
        prefix = f"registry.{model_key}.promotion"
        if not params.get("metric"):
            raise PromotionConfigError(
                f"{prefix}.metric is missing. Set it to the metric tag that decides "
                f"promotion, such as {model_key}.<metric>, in conf/base/parameters_registry.yml."
            )
        gate = cls(
            metric=str(params["metric"]),
            direction=params.get("direction", "maximize"),
            min_value=float(params.get("min_value", -math.inf)),
            min_improvement=float(params.get("min_improvement", 0.0)),
            mode=params.get("mode", "auto"),
        )
        if gate.direction not in DIRECTIONS:
            raise PromotionConfigError(
                f"{prefix}.direction is {gate.direction!r}; expected one of {list(DIRECTIONS)}."
            )
        if gate.mode not in MODES:
            raise PromotionConfigError(
                f"{prefix}.mode is {gate.mode!r}; expected one of {list(MODES)}. Use "
                f"`kedro run --params {prefix}.mode=force` to promote regardless of the gate."
            )
        if gate.min_improvement < 0:
            raise PromotionConfigError(
                f"{prefix}.min_improvement is {gate.min_improvement}; it must be >= 0."
            )
        return gate

    def improvement(self, challenger: float, champion: float) -> float:
        """Return how much better ``challenger`` is than ``champion`` (negative if worse)."""
        return challenger - champion if self.direction == "maximize" else champion - challenger

    def reaches_min_value(self, value: float) -> bool:
        """Return whether ``value`` reaches ``min_value`` in the gate's direction."""
        if self.direction == "maximize":
            return value >= self.min_value
        return value <= self.min_value


@dataclass(frozen=True)
class PromotionDecision:
    """Whether a challenger becomes champion, why, and the numbers behind it."""

    promoted: bool
    reason: str
    metric: str
    challenger_value: float | None
    champion_value: float | None = None
    champion_version: int | None = None

    @property
    def aliases(self) -> list[str]:
        """Aliases the new version gets."""
        return [CHALLENGER, CHAMPION] if self.promoted else [CHALLENGER]

    @property
    def tags(self) -> dict[str, str]:
        """Version tags that record the decision."""
        tags = {
            "promotion": "promoted" if self.promoted else "kept",
            "promotion.reason": self.reason,
            "promotion.metric": self.metric,
        }
        optional = {
            "promotion.challenger_value": self.challenger_value,
            "promotion.champion_value": self.champion_value,
            "promotion.champion_version": self.champion_version,
        }
        tags |= {name: str(value) for name, value in optional.items() if value is not None}
        return tags

    @property
    def summary(self) -> str:
        """One-line outcome for the run summary."""
        outcome = "promoted to champion" if self.promoted else "not promoted"
        return f"{outcome}: {self.reason}"


def decide_promotion(
    gate: PromotionGate,
    challenger_value: float | None,
    champion_value: float | None,
    champion_version: int | None,
) -> PromotionDecision:
    """Apply ``gate`` to a challenger's metric and the current champion's.

    Args:
        gate: The model's promotion gate.
        challenger_value: The new version's metric, or None when it has none.
        champion_value: The current champion's metric, or None.
        champion_version: The current champion's version, or None when there is none.

    Returns:
        The decision, with a reason that quotes the numbers.
    """

    promoted, reason = _apply_gate(gate, challenger_value, champion_value, champion_version)
    return PromotionDecision(
        promoted, reason, gate.metric, challenger_value, champion_value, champion_version
    )


def _apply_gate(
    gate: PromotionGate,
    challenger_value: float | None,
    champion_value: float | None,
    champion_version: int | None,
) -> tuple[bool, str]:
    if gate.mode != "auto":
        return gate.mode == "force", f"{gate.mode} set by promotion.mode"
    if challenger_value is None:
        return False, f"the version has no {gate.metric} metric"
    if not gate.reaches_min_value(challenger_value):
        bound = "min" if gate.direction == "maximize" else "max"
        return (
            False,
            f"{gate.metric} {challenger_value:.4g} misses the {bound} {gate.min_value:.4g}",
        )
    if champion_version is None:
        return True, f"first version with {gate.metric} {challenger_value:.4g}"
    if champion_value is None:
        return True, f"champion version {champion_version} has no {gate.metric}"
    gain = gate.improvement(challenger_value, champion_value)
    comparison = (
        f"{gate.metric} {challenger_value:.4g} vs champion version {champion_version}'s "
        f"{champion_value:.4g} (improvement {gain:.4g}, min {gate.min_improvement:.4g})"
    )
    return gain >= gate.min_improvement, comparison
