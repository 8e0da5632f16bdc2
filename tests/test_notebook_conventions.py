"""Every workbook notebook follows the template that ``vmlab sweep``, nbval and the reader rely on.

For each ``notebooks/NN_*.ipynb``:

* the first cell is a markdown title ``# NN · Title`` whose number matches the file name;
* exactly one code cell is tagged ``parameters`` and it holds only plain typed literal
  assignments (``BANDWIDTH_MIB_S: float = 119.2  # 1 Gbit/s``), parsed with ``ast``;
* papermill's parameter inspector sees every one of them (it skips a line with a second ``=``,
  e.g. one in the comment), so ``vmlab sweep`` and ``papermill -p`` can set them all;
* exactly one code cell is tagged ``results`` and it calls ``publish_results(...)``;
* nothing executed is stored: no outputs, no execution counts, no widget state.

The checker itself is tested on small synthetic notebooks below, so these tests can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
TITLE = re.compile(r"^# (\d\d) · \S")


def _tagged(nb, tag: str) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])]


def _literal_assignment_problems(source: str) -> tuple[list[str], list[str]]:
    """(problems, names) of a parameters cell: only ``NAME: type = literal`` statements allowed."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return [f"parameters cell does not parse: {exc.msg} (line {exc.lineno})"], []
    problems, names = [], []
    for node in tree.body:
        line = ast.get_source_segment(source, node) or ""
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            problems.append(f"parameters cell line {node.lineno} is not a typed assignment `NAME: type = value`: {line!r}")
            continue
        try:
            ast.literal_eval(node.value)
        except ValueError:
            problems.append(f"parameters cell: {node.target.id} is not set to a plain literal: {line!r}")
            continue
        names.append(node.target.id)
    if not names and not problems:
        problems.append("parameters cell is empty")
    return problems, names


def convention_problems(path: Path) -> list[str]:
    """Everything ``path`` does wrong against the notebook conventions (empty list: all good)."""
    nb = nbformat.read(str(path), as_version=4)
    problems = []
    match = re.match(r"(\d\d)_", path.name)
    first = nb.cells[0] if nb.cells else None
    heading = first.source.strip().splitlines()[0] if first is not None and first.source.strip() else ""
    title = TITLE.match(heading) if first is not None and first.cell_type == "markdown" else None
    if title is None:
        problems.append(f"first cell must be a markdown title '# NN · Title', found {heading[:60]!r}")
    elif match and title.group(1) != match.group(1):
        problems.append(f"title number {title.group(1)} does not match the file number {match.group(1)}")

    parameters = _tagged(nb, "parameters")
    if len(parameters) != 1:
        problems.append(f"needs exactly one code cell tagged 'parameters', found {len(parameters)}")
    else:
        found, names = _literal_assignment_problems(parameters[0].source)
        problems += found
        if names:
            import papermill as pm

            seen = set(pm.inspect_notebook(str(path)))
            hidden = [n for n in names if n not in seen]
            if hidden:
                problems.append(
                    f"papermill cannot see parameter(s) {', '.join(hidden)} (a second '=' on the line, "
                    "e.g. in its comment?); reword so each line has one '='"
                )

    results = _tagged(nb, "results")
    if len(results) != 1:
        problems.append(f"needs exactly one code cell tagged 'results', found {len(results)}")
    elif "publish_results(" not in results[0].source:
        problems.append("the 'results' cell must call publish_results(...)")

    if "widgets" in nb.metadata:
        problems.append("notebook metadata stores widget state ('widgets'); strip it")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} stores outputs; clear them")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} stores an execution count; clear it")
    return problems


def test_the_workbook_has_notebooks():
    assert PATHS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_follows_the_conventions(path):
    problems = convention_problems(path)
    assert not problems, f"{path.name}:\n  - " + "\n  - ".join(problems)


# --------------------------------------------------------------------------- the checker itself
def _write(tmp_path: Path, name: str, cells: list, **metadata) -> Path:
    nb = new_notebook(cells=cells)
    nb.metadata.update(metadata)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def _good_cells() -> list:
    return [
        new_markdown_cell("# 07 · A good notebook\n\nText."),
        new_code_cell('RATE_MIB_S: float = 119.2  # 1 Gbit/s link\nNAME: str = "x"\nSTEPS: int = -3\n',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import vmlab"),
        new_code_cell("vmlab.publish_results(rate=RATE_MIB_S)", metadata={"tags": ["results"]}),
    ]


def test_the_checker_accepts_a_good_notebook(tmp_path):
    assert convention_problems(_write(tmp_path, "07_good.ipynb", _good_cells())) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda c: c.__setitem__(0, new_markdown_cell("# 08 · Wrong number")), "does not match the file number"),
        (lambda c: c.__setitem__(0, new_markdown_cell("# Untitled")), "first cell must be a markdown title"),
        (lambda c: c.pop(1), "exactly one code cell tagged 'parameters', found 0"),
        (lambda c: c.append(new_code_cell("X: int = 1", metadata={"tags": ["parameters"]})), "found 2"),
        (lambda c: c.__setitem__(1, new_code_cell("RATE: float = 2 * 60.0", metadata={"tags": ["parameters"]})),
         "not set to a plain literal"),
        (lambda c: c.__setitem__(1, new_code_cell("RATE = 60.0", metadata={"tags": ["parameters"]})),
         "not a typed assignment"),
        (lambda c: c.__setitem__(1, new_code_cell("import math\nR: float = 1.0", metadata={"tags": ["parameters"]})),
         "not a typed assignment"),
        (lambda c: c.__setitem__(1, new_code_cell("R: float = 1.0  # R = 1 MiB/s", metadata={"tags": ["parameters"]})),
         "papermill cannot see parameter(s) R"),
        (lambda c: c.pop(3), "tagged 'results', found 0"),
        (lambda c: c.__setitem__(3, new_code_cell("print(1)", metadata={"tags": ["results"]})), "must call publish_results"),
        (lambda c: c[2].__setitem__("execution_count", 4), "execution count"),
        (lambda c: c[2].__setitem__("outputs", [nbformat.v4.new_output("stream", text="hi")]), "stores outputs"),
    ],
)
def test_the_checker_catches_each_mistake(tmp_path, change, expected):
    cells = _good_cells()
    change(cells)
    problems = convention_problems(_write(tmp_path, "07_bad.ipynb", cells))
    assert any(expected in p for p in problems), problems


def test_the_checker_catches_stored_widget_state(tmp_path):
    path = _write(tmp_path, "07_w.ipynb", _good_cells(), widgets={"application/vnd.jupyter.widget-state+json": {}})
    assert any("widget state" in p for p in convention_problems(path))
