"""Hostile model files built in the tests: trees with broken structure, zip bombs.

Each crafted tree starts from a model fitted on the small import table and edits one field of
its node arrays, as a hostile file would; skops writes the edit as it is.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import numpy as np
import pandas as pd
from own_inputs import INPUTS, NUMERIC
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeRegressor

from sesame_audit.model.runs.model_files import model_bytes

Edit = Callable[[np.ndarray], None]


def _encode() -> ColumnTransformer:
    return ColumnTransformer([
        ("district", OneHotEncoder(handle_unknown="ignore", sparse_output=False), ["district"]),
        ("numbers", "passthrough", NUMERIC),
    ])


def _set(field: str, node: int, value: int) -> Edit:
    def edit(nodes: np.ndarray) -> None:
        nodes[field][node] = value
    return edit


def _first_split(nodes: np.ndarray, leaf: np.ndarray) -> int:
    return int(np.flatnonzero(~leaf)[1])  # a split below the root


def decision_tree(frame: pd.DataFrame, fault: str) -> Pipeline:
    """A pipeline ending in a decision tree whose ``tree_`` has ``fault``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The import table (own_inputs.table()).
    fault : {"child out of range", "cycle", "feature index"}
        Which field is broken.
    """
    model = Pipeline([("encode", _encode()),
                      ("tree", DecisionTreeRegressor(max_depth=4, random_state=0))]).fit(
        frame[INPUTS], frame["score"])
    tree = model[-1].tree_
    state = tree.__getstate__()
    nodes = state["nodes"]
    split = _first_split(nodes, nodes["left_child"] == -1)
    {"child out of range": _set("left_child", 0, 10**6),
     "cycle": _set("right_child", split, 0),
     "feature index": _set("feature", split, 40)}[fault](nodes)
    tree.__setstate__(state)
    return model


def boosted_trees(frame: pd.DataFrame, fault: str) -> Pipeline:
    """A pipeline ending in histogram gradient boosting whose second tree has ``fault``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The import table (own_inputs.table()).
    fault : {"child out of range", "cycle", "feature index"}
        Which field is broken.
    """
    model = Pipeline([("encode", _encode()),
                      ("trees", HistGradientBoostingRegressor(max_iter=3, random_state=0))]).fit(
        frame[INPUTS], frame["score"])
    nodes = model[-1]._predictors[1][0].nodes
    split = _first_split(nodes, nodes["is_leaf"] == 1)
    {"child out of range": _set("left", 0, 4_000_000),
     "cycle": _set("right", split, 0),
     "feature index": _set("feature_idx", split, 40)}[fault](nodes)
    return model


FAULTS = ("child out of range", "cycle", "feature index")


def crafted_tree_files(frame: pd.DataFrame) -> dict[str, bytes]:
    """Every crafted tree model as skops bytes, by name."""
    return {f"{kind} {fault}": model_bytes(make(frame, fault))
            for kind, make in (("decision tree", decision_tree), ("boosted trees", boosted_trees))
            for fault in FAULTS}


def with_member(skops: bytes, name: str, data: bytes) -> bytes:
    """A skops file with one more member (compressed)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skops)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr(name, data)
    return out.getvalue()


def zip_bomb(skops: bytes, mib: int = 16) -> bytes:
    """A skops file with a member of ``mib`` MiB of zeros (about 16 KiB compressed)."""
    return with_member(skops, "padding.npy", bytes(mib * 2**20))


def many_members(skops: bytes, count: int = 2_001) -> bytes:
    """A skops file with ``count`` extra empty members."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(skops)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for i in range(count):
            dst.writestr(f"extra/{i}.txt", b"")
    return out.getvalue()


def announced_array(skops: bytes) -> bytes:
    """A skops file with an array whose header announces 80 GB and holds 8 bytes."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                   "shape": (10**10,)})
    return with_member(skops, "huge.npy", header.getvalue() + bytes(8))
