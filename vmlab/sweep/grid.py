"""Sweep grids: read ``GRID.yaml``, check it against a notebook's ``parameters`` cell, expand it.

A grid file is YAML, read with ``yaml.safe_load`` (so a Python object tag such as
``!!python/object/apply:os.system`` is refused, never executed). Two spellings:

The short one maps parameter names to lists; the sweep runs their cartesian product::

    DIRTY_RATE_MIB_S: [0.0, 25.0, 50.0, 100.0]
    BANDWIDTH_MIB_S: [119.2, 1192.0]

The long one has up to six keys::

    notebook: ../01_live_migration.ipynb   # which notebook the grid is for (relative to this file)
    description: downtime against dirty rate for two links
    grid:                                   # cartesian product, first name varies slowest
      DIRTY_RATE_MIB_S: [0.0, 25.0, 50.0]
      BANDWIDTH_MIB_S: [119.2, 1192.0]
    cases:                                  # explicit cases, run after the product
      - {id: group-a, BANDWIDTH_MIB_S: 50.0}  # ``id`` names the case (e.g. a student group)
      - {DIRTY_RATE_MIB_S: 10.0}
    fixed:                                  # the same value for every case
      MEMORY_MIB: 2048
    metrics: [downtime_ms, total_time_s]    # results `vmlab report` draws (default: all numeric)

Every name must be a parameter of the notebook's ``parameters`` cell and every value must have
the type of that parameter (its annotation, else its default's type). An ``int`` is accepted for
a ``float`` parameter (and becomes a float); ``1e3`` (a string in YAML 1.1) is accepted for a
``float``. Everything else that does not match is an error, and all errors are reported together
before anything runs.

Examples
--------
>>> spec = ParameterSpec("BANDWIDTH_MIB_S", "float", "119.2", "MiB/s")
>>> spec.coerce(100, "grid.BANDWIDTH_MIB_S[0]")
100.0
>>> spec.coerce("fast", "grid.BANDWIDTH_MIB_S[1]")
Traceback (most recent call last):
...
vmlab.sweep.grid.GridError: grid.BANDWIDTH_MIB_S[1]: parameter 'BANDWIDTH_MIB_S' is a float (default 119.2); got 'fast' (str)
>>> case_id({"DIRTY_RATE_MIB_S": 25.0, "LABEL": "group a"})
'dirty_rate_mib_s=25.0__label=group-a'
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "GridError",
    "ParameterSpec",
    "Grid",
    "Case",
    "load_grid",
    "parse_grid",
    "parse_cli_value",
    "notebook_parameters",
    "expand_cases",
    "case_id",
]

RESERVED_KEYS = ("notebook", "description", "grid", "cases", "fixed", "metrics")
"""Top-level keys of the long grid spelling."""
CASE_ID_KEY = "id"
"""Key of an explicit case that names it (``runs/<id>.ipynb``)."""
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+-]{0,119}$")
_MAX_ID = 120


class GridError(ValueError):
    """A grid that cannot run: bad YAML, unknown parameter, wrong type, empty list, duplicates."""


# --------------------------------------------------------------------------- parameter specs
_SIMPLE_TYPES: dict[str, type] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "tuple": list,  # YAML has no tuples; papermill writes lists
    "dict": dict,
}


def _parse_annotation(type_name: str) -> tuple[type | None, bool]:
    """``"float | None"`` -> ``(float, True)``; unknown annotations -> ``(None, ...)``."""
    text = (type_name or "").strip().strip("'\"")
    optional = False
    match = re.fullmatch(r"(?:typing\.)?Optional\[(.+)\]", text)
    if match:
        text, optional = match.group(1).strip(), True
    parts = [p.strip() for p in text.split("|")] if "|" in text else [text]
    if len(parts) > 1:
        if "None" in parts:
            optional = True
            parts = [p for p in parts if p != "None"]
        if len(parts) != 1:
            return None, optional  # a real union: accept anything
    base = parts[0].split("[", 1)[0].strip()
    base = {"List": "list", "Dict": "dict", "Tuple": "tuple"}.get(base, base)
    return _SIMPLE_TYPES.get(base), optional


@dataclass(frozen=True)
class ParameterSpec:
    """One parameter of a notebook's ``parameters`` cell, as ``papermill.inspect_notebook`` sees it.

    Parameters
    ----------
    name : str
        The variable name.
    type_name : str
        The annotation papermill inferred (``"float"``, ``"int | None"``; ``"None"`` when absent).
    default : str
        The default as written in the cell (source text).
    help : str
        The trailing comment (units, meaning).
    """

    name: str
    type_name: str
    default: str
    help: str = ""
    expected: type | None = field(init=False, compare=False, repr=False)
    optional: bool = field(init=False, compare=False, repr=False)
    default_value: Any = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        try:
            default_value = ast.literal_eval(self.default)
        except (ValueError, SyntaxError, TypeError):
            default_value = _NOT_LITERAL
        expected, optional = _parse_annotation(self.type_name)
        if expected is None and default_value is not _NOT_LITERAL and default_value is not None:
            expected = list if isinstance(default_value, tuple) else type(default_value)
            if expected not in _SIMPLE_TYPES.values():
                expected = None
        if default_value is None:
            optional = True
        object.__setattr__(self, "expected", expected)
        object.__setattr__(self, "optional", optional)
        object.__setattr__(self, "default_value", default_value)

    @property
    def type_label(self) -> str:
        """Readable type, e.g. ``"float"`` or ``"float or None"``."""
        label = self.expected.__name__ if self.expected else "any literal"
        return f"{label} or None" if self.optional and self.expected else label

    def coerce(self, value: Any, where: str) -> Any:
        """Return ``value`` converted to this parameter's type, or raise :class:`GridError`."""
        if value is None:
            if self.optional or self.expected is None:
                return None
            self._fail(value, where)
        kind = self.expected
        if kind is None:
            return value
        if kind is bool:
            if isinstance(value, bool):
                return value
            self._fail(value, where, " (YAML spells booleans true/false)")
        if kind is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            self._fail(value, where)
        if kind is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if isinstance(value, str):  # YAML 1.1 reads 1e3 (no dot) as a string
                try:
                    return float(value)
                except ValueError:
                    pass
            self._fail(value, where)
        if kind is str:
            if isinstance(value, str):
                return value
            self._fail(value, where, " (quote it in YAML to make it a string)")
        if kind is list:
            if isinstance(value, (list, tuple)):
                return list(value)
            self._fail(value, where, " (a list parameter needs a list of lists in a grid)")
        if kind is dict:
            if isinstance(value, Mapping):
                return dict(value)
            self._fail(value, where)
        return value  # pragma: no cover - every _SIMPLE_TYPES entry is handled above

    def _fail(self, value: Any, where: str, hint: str = "") -> None:
        raise GridError(
            f"{where}: parameter {self.name!r} is {_article(self.type_label)} {self.type_label} (default {self.default}); "
            f"got {value!r} ({type(value).__name__}){hint}"
        )


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


