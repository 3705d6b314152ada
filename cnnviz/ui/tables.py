"""Tables of a model's layers in the student's language."""

from __future__ import annotations

import pandas as pd

from cnnviz.formatting import shape_text
from cnnviz.params import Summary
from cnnviz.ui import t


def layer_table(summary: Summary, with_params: bool = True) -> pd.DataFrame:
    """One row per layer: name, type, output shape and (optionally) parameters with formula."""
    rows = []
    for row in summary.rows:
        line = {
            t("padding.layer"): row.name,
            t("padding.kind"): row.kind,
            t("padding.output_shape"): shape_text(row.output_shape),
        }
        if with_params:
            line[t("pooling.params")] = row.params
            line[t("pooling.formula")] = row.formula
            line[t("pooling.non_trainable")] = row.non_trainable
        rows.append(line)
    return pd.DataFrame(rows)


def table_height(rows: int, limit: int = 700) -> int:
    """Tall enough to show every row without scrolling, up to `limit` pixels."""
    return min(35 * rows + 40, limit)
