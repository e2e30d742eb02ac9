"""Safe model files: skops, loaded against an explicit allow-list, never pickle.

skops stores a model as a zip of JSON and arrays and refuses, on loading, any type that
is not trusted. The allow-list below names the only extra types a score pipeline needs;
anything else in a file is refused with its type named.

A LightGBM model saved in LightGBM's own text format (``Booster.save_model``, a ``.txt``
file) holds no code either: it is parsed and checked by :mod:`explain.lightgbm_text`,
without LightGBM; so is an XGBoost model saved as JSON (``Booster.save_model("m.json")``, a
``.json`` file), by :mod:`explain.xgboost_json`, without XGBoost (:func:`load_model_file`).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from types import ModuleType

from sesame_audit.model.core.bad_input import BadInputError
from sesame_audit.model.explain.lightgbm_text import LightGBMModelError, estimator_from_text
from sesame_audit.model.explain.xgboost_json import XGBoostModelError, estimator_from_json
from sesame_audit.model.runs.allowed_parts import ALLOWED_PARTS, check_parts
from sesame_audit.model.runs.tree_checks import check_trees

TRUSTED_TYPES: tuple[str, ...] = (
    # Boosted trees of HistGradientBoosting*: node arrays, no code.
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    # Trees of DecisionTree*, RandomForest*, ExtraTrees*, GradientBoosting*: rebuilt from
    # node arrays that scikit-learn checks for dtype and shape.
    "sklearn.tree._tree.Tree",
    # A dtype rebuilt from its name (e.g. an encoder's ``dtype=np.float64``).
    "numpy.dtype",
    # LightGBM text models: they keep only the model's text, parsed and checked on loading.
    "sesame_audit.model.explain.lightgbm_text.LightGBMTextClassifier",
    "sesame_audit.model.explain.lightgbm_text.LightGBMTextRegressor",
    # XGBoost JSON models: likewise, they keep only the JSON text.
    "sesame_audit.model.explain.xgboost_json.XGBoostJSONClassifier",
    "sesame_audit.model.explain.xgboost_json.XGBoostJSONRegressor",
    # Parts of native-categorical HGB, MLP and calibrated models, checked after loading to
    # hold plain data only (runs.allowed_parts); the one function allowed is check_array.
    *ALLOWED_PARTS,
)
LIGHTGBM_SUFFIX = ".txt"
"""Model files with this suffix are read as LightGBM text models."""
XGBOOST_SUFFIX = ".json"
"""Model files with this suffix are read as XGBoost JSON models; all others as skops."""


MAX_MEMBERS = 2_000
"""Most files inside a skops zip: a forest of 500 trees needs about 1,000."""
MAX_UNPACKED = 2**30
"""Largest total size of a skops zip's contents once inflated (1 GiB)."""
MAX_RATIO = 200
"""Largest inflation of one member over 1 MiB: numbers compress about 2-20 times, never 200."""
_RATIO_FROM = 2**20


def _skops() -> ModuleType:
    """``skops.io``, imported on first use: importing it scans scikit-learn for a second."""
    import skops.io

    return skops.io


class UnsafeModelError(BadInputError):
    """A model file that asks for a type outside the allow-list, or is not a skops file."""


def _renumber(node: object, ids: dict[int, int], files: dict[str, str]) -> object:
    """Replace memory addresses in a skops schema by their order of appearance."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "__id__":
                out[key] = ids.setdefault(value, len(ids))
            elif key == "file" and isinstance(value, str):
                out[key] = files.setdefault(value, f"{len(files)}{Path(value).suffix}")
            else:
                out[key] = _renumber(value, ids, files)
        return out
    if isinstance(node, list):
        return [_renumber(v, ids, files) for v in node]
    return node


def _stable(data: bytes) -> bytes:
    """Rewrite a skops zip so that the same model gives the same bytes.

    skops names objects and array files after ``id()`` (memory addresses) and stamps zip
    entries with the current time; both are replaced by fixed values, references kept.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        files: dict[str, str] = {}
        schema = _renumber(json.loads(src.read("schema.json")), {}, files)
        entries = {"schema.json": json.dumps(schema, indent=2).encode()}
        for info in src.infolist():
            if info.filename != "schema.json":
                entries[files.get(info.filename, info.filename)] = src.read(info.filename)
        for name in sorted(entries, key=lambda n: (n != "schema.json", len(n), n)):
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, entries[name])
    return out.getvalue()