class _NotLiteral:
    def __repr__(self) -> str:
        return "<not a literal>"


_NOT_LITERAL = _NotLiteral()


def notebook_parameters(notebook: str | Path) -> dict[str, ParameterSpec]:
    """The notebook's parameters (name -> :class:`ParameterSpec`), in cell order, via papermill.

    Raises :class:`GridError` when the notebook has no cell tagged ``parameters``.
    """
    import papermill as pm

    path = Path(notebook)
    if not path.is_file():
        raise GridError(f"notebook {str(notebook)!r} does not exist")
    try:
        found = pm.inspect_notebook(str(path))
    except Exception as exc:  # papermill raises several types for unreadable notebooks
        raise GridError(f"cannot read notebook {str(notebook)!r}: {exc}") from exc
    specs = {
        name: ParameterSpec(name, info.get("inferred_type_name") or "None", info.get("default") or "None", info.get("help") or "")
        for name, info in found.items()
    }
    # papermill's line parser skips a line with two '=' (e.g. one in its comment); papermill
    # still injects such a parameter, so read those lines with ast instead of calling them unknown.
    for name, (annotation, default) in _ast_parameters(path).items():
        specs.setdefault(name, ParameterSpec(name, annotation, default))
    if not specs:
        raise GridError(
            f"notebook {path.name!r} has no parameters to sweep: it needs a code cell tagged "
            "'parameters' with typed assignments such as `BANDWIDTH_MIB_S: float = 119.2`"
        )
    return specs


