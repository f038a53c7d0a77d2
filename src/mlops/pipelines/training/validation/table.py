"""Checks of the table that XGBoost trains on, and the conversion of its text columns.

Rows are named by their position, counted from 0 without the header. In a CSV file with
one header line, row ``i`` is on line ``i + 2``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types

from mlops.pipelines.training.validation.config import check_xgboost_params
from mlops.pipelines.training.validation.errors import TrainingConfigError, raise_data_problems

logger = logging.getLogger(__name__)

MAX_LISTED_VALUES = 20
TABLE_FIX = "Fix the rows and columns listed in the table file, then run again."
TEXT_COLUMNS_FIX = (
    "Set xgboost.text_columns to category to train on them as categorical features, "
    "or convert them to numbers or drop them in the table file."
)


def validate_table(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Check the table and parameters for XGBoost and return the table to train on.

    Args:
        table: The raw table, with the target column named by ``params["target"]``.
        params: ``xgboost`` parameters: ``target``, ``task``, ``test_size``,
            ``text_columns`` and the estimator's ``model`` arguments.

    Returns:
        A new frame: the table with its text columns as pandas ``category`` columns when
        ``text_columns`` is ``category``, otherwise an unchanged copy.

    Raises:
        TrainingConfigError: If a parameter is invalid or the target column is missing.
        DataValidationError: Listing every problem of the table's rows and columns.
    """
    check_xgboost_params(params)
    check_target_column(table, params)
    text_problems = text_column_problems(table, params)
    fix = TABLE_FIX
    if text_problems and params.get("text_columns", "reject") == "reject":
        fix = f"{TEXT_COLUMNS_FIX} {TABLE_FIX}"
    raise_data_problems("Table", table_problems(table, params) + text_problems, fix)

    validated = encode_text_columns(table, params)
    logger.info(
        "Table is valid: %d rows, %d feature columns, target '%s' (%s)",
        len(table), table.shape[1] - 1, params["target"], params["task"],
    )  # fmt: skip
    return validated


def check_target_column(table: pd.DataFrame, params: dict[str, Any]) -> None:
    """Raise a ``TrainingConfigError`` if ``xgboost.target`` is not a column of ``table``."""
    if params["target"] not in table.columns:
        raise TrainingConfigError(
            f"xgboost.target is {params['target']!r}, which is not a column of the table "
            f"(columns: {list(table.columns)}). Set xgboost.target to the column to predict."
        )


def table_problems(table: pd.DataFrame, params: dict[str, Any]) -> list[str]:
    """Return one line per problem of the table's rows, feature columns and target."""
    if table.empty:
        return ["table: it has a header but no rows; add data rows below the header"]
    target = params["target"]
    features = table.drop(columns=[target])
    if features.shape[1] == 0:
        return [f"table: it has no feature columns besides the target {target!r}"]

    problems = _blank_target_problems(table, target)
    problems += _unsupported_column_problems(features)
    problems += _infinite_value_problems(table, [*_numeric_columns(features), target])
    if params["task"] == "classification":
        return problems + _class_problems(table, params)
    problems += _regression_target_problems(table[target])
    return problems + _split_size_problems(len(table), params["test_size"])


def text_column_problems(table: pd.DataFrame, params: dict[str, Any]) -> list[str]:
    """Return one line per text feature column that XGBoost cannot train on.

    XGBoost trains on numbers, booleans and ``category`` columns only. With
    ``text_columns: category`` only a text column without any value is a problem,
    because a category column without categories crashes XGBoost 3.
    """
    columns = _text_columns(table.drop(columns=[params["target"]]))
    if params.get("text_columns", "reject") == "category":
        return [
            f"column {name!r}: has no values; drop it or fill it in"
            for name in columns
            if table[name].dropna().empty
        ]
    return [
        f"column {name!r}: contains text (dtype {table[name].dtype}, "
        f"e.g. {_first_value(table[name])!r})"
        for name in columns
    ]


