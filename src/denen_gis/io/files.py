"""Read and write layer files, and write any output atomically.

Formats, chosen by the file extension:

==============  =======================  ==========================
extension       format                   notes
==============  =======================  ==========================
``.gpkg``       GeoPackage               several layers per file
``.geojson``    GeoJSON                  ``.json`` too
``.parquet``    GeoParquet               ``.geoparquet`` too
``.shp``        ESRI Shapefile           sidecar ``.dbf/.shx/.prj``
==============  =======================  ==========================

Readers check the layer once with :func:`denen_gis.schema.validate_layer`.
Writers never leave a half-written file where a reader could find it: they
write to a temporary file in the same folder and rename it into place
(:func:`os.replace` is atomic on one file system), so a failure leaves any
existing file as it was and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from denen_gis.errors import InputError, short_reason
from denen_gis.io.temporaries import output_target, swap_into_place, track_temporary
from denen_gis.paths import refuse_special_file
from denen_gis.schema import validate_layer

__all__ = [
    "LAYER_EXTENSIONS",
    "atomic_path",
    "layer_format",
    "read_layer",
    "read_vector",
    "write_csv_atomic",
    "write_error",
    "write_layer",
    "write_layers",
    "write_text_atomic",
]

logger = logging.getLogger(__name__)

#: Format name of each extension that :func:`read_layer` and :func:`write_layer` accept.
LAYER_EXTENSIONS: dict[str, str] = {
    ".gpkg": "GPKG",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
    ".shp": "ESRI Shapefile",
}

_SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# Spatial indexes of an older shapefile: removed on replace, as they would not match.
_SHAPEFILE_INDEXES = (".qix", ".sbn", ".sbx")

# Code pages that a .cpg file may name, as Python codecs.
_CPG_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "sjis": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "cp932": "cp932",
    "932": "cp932",
    "ansi 932": "cp932",
    "windows-31j": "cp932",
}


def layer_format(path: str | os.PathLike[str]) -> str:
    """The format name (a value of :data:`LAYER_EXTENSIONS`) of a layer file path.

    Raises
    ------
    InputError
        When the extension is not one of :data:`LAYER_EXTENSIONS`.

    Examples
    --------
    >>> layer_format("grid.gpkg")
    'GPKG'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in LAYER_EXTENSIONS:
        msg = (
            f"{path}: unknown layer file extension {suffix or '(none)'!r}; "
            f"use one of {', '.join(sorted(LAYER_EXTENSIONS))}"
        )
        raise InputError(msg)
    return LAYER_EXTENSIONS[suffix]


def _check_exists(path: Path) -> None:
    refuse_special_file(path)
    if not path.exists() or path.is_dir():
        what = "is a folder, not a layer file" if path.exists() else "file not found; check it"
        raise InputError(f"{path}: {what}")