def _ast_parameters(path: Path) -> dict[str, tuple[str, str]]:
    """Top-level assignments of the first ``parameters`` cell: name -> (annotation, default source)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            source = cell.source
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return {}
            found = {}
            for node in tree.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                    found[node.target.id] = (
                        ast.get_source_segment(source, node.annotation) or "None",
                        ast.get_source_segment(source, node.value) or "None",
                    )
                elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    found[node.targets[0].id] = ("None", ast.get_source_segment(source, node.value) or "None")
            return found
    return {}


# --------------------------------------------------------------------------- grid files
@dataclass(frozen=True)
class Grid:
    """A parsed (not yet validated) grid: axes for the product, explicit cases, fixed values."""

    axes: dict[str, list[Any]] = field(default_factory=dict)
    cases: list[dict[str, Any]] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)
    notebook: Path | None = None
    description: str = ""
    metrics: list[str] = field(default_factory=list)
    source: str = "grid"


@dataclass(frozen=True)
class Case:
    """One run of the notebook: its id (file name in ``runs/``) and its parameters."""

    case_id: str
    parameters: dict[str, Any]


def load_grid(path: str | Path) -> Grid:
    """Read a grid file with ``yaml.safe_load``; raise :class:`GridError` on anything malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GridError(f"cannot read grid file {str(path)!r}: {exc.strerror or exc}") from exc
    return parse_grid(text, source=path.name, base=path.parent)