def encode_text_columns(table: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Return a copy of ``table`` whose text feature columns are ``category`` columns.

    Values become strings first, so a column that mixes numbers and words gets one kind
    of category. Blank cells stay missing values, which XGBoost handles.

    Raises:
        DataValidationError: If there are text columns and ``text_columns`` is ``reject``,
            or a text column has no values.
    """
    raise_data_problems("Table", text_column_problems(table, params), _text_columns_fix(params))
    encoded = table.copy()
    for name in _text_columns(table.drop(columns=[params["target"]])):
        encoded[name] = table[name].astype("string").astype("category")
    return encoded


def split_class_problems(
    train: pd.DataFrame, test: pd.DataFrame, params: dict[str, Any]
) -> list[str]:
    """Return one line per class that is absent from the train or the test split.

    XGBClassifier needs every class 0..k-1 in its train rows, and ROC AUC needs every
    class in the test rows.
    """
    target = params["target"]
    classes = sorted(set(train[target]) | set(test[target]))
    problems = []
    for split_name, split in (("train", train), ("test", test)):
        absent = [value for value in classes if value not in set(split[target])]
        problems += [
            f"class {value!r}: has no rows in the {split_name} split; add rows of this class "
            "or change xgboost.test_size"
            for value in absent
        ]
    return problems


def _text_columns_fix(params: dict[str, Any]) -> str:
    return TEXT_COLUMNS_FIX if params.get("text_columns", "reject") == "reject" else TABLE_FIX


def _row_name(table: pd.DataFrame, label: Any) -> str:
    index = table.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return f"row {label} (line {label + 2})"
    return f"row {label!r}"


def _first_value(column: pd.Series) -> Any:
    values = column.dropna()
    return values.iloc[0] if len(values) else None


def _numeric_columns(features: pd.DataFrame) -> list[str]:
    return [name for name in features.columns if types.is_numeric_dtype(features[name])]


def _text_columns(features: pd.DataFrame) -> list[str]:
    return [
        name
        for name in features.columns
        if types.is_object_dtype(features[name]) or types.is_string_dtype(features[name])
    ]


def _is_blank(value: Any) -> bool:
    return (isinstance(value, str) and not value.strip()) or bool(pd.isna(value))


def _blank_target_problems(table: pd.DataFrame, target: str) -> list[str]:
    blank = table.index[table[target].map(_is_blank).to_numpy(dtype=bool)]
    return [
        f"{_row_name(table, label)}: target {target!r} is blank; fill it in or delete the row"
        for label in blank
    ]


def _unsupported_column_problems(features: pd.DataFrame) -> list[str]:
    supported = set(_numeric_columns(features)) | set(_text_columns(features))
    supported |= {
        name for name in features.columns if isinstance(features[name].dtype, pd.CategoricalDtype)
    }
    return [
        f"column {name!r}: has dtype {features[name].dtype}, which XGBoost cannot train on; "
        "convert it to numbers or drop it"
        for name in features.columns
        if name not in supported
    ]


def _infinite_value_problems(table: pd.DataFrame, columns: list[str]) -> list[str]:
    problems = []
    for name in columns:
        column = table[name]
        if not types.is_float_dtype(column):
            continue
        infinite = np.isinf(column.to_numpy(dtype=float, na_value=np.nan))
        for label, value in column[infinite].items():
            problems.append(
                f"{_row_name(table, label)}: column {name!r} is {value}; replace it with a "
                "finite number or leave the cell empty (a missing value)"
            )
    return problems


def _class_problems(table: pd.DataFrame, params: dict[str, Any]) -> list[str]:
    target = params["target"]
    labels = table[target][~table[target].map(_is_blank).to_numpy(dtype=bool)]
    counts = labels.value_counts()
    if len(counts) == 1:
        return [
            f"target {target!r}: has one class ({counts.index[0]!r}); classification needs "
            "at least 2 classes, or set xgboost.task to regression"
        ]
    problems = _label_value_problems(counts.index.tolist(), target)
    problems += [
        f"class {value!r}: has {count} row; a stratified split needs at least 2 rows per class"
        for value, count in counts.items()
        if count < 2
    ]
    return problems + _class_split_size_problems(len(table), len(counts), params["test_size"])


def _label_value_problems(values: list[Any], target: str) -> list[str]:
    expected = set(range(len(values)))
    if all(_is_integer(value) for value in values) and {int(v) for v in values} == expected:
        return []
    listed = sorted(values, key=repr)[:MAX_LISTED_VALUES]
    more = f" and {len(values) - MAX_LISTED_VALUES} more" if len(values) > MAX_LISTED_VALUES else ""
    last = len(values) - 1
    return [
        f"target {target!r}: class labels must be the integers 0..{last}, as XGBClassifier "
        f"requires, but the table has {listed}{more}; map them to 0..{last} in the table file"
    ]


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return True
    return isinstance(value, int | float | np.number) and float(value).is_integer()


def _regression_target_problems(target: pd.Series) -> list[str]:
    if types.is_numeric_dtype(target):
        return []
    return [
        f"target {target.name!r}: has dtype {target.dtype} (e.g. {_first_value(target)!r}); "
        "regression needs numbers, so convert the column to numbers"
    ]


def _split_sizes(rows: int, test_size: float) -> tuple[int, int]:
    # The sizes that sklearn's train_test_split gives for a fractional test_size.
    test_rows = math.ceil(test_size * rows)
    return rows - test_rows, test_rows


def _split_size_problems(rows: int, test_size: float) -> list[str]:
    train_rows, test_rows = _split_sizes(rows, test_size)
    if train_rows >= 1 and test_rows >= 1:
        return []
    return [
        f"table: {rows} rows with xgboost.test_size {test_size} give {train_rows} train and "
        f"{test_rows} test rows; add rows so that both splits get at least one"
    ]


def _class_split_size_problems(rows: int, classes: int, test_size: float) -> list[str]:
    train_rows, test_rows = _split_sizes(rows, test_size)
    if min(train_rows, test_rows) >= classes:
        return []
    return [
        f"table: {rows} rows with xgboost.test_size {test_size} give {train_rows} train and "
        f"{test_rows} test rows, but a stratified split needs at least one row per class "
        f"({classes} classes) in each; add rows or change xgboost.test_size"
    ]