def model_bytes(model: object) -> bytes:
    """Serialise a fitted model with skops, byte-for-byte reproducibly.

    Parameters
    ----------
    model : object
        A fitted scikit-learn estimator or pipeline.

    Returns
    -------
    bytes
        The skops file's contents.
    """
    return _stable(_skops().dumps(model, compression=zipfile.ZIP_DEFLATED))


def untrusted_types(data: bytes) -> list[str]:
    """Return the types a skops file asks for that skops does not trust by default.

    Parameters
    ----------
    data : bytes
        Contents of a skops file.

    Returns
    -------
    list of str
        Fully qualified type names.

    Raises
    ------
    UnsafeModelError
        When the data is not a skops file (for instance a pickle or joblib file), or would
        inflate beyond the limits of :func:`check_archive`.
    """
    if data[:2] == b"\x80\x04" or data[:1] == b"\x80" or not zipfile.is_zipfile(io.BytesIO(data)):
        raise UnsafeModelError(
            "not a skops file: pickle and joblib files can run arbitrary code when loaded, "
            "so they are refused; convert the model with "
            "`skops.io.dump(model, 'model.skops')` in the environment that trusts it")
    check_archive(data)
    try:
        return list(_skops().get_untrusted_types(data=data))
    except Exception as exc:  # skops raises several types for corrupt archives
        raise UnsafeModelError(f"not a readable skops file: {exc}") from None


def _array_bytes(header: bytes) -> int | None:
    """Bytes of data a ``.npy`` header announces, or None when it is not a ``.npy`` header."""
    import numpy as np

    stream = io.BytesIO(header)
    try:
        version = np.lib.format.read_magic(stream)
        read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(stream)
    except (ValueError, OSError, SyntaxError):
        return None
    count = 1
    for size in shape:
        count *= int(size)
    return count * dtype.itemsize + stream.tell()


def check_archive(data: bytes) -> None:
    """Refuse a zip that would inflate beyond what a model needs, before skops opens it.

    Parameters
    ----------
    data : bytes
        Contents of a skops file (a zip).

    Raises
    ------
    UnsafeModelError
        With over :data:`MAX_MEMBERS` files, over :data:`MAX_UNPACKED` bytes unpacked, a
        member over 1 MiB inflating more than :data:`MAX_RATIO` times, or an array whose
        header announces more data than its file holds.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise UnsafeModelError(f"the model file holds {len(members):,} files, over the "
                                       f"limit of {MAX_MEMBERS:,}; refused")
            total = sum(m.file_size for m in members)
            if total > MAX_UNPACKED:
                raise UnsafeModelError(f"the model file unpacks to {total / 2**20:,.0f} MiB, "
                                       f"over the {MAX_UNPACKED / 2**20:,.0f} MiB limit; refused")
            for m in members:
                if m.file_size > _RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
                    raise UnsafeModelError(
                        f"the model file's member {m.filename!r} inflates "
                        f"{m.file_size / max(m.compress_size, 1):,.0f} times (limit "
                        f"{MAX_RATIO}), as a zip bomb does; refused")
                if m.filename.endswith(".npy"):
                    with archive.open(m) as member:
                        announced = _array_bytes(member.read(4096))
                    if announced is not None and announced > m.file_size:
                        raise UnsafeModelError(
                            f"the model file's array {m.filename!r} announces "
                            f"{announced:,} bytes but holds {m.file_size:,}; refused")
    except UnsafeModelError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsafeModelError(f"not a readable skops file: {exc}") from None


def _types(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("__module__"), str) and isinstance(node.get("__class__"), str):
            found.add(f"{node['__module__']}.{node['__class__']}")
        for value in node.values():
            _types(value, found)
    elif isinstance(node, list):
        for value in node:
            _types(value, found)


def requested_types(data: bytes) -> list[str]:
    """Return every type a skops file asks to build, without building any.

    Parameters
    ----------
    data : bytes
        Contents of a skops file.

    Returns
    -------
    list of str
        Fully qualified type names, sorted.

    Raises
    ------
    UnsafeModelError
        When the data is not a readable skops file.
    """
    untrusted_types(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnsafeModelError(f"not a readable skops file: {exc}") from None
    found: set[str] = set()
    _types(schema, found)
    return sorted(found)


def load_model_bytes(data: bytes, *, trusted: tuple[str, ...] = TRUSTED_TYPES) -> object:
    """Load a skops model, refusing any type outside ``trusted``.

    Parameters
    ----------
    data : bytes
        Contents of a skops file.
    trusted : tuple of str
        Types trusted on top of skops' defaults.

    Returns
    -------
    object
        The model.

    Raises
    ------
    UnsafeModelError
        When the file is not a skops file, would inflate beyond the limits of
        :func:`check_archive`, or asks for an untrusted type (named).
    TreeStructureError
        When a tree in the model is not a well-formed tree (see :func:`check_trees`).
    UnsafePartError
        When a part trusted only as plain data holds more (see :func:`check_parts`).
    """
    refused = [t for t in untrusted_types(data) if t not in trusted]
    if refused:
        raise UnsafeModelError(
            "the model file asks for type(s) outside the allow-list, refused: "
            + ", ".join(refused))
    try:
        model = _skops().loads(data, trusted=list(trusted))
    except Exception as exc:  # a corrupt archive fails in many ways inside skops
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise UnsafeModelError(f"the skops file could not be loaded: {first}") from None
    try:
        check_trees(model)
        check_parts(model)
    except BadInputError:
        raise
    except Exception as exc:  # a crafted object graph can hold anything where trees belong
        raise UnsafeModelError(f"the model's trees could not be checked: "
                               f"{type(exc).__name__}") from None
    return model


def load_model(path: str | Path, *, trusted: tuple[str, ...] = TRUSTED_TYPES) -> object:
    """Load a skops model file safely; see :func:`load_model_bytes`.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.skops`` file.
    trusted : tuple of str
        Types trusted on top of skops' defaults.

    Returns
    -------
    object
        The model.
    """
    return load_model_bytes(Path(path).read_bytes(), trusted=trusted)


def _lightgbm(data: bytes) -> object:
    """A LightGBM text model's estimator, or UnsafeModelError naming what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeModelError("not a LightGBM text model: the file is not UTF-8 text") from None
    try:
        return estimator_from_text(text)
    except LightGBMModelError as exc:
        raise UnsafeModelError(f"LightGBM text model refused: {exc}") from None


