"""Nodes that build the project's default data sets."""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_breast_cancer


def create_breast_cancer_table() -> pd.DataFrame:
    """Build the breast-cancer Wisconsin table that ships with scikit-learn.

    Returns:
        569 rows of 30 numeric features and a ``target`` column (0 malignant, 1 benign).
    """
    return load_breast_cancer(as_frame=True).frame
