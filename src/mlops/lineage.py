"""Lineage of a model: the git state of the code and the package version.

The session hook sets these as tags of the session run, and the registry copies them,
with the run's dataset digests, to every model version. This module imports nothing of
the project.
"""

from __future__ import annotations

import logging
import subprocess
from importlib import metadata
from pathlib import Path

logger = logging.getLogger(__name__)

PACKAGE = "mlops"
GIT_TIMEOUT_S = 10


def _git(project_path: Path, *args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-C", str(project_path), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("git %s failed in %s: %s", " ".join(args), project_path, exc)
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def git_tags(project_path: Path) -> dict[str, str]:
    """Return ``git_commit`` and ``git_dirty`` for the repository around ``project_path``.

    ``git_dirty`` is ``true`` when tracked files differ from the commit; untracked files
    (data, models, the store) do not count. Outside a git repository, or without git,
    the result is empty.
    """
    commit = _git(project_path, "rev-parse", "HEAD")
    if not commit:
        return {}
    changes = _git(project_path, "status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": "true" if changes else "false"}


def package_version() -> str:
    """Return the installed version of this project's package, or ``unknown``."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def lineage_tags(project_path: Path, kedro_env: str | None = None) -> dict[str, str]:
    """Return the lineage tags of a run started from ``project_path``."""
    tags = git_tags(project_path) | {"mlops_version": package_version()}
    if kedro_env:
        tags["kedro_env"] = kedro_env
    return tags