def _xgboost(data: bytes) -> object:
    """An XGBoost JSON model's estimator, or UnsafeModelError naming what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeModelError("not an XGBoost JSON model: the file is not UTF-8 text (save "
                               "it with Booster.save_model('model.json'))") from None
    try:
        return estimator_from_json(text)
    except XGBoostModelError as exc:
        raise UnsafeModelError(f"XGBoost JSON model refused: {exc}") from None


def _own_format(data: bytes, name: str) -> object | None:
    """The model of a LightGBM text or XGBoost JSON file by its suffix; None for skops."""
    if name.lower().endswith(LIGHTGBM_SUFFIX):
        return _lightgbm(data)
    if name.lower().endswith(XGBOOST_SUFFIX):
        return _xgboost(data)
    return None


def model_file_types(data: bytes, name: str) -> tuple[list[str], list[str]]:
    """Return the types a model file asks for and those of them that would be refused.

    Parameters
    ----------
    data : bytes
        Contents of the file.
    name : str
        File name: a ``.txt`` file is a LightGBM text model, a ``.json`` file an XGBoost
        JSON model, anything else a skops file.

    Returns
    -------
    asked : list of str
        Every type the file asks to build (for a LightGBM or XGBoost model, the estimator
        that holds it).
    refused : list of str
        The asked types outside :data:`TRUSTED_TYPES` and skops' defaults.

    Raises
    ------
    UnsafeModelError
        When the file is not a readable skops file, LightGBM text or XGBoost JSON model.
    """
    model = _own_format(data, name)
    if model is not None:
        return [f"{type(model).__module__}.{type(model).__qualname__}"], []
    asked = requested_types(data)
    return asked, [t for t in untrusted_types(data) if t not in TRUSTED_TYPES]


def load_model_file(data: bytes, name: str) -> object:
    """Load a model file a user brings: skops, LightGBM text or XGBoost JSON by its suffix.

    Parameters
    ----------
    data : bytes
        Contents of the file.
    name : str
        File name: a ``.txt`` file is read as a LightGBM text model (see
        :mod:`explain.lightgbm_text`), a ``.json`` file as an XGBoost JSON model (see
        :mod:`explain.xgboost_json`), anything else as a skops file
        (:func:`load_model_bytes`). Nothing is ever unpickled.

    Returns
    -------
    object
        The model, a scikit-learn estimator.

    Raises
    ------
    UnsafeModelError
        As :func:`load_model_bytes`, or for a malformed or unsupported LightGBM or XGBoost
        model.
    """
    model = _own_format(data, name)
    return model if model is not None else load_model_bytes(data)