def parse_grid(text: str, *, source: str = "grid", base: Path | None = None) -> Grid:
    """Parse grid YAML text (see the module docstring for the format)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise GridError(
            f"{source} is not a valid grid: {exc}\n(grids are read with yaml.safe_load, which "
            "refuses Python object tags such as !!python/object)"
        ) from exc
    if data is None:
        raise GridError(f"{source} is empty: give parameter names mapped to lists of values")
    if not isinstance(data, Mapping):
        raise GridError(
            f"{source} must be a mapping (NAME: [values] or grid:/cases:/fixed:), got {type(data).__name__}"
        )
    for key in data:
        if not isinstance(key, str):
            raise GridError(f"{source}: keys must be parameter names, got {key!r}")
    reserved = [k for k in data if k in RESERVED_KEYS]
    if not reserved:  # the short spelling: everything is an axis
        return Grid(axes=_axes(data, source), source=source)
    stray = [k for k in data if k not in RESERVED_KEYS]
    if stray:
        raise GridError(
            f"{source}: unexpected top-level key(s) {', '.join(map(repr, stray))}; with "
            f"{', '.join(map(repr, reserved))} present the allowed keys are {', '.join(RESERVED_KEYS)} "
            "(put parameters under 'grid:', 'cases:' or 'fixed:')"
        )
    axes = _axes(data.get("grid") or {}, f"{source}: grid", nested=True)
    cases_raw = data.get("cases") or []
    if not isinstance(cases_raw, list):
        raise GridError(f"{source}: 'cases' must be a list of mappings, got {type(cases_raw).__name__}")
    cases = []
    for i, case in enumerate(cases_raw):
        if not isinstance(case, Mapping):
            raise GridError(f"{source}: cases[{i}] must be a mapping NAME: value, got {case!r}")
        cases.append(dict(case))
    fixed = data.get("fixed") or {}
    if not isinstance(fixed, Mapping):
        raise GridError(f"{source}: 'fixed' must be a mapping NAME: value, got {type(fixed).__name__}")
    notebook = data.get("notebook")
    if notebook is not None and not isinstance(notebook, str):
        raise GridError(f"{source}: 'notebook' must be a path (string), got {notebook!r}")
    description = data.get("description") or ""
    metrics = data.get("metrics") or []
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise GridError(f"{source}: 'metrics' must be a list of result names, got {metrics!r}")
    return Grid(
        axes=axes,
        cases=cases,
        fixed=dict(fixed),
        notebook=(base / notebook if base is not None else Path(notebook)) if notebook else None,
        description=str(description),
        metrics=list(metrics),
        source=source,
    )


def _axes(data: Any, where: str, nested: bool = False) -> dict[str, list[Any]]:
    if not isinstance(data, Mapping):
        raise GridError(f"{where} must map parameter names to lists of values, got {type(data).__name__}")
    axes = {}
    for name, values in data.items():
        if not isinstance(name, str):
            raise GridError(f"{where}: keys must be parameter names, got {name!r}")
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise GridError(f"{where}: {name} has an empty list of values; give at least one")
        axes[name] = values
    return axes


def parse_cli_value(text: str) -> Any:
    """A ``-p NAME VALUE`` value, read like YAML (``50`` int, ``1.5`` float, ``true`` bool, else str).

    >>> parse_cli_value("50"), parse_cli_value("1.5"), parse_cli_value("true"), parse_cli_value("fast")
    (50, 1.5, True, 'fast')
    """
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return text if isinstance(value, Mapping) and not text.strip().startswith("{") else value


# --------------------------------------------------------------------------- expansion
def expand_cases(
    grid: Grid,
    specs: Mapping[str, ParameterSpec],
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> list[Case]:
    """Check ``grid`` (and ``-p`` overrides) against ``specs``; return the cases, in run order.

    ``overrides`` maps a name to the raw ``-p`` strings given for it: one value pins the
    parameter for every case (replacing a grid axis of that name), several make it an axis.
    Raises :class:`GridError` listing every problem found; nothing is returned half-checked.
    """
    errors: list[str] = []
    valid = list(specs)

    def check_name(name: str, where: str) -> bool:
        if name in specs:
            return True
        close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        if not close:
            close = [v for v in valid if v.lower() == name.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        errors.append(
            f"{where}: unknown parameter {name!r}{hint} The notebook's parameters are: {', '.join(valid)}"
        )
        return False

    def coerce(name: str, value: Any, where: str) -> Any:
        try:
            return specs[name].coerce(value, where)
        except GridError as exc:
            errors.append(str(exc))
            return None

    src = grid.source
    axes: dict[str, list[Any]] = {}
    for name, values in grid.axes.items():
        if check_name(name, f"{src}: grid"):
            axes[name] = [coerce(name, v, f"{src}: grid.{name}[{i}]") for i, v in enumerate(values)]
    fixed: dict[str, Any] = {}
    for name, value in grid.fixed.items():
        if name in grid.axes:
            errors.append(f"{src}: {name!r} is both a grid axis and fixed; keep one")
        elif check_name(name, f"{src}: fixed"):
            fixed[name] = coerce(name, value, f"{src}: fixed.{name}")
    explicit: list[tuple[str | None, dict[str, Any]]] = []
    for i, case in enumerate(grid.cases):
        named = case.get(CASE_ID_KEY)
        if named is not None and (not isinstance(named, str) or not _ID_RE.match(named)):
            errors.append(
                f"{src}: cases[{i}].id {named!r} must be a name of letters, digits and . _ = + - "
                f"(at most {_MAX_ID} characters, starting with a letter or digit)"
            )
        values = {}
        for name, value in case.items():
            if name == CASE_ID_KEY:
                continue
            if check_name(name, f"{src}: cases[{i}]"):
                values[name] = coerce(name, value, f"{src}: cases[{i}].{name}")
        explicit.append((named, values))
    pinned: dict[str, Any] = {}
    for name, raw_values in (overrides or {}).items():
        if not check_name(name, "-p"):
            continue
        kind = specs[name].expected
        values = [raw if kind is str else parse_cli_value(raw) for raw in raw_values]
        values = [coerce(name, v, f"-p {name} {raw}") for v, raw in zip(values, raw_values)]
        if len(values) == 1:
            pinned[name] = values[0]
        else:
            axes[name] = values
        fixed.pop(name, None)
        if len(values) == 1:
            axes.pop(name, None)
    if errors:
        raise GridError(_error_text(errors))

    cases: list[Case] = []
    id_names = [n for n in specs if n in axes or any(n in c for _, c in explicit)]
    if axes:
        names = list(axes)
        for combo in itertools.product(*(axes[n] for n in names)):
            params = {**fixed, **dict(zip(names, combo)), **pinned}
            cases.append(Case("", _ordered(params, specs)))
    for named, values in explicit:
        params = {**fixed, **values, **pinned}
        cases.append(Case(named or "", _ordered(params, specs)))
    if not cases:
        if not fixed and not pinned:
            raise GridError(f"{src} has no cases: give parameter names mapped to lists of values")
        cases.append(Case("", _ordered({**fixed, **pinned}, specs)))

    ids = [c.case_id or case_id({n: c.parameters[n] for n in id_names if n in c.parameters}) for c in cases]
    ids = _unique_ids(ids, cases)
    seen: dict[str, int] = {}
    for i, case in enumerate(cases):
        key = json.dumps(case.parameters, sort_keys=True)
        if key in seen and not (case.case_id and cases[seen[key]].case_id):  # two named groups may share values
            errors.append(
                f"{src}: case {i + 1} ({ids[i]}) repeats case {seen[key] + 1} ({ids[seen[key]]}) "
                "with the same parameters"
            )
        seen.setdefault(key, i)
    named_ids = [c.case_id for c in cases if c.case_id]
    for dup in sorted({n for n in named_ids if named_ids.count(n) > 1}):
        errors.append(f"{src}: case id {dup!r} is used by more than one case")
    if errors:
        raise GridError(_error_text(errors))
    return [Case(i, c.parameters) for i, c in zip(ids, cases)]


def _error_text(errors: list[str]) -> str:
    if len(errors) == 1:
        return errors[0]
    return f"{len(errors)} problems:\n" + "\n".join(f"  - {e}" for e in errors)


def _ordered(params: Mapping[str, Any], specs: Mapping[str, ParameterSpec]) -> dict[str, Any]:
    return {n: params[n] for n in specs if n in params}


def _slug(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True)
    slug = re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-")
    return slug or "empty"


def case_id(parameters: Mapping[str, Any]) -> str:
    """A stable, readable case id from the parameters that vary (``name=value`` joined by ``__``).

    Long ids are cut and end with a short hash of the parameters, so they stay unique.
    """
    if not parameters:
        return "defaults"
    text = "__".join(f"{name.lower()}={_slug(value)}" for name, value in parameters.items())
    if len(text) > _MAX_ID:
        digest = hashlib.sha256(json.dumps(parameters, sort_keys=True).encode()).hexdigest()[:8]
        text = text[: _MAX_ID - 9].rstrip("_=-") + "~" + digest
    return text


def _unique_ids(ids: list[str], cases: list[Case]) -> list[str]:
    """Add a short parameter hash to generated ids that collide after slugging."""
    out = list(ids)
    for dup in {i for i in ids if ids.count(i) > 1}:
        for k, (cid, case) in enumerate(zip(ids, cases)):
            if cid == dup and not case.case_id:
                digest = hashlib.sha256(json.dumps(case.parameters, sort_keys=True).encode()).hexdigest()[:8]
                out[k] = f"{cid[: _MAX_ID - 9]}~{digest}"
    return out