def _decode_shapefile_text(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Decode text columns read as Latin-1 (byte for byte) as UTF-8, else CP932.

    Shapefiles without a ``.cpg`` file do not say their encoding; older
    Japanese ones are Shift_JIS/CP932 and newer ones UTF-8. Reading the bytes
    as Latin-1 keeps them intact, so each encoding can be tried in turn.
    """
    text_cols = [
        c
        for c in frame.columns
        if c != frame.geometry.name
        and (pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c]))
    ]
    if not text_cols:
        return frame
    raw = {
        c: [v.encode("latin-1") if isinstance(v, str) else v for v in frame[c]] for c in text_cols
    }
    for codec in ("utf-8", "cp932"):
        try:
            decoded = {
                c: [v.decode(codec) if isinstance(v, bytes) else v for v in values]
                for c, values in raw.items()
            }
        except UnicodeDecodeError:
            continue
        out = frame.copy()
        for c, values in decoded.items():
            out[c] = pd.Series(values, index=frame.index, dtype=object)
        logger.info("%s: no .cpg file; attribute text decoded as %s", path, codec)
        return out
    for c, values in raw.items():
        for row, v in enumerate(values):
            if not isinstance(v, bytes):
                continue
            try:
                v.decode("cp932")
            except UnicodeDecodeError:
                msg = (
                    f"{path}: column {c!r} row {row} is neither UTF-8 nor Shift_JIS/CP932 text; "
                    "add a .cpg file naming the encoding"
                )
                raise InputError(msg) from None
    msg = f"{path}: attribute text is neither UTF-8 nor CP932; add a .cpg file naming the encoding"
    raise InputError(msg)


def _shapefile_codec(path: Path) -> str | None:
    cpg = path.with_suffix(".cpg")
    if not cpg.is_file():
        cpg = path.with_suffix(".CPG")
    if not cpg.is_file():
        return None
    name = cpg.read_text(encoding="ascii", errors="replace").strip().lower()
    return _CPG_CODECS.get(name, name)


def read_vector(path: str | os.PathLike[str], *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file as it is, without schema checks.

    Shapefiles without a ``.cpg`` file are decoded as UTF-8 when that works
    and as CP932 (Shift_JIS) otherwise; a ``.cpg`` file is obeyed.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.geojson``/``.json``, ``.parquet``/``.geoparquet`` or
        ``.shp`` file.
    layer
        Layer name in a multi-layer GeoPackage. When omitted, a file with a
        single layer is read; several layers are an error listing them.

    Raises
    ------
    InputError
        Missing, unreadable or unknown file, naming it.
    """
    path = Path(path)
    fmt = layer_format(path)
    _check_exists(path)
    try:
        if fmt == "Parquet":
            if layer is not None:
                logger.info("%s: GeoParquet has one layer; ignoring layer=%r", path, layer)
            return gpd.read_parquet(path)
        if fmt == "ESRI Shapefile":
            codec = _shapefile_codec(path)
            if codec is None:
                frame = pyogrio.read_dataframe(path, encoding="ISO-8859-1")
                return _decode_shapefile_text(frame, path)
            return pyogrio.read_dataframe(path, encoding=codec)
        if layer is None:
            layers = pyogrio.list_layers(path)
            if len(layers) > 1:
                names = [str(n) for n in layers[:, 0]]
                msg = f"{path}: holds {len(names)} layers {names}; name the one to read"
                raise InputError(msg)
        return pyogrio.read_dataframe(path, layer=layer)
    except InputError:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read it as {fmt} ({reason})"
        raise InputError(msg) from exc
    except (OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read it as {fmt} ({reason})"
        raise InputError(msg) from exc
    except Exception as exc:  # pyarrow raises its own ArrowInvalid (a ValueError) and others
        msg = f"{path}: cannot read it as {fmt} ({type(exc).__name__}: {exc})"
        raise InputError(msg) from exc


def read_layer(
    path: str | os.PathLike[str], kind: str, *, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read a layer file and check it against the ``kind`` schema.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.geojson``/``.json``, ``.parquet``/``.geoparquet`` or
        ``.shp`` file.
    kind
        Schema name (see :data:`denen_gis.schema.SCHEMAS`), e.g. ``"population"``.
    layer
        Layer inside a GeoPackage. When omitted and the file has several
        layers, the one named ``kind`` is read if there is one.

    Returns
    -------
    geopandas.GeoDataFrame
        The validated layer in EPSG:6668.

    Raises
    ------
    InputError
        Missing, unreadable or unknown file, or a layer that fails the
        schema; the message names the file.

    Examples
    --------
    >>> import tempfile, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame({"landing_id": ["a"], "name": ["Naoetsu"]},
    ...                      geometry=[Point(138.25, 37.18)], crs=6668)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = write_layer(g, f"{d}/landings.gpkg", kind="landings")
    ...     read_layer(f"{d}/landings.gpkg", "landings")["name"].tolist()
    ['Naoetsu']
    """
    path = Path(path)
    if layer is None and layer_format(path) == "GPKG":
        _check_exists(path)
        try:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        except pyogrio.errors.DataSourceError as exc:
            msg = f"{path}: cannot read it as a GeoPackage ({str(exc).splitlines()[0]})"
            raise InputError(msg) from exc
        if len(names) > 1 and kind in names:
            layer = kind
    frame = read_vector(path, layer=layer)
    return validate_layer(frame, kind, source=str(path) if layer is None else f"{path}:{layer}")


def _temp_name(path: Path, tag: str = "tmp") -> Path:
    return path.with_name(f".{path.stem}.{tag}-{uuid.uuid4().hex[:8]}{path.suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    The temporary path keeps the extension of ``path`` (so format detection
    by extension works) and does not exist yet. On an exception inside the
    block it is deleted and the exception re-raised; ``path`` is untouched.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with atomic_path(Path(d) / "out.txt") as tmp:
    ...         _ = tmp.write_text("done")
    ...     (Path(d) / "out.txt").read_text()
    'done'
    """
    path = output_target(path)
    if not path.parent.is_dir():
        msg = f"{path}: the folder {path.parent} does not exist; create it first"
        raise InputError(msg)
    tmp = _temp_name(path)
    with track_temporary(tmp):
        try:
            yield tmp
            if not tmp.exists():
                msg = f"{path}: nothing was written"
                raise InputError(msg)
            os.replace(tmp, path)
        finally:
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            elif tmp.exists():
                tmp.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (temporary file, then rename)."""
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding=encoding)
    except OSError as exc:
        raise write_error(Path(path), exc) from exc


def _write_one(frame: gpd.GeoDataFrame, path: Path, fmt: str, layer: str) -> None:
    if fmt == "Parquet":
        frame.to_parquet(path)
    else:
        pyogrio.write_dataframe(
            frame,
            path,
            driver=fmt,
            layer=layer,
            encoding="UTF-8" if fmt == "ESRI Shapefile" else None,
        )


#: First characters that make a spreadsheet read a CSV cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse_formula(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv_atomic(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as UTF-8 CSV atomically, with text cells safe for spreadsheets.

    A text cell that starts with ``= + - @`` (or a tab or carriage return) is
    prefixed with ``'`` so that Excel or LibreOffice shows it as text instead of
    running it as a formula (CSV injection). Numbers are written as they are.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     frame = pd.DataFrame({"name": ["=1+1", "Oki"], "n": [-1, 2]})
    ...     write_csv_atomic(frame, Path(d) / "t.csv")
    ...     print((Path(d) / "t.csv").read_text().split())
    ['name,n', "'=1+1,-1", 'Oki,2']
    """
    path = Path(path)
    text_cols = [
        c
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    ]
    safe = frame.copy()
    for col in text_cols:
        safe[col] = safe[col].map(_defuse_formula)
    try:
        with atomic_path(path) as tmp:
            safe.to_csv(tmp, index=False)
    except OSError as exc:
        raise write_error(path, exc) from exc


def _written_rows(path: Path, fmt: str, layer: str) -> int:
    """Rows in a freshly written file, read back from the file itself."""
    if fmt == "Parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    kwargs = {} if fmt in ("ESRI Shapefile", "GeoJSON") else {"layer": layer}
    return int(pyogrio.read_info(path, **kwargs)["features"])


def _verify_written(path: Path, fmt: str, layer: str, rows: int) -> None:
    """Raise OSError unless ``path`` reads back with ``rows`` rows.

    GDAL can write empty files without raising when the disk is full (a
    shapefile's sidecars are then all 0 bytes), so nothing replaces an older
    file before the new one has been read back.
    """
    try:
        found = _written_rows(path, fmt, layer)
    except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        msg = f"the new file does not read back ({str(exc).splitlines()[0]})"
        raise OSError(errno.EIO, msg) from None
    if found != rows:
        msg = f"the new file reads back {found} rows instead of {rows}"
        raise OSError(errno.EIO, msg)


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path) -> None:
    # A shapefile is several files: write them all in a temporary folder and
    # read them back; then swap the set in (io.temporaries.swap_into_place: the
    # old set moved aside, the new set moved in, the old set dropped, rolled
    # back on any error or stop), so the sidecars are replaced together and a
    # good file is never lost.
    path = output_target(path)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{path.stem}.tmp-", dir=path.parent))
    with track_temporary(tmp_dir):
        try:
            tmp = tmp_dir / path.name
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", RuntimeWarning)
                _write_one(frame, tmp, "ESRI Shapefile", path.stem)
            written = {p.suffix.lower() for p in tmp_dir.iterdir()}
            missing = [s for s in (".shp", ".shx", ".dbf") if s not in written]
            if missing:
                raise OSError(errno.EIO, f"the new file lacks {', '.join(missing)}")
            _verify_written(tmp, "ESRI Shapefile", path.stem, len(frame))
            backup = tmp_dir / "old"
            backup.mkdir()
            olds = {
                path.with_suffix(s): backup / path.with_suffix(s).name
                for s in (*_SHAPEFILE_SIDECARS, *_SHAPEFILE_INDEXES)
            }
            news = [s for s in _SHAPEFILE_SIDECARS if s in written]
            pairs = [(tmp.with_suffix(s), path.with_suffix(s)) for s in news]
            swap_into_place(pairs, olds)
        finally:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    _note_laundered(path, caught)


def _note_laundered(path: Path, caught: list[warnings.WarningMessage]) -> None:
    """One log line for the field names GDAL cut to a Shapefile's 10 characters.

    GDAL says so as one Python warning per field, which would put several
    unformatted lines on stderr; said once, and only after the file is written.
    """
    cut = [str(w.message).split(": ", 1)[-1] for w in caught if "laundered" in str(w.message)]
    if cut:
        logger.warning("%s: Shapefile field names cut to 10 characters: %s", path, "; ".join(cut))


# What GDAL, pyarrow and the OS raise when a write fails (full disk, read-only folder, ...).
_WRITE_ERRORS = (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError)


def write_error(path: Path, exc: Exception) -> InputError:
    """The one-line :class:`InputError` for a failed write of ``path``."""
    reason = getattr(exc, "strerror", None) or short_reason(str(exc)) or type(exc).__name__
    msg = f"{path}: cannot write it ({reason}); check that the folder is writable and has space"
    return InputError(msg)


def write_layer(
    frame: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    layer: str | None = None,
) -> Path:
    """Write a layer atomically, in the format given by the extension of ``path``.

    Parameters
    ----------
    frame
        The layer.
    path
        Output file (``.gpkg``, ``.geojson``/``.json``, ``.parquet``/``.geoparquet``, ``.shp``).
        An existing file is replaced as a whole (a GeoPackage loses its other
        layers; use :func:`write_layers` for several).
    kind
        When given, the frame is first checked against that schema (and
        transformed to EPSG:6668).
    layer
        Layer name inside a GeoPackage; defaults to ``kind``, else the file stem.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    InputError
        Unknown extension, missing folder, a layer that fails the ``kind``
        schema, or an operating-system error while writing (the old file is
        kept).
    """
    path = Path(path)
    fmt = layer_format(path)
    if kind is not None:
        frame = validate_layer(frame, kind, source=f"layer for {path}")
    name = layer or kind or path.stem
    try:
        if fmt == "ESRI Shapefile":
            if not output_target(path).parent.is_dir():
                msg = f"{path}: the folder {path.parent} does not exist; create it first"
                raise InputError(msg)
            _write_shapefile(frame, path)
        else:
            with atomic_path(path) as tmp:
                _write_one(frame, tmp, fmt, name)
                _verify_written(tmp, fmt, name, len(frame))
    except _WRITE_ERRORS as exc:
        raise write_error(path, exc) from exc
    logger.info("wrote %d rows to %s", len(frame), path)
    return path


def write_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    path: str | os.PathLike[str],
    *,
    kinds: Mapping[str, str] | None = None,
) -> Path:
    """Write several layers into one GeoPackage atomically.

    Parameters
    ----------
    layers
        Layer name -> frame, written in that order.
    path
        A ``.gpkg`` file; an existing one is replaced as a whole.
    kinds
        Layer name -> schema kind, to validate those layers before writing.
    """
    path = Path(path)
    if layer_format(path) != "GPKG":
        msg = f"{path}: several layers need a GeoPackage (.gpkg) output"
        raise InputError(msg)
    kinds = dict(kinds or {})
    checked = {
        name: validate_layer(frame, kinds[name], source=f"layer {name!r} for {path}")
        if name in kinds
        else frame
        for name, frame in layers.items()
    }
    try:
        with atomic_path(path) as tmp:
            for name, frame in checked.items():
                pyogrio.write_dataframe(frame, tmp, driver="GPKG", layer=name)
            for name, frame in checked.items():
                _verify_written(tmp, "GPKG", name, len(frame))
    except _WRITE_ERRORS as exc:
        raise write_error(path, exc) from exc
    logger.info("wrote layers %s to %s", list(checked), path)
    return path
