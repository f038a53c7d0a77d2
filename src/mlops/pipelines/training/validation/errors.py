"""The exceptions of the validation area and the layout of their messages.

A check collects every problem it finds before raising, so one run lists all of them.
Each problem is one line, ``<location>: <problem>``, where the location is a file, a
``file:line`` or a row. Parameter problems start with the parameter's name instead. The
message lists at most ``MAX_LISTED_PROBLEMS`` of them and ends with what to do.
"""

from __future__ import annotations

MAX_LISTED_PROBLEMS = 50


class DataValidationError(ValueError):
    """Training data (a table, an image set, label files) that a model cannot train on."""


class TrainingConfigError(ValueError):
    """A training parameter that is missing, out of range or names nothing usable."""


def format_problems(summary: str, problems: list[str], fix: str) -> str:
    """Join a summary, one line per problem (capped) and the fix into one message."""
    lines = [summary, *problems[:MAX_LISTED_PROBLEMS]]
    if len(problems) > MAX_LISTED_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_LISTED_PROBLEMS} more")
    lines.append(fix)
    return "\n".join(lines)


def count_problems(problems: list[str]) -> str:
    """Return ``1 problem`` or ``N problems``."""
    return f"{len(problems)} problem" + ("" if len(problems) == 1 else "s")


def raise_data_problems(subject: str, problems: list[str], fix: str) -> None:
    """Raise a ``DataValidationError`` listing ``problems``, if there are any.

    Args:
        subject: What was checked, such as ``Detection data set 'data.yaml'``.
        problems: One ``<location>: <problem>`` line per problem.
        fix: What the user should do, the last line of the message.
    """
    if problems:
        summary = f"{subject} has {count_problems(problems)}:"
        raise DataValidationError(format_problems(summary, problems, fix))


def raise_config_problems(section: str, problems: list[str]) -> None:
    """Raise a ``TrainingConfigError`` listing ``problems``, if there are any.

    Args:
        section: The top-level parameter key, such as ``yolo``.
        problems: One line per problem, each naming the parameter and its value.
    """
    if problems:
        summary = f"Invalid {section} training parameters ({count_problems(problems)}):"
        fix = (
            f"Fix these values under `{section}:` in conf/base/parameters_training.yml, "
            "or in the same file of the environment passed to `kedro run --env`."
        )
        raise TrainingConfigError(format_problems(summary, problems, fix))
