"""Every workbook notebook follows the template that ``vmlab sweep``, nbval and the reader rely on.

For each ``notebooks/NN_*.ipynb``:

* the first cell is a markdown title ``# NN · Title`` whose number matches the file name;
* exactly one code cell is tagged ``parameters`` and it holds only plain typed literal
  assignments (``BANDWIDTH_MIB_S: float = 119.2  # 1 Gbit/s``), parsed with ``ast``;
* papermill's parameter inspector sees every one of them (it skips a line with a second ``=``,
  e.g. one in the comment), so ``vmlab sweep`` and ``papermill -p`` can set them all;
* exactly one code cell is tagged ``results`` and it calls ``publish_results(...)``;
* nothing executed is stored: no outputs, no execution counts, no widget state;

and, for what a student meets (``teaching_problems``):

* no bare ``assert`` in a notebook (statements are confirmed with ``vl.claim``), no ``expected=``
  (``vl.check`` looks the expected value up in the exercise bank), no "the seed";
* every exercise of the notebook's bank is checked in the notebook, once, in a cell tagged
  ``exercise`` followed by its ``vl.solution`` cell (tagged ``solution``, input hidden); no check of
  an exercise the bank does not know;
* the ``results`` cell's input is hidden;
* the Overview states ``**Time to learn:** N minutes · **Track:** core|optional``; a core notebook
  takes at most 45 minutes and has at most 2,000 words of prose outside sections marked
  "(optional)"; the stated time is within 10 minutes of an estimate from its words, exercises,
  figures and explorers (``estimated_minutes``).

The checkers themselves are tested on small synthetic notebooks below, so these tests can fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
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


# ---------------------------------------------------------------------- what a student meets
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")
SOLUTION_CALL = re.compile(r"""\bsolution\(\s*["']([^"']+)["']""")
TIME = re.compile(r"\*\*Time to learn:\*\*\s*(?:about\s+)?(\d+)\s*min", re.I)
TRACK = re.compile(r"\*\*Track:\*\*\s*(core|optional)", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.M)
CORE_MAX_MINUTES = 45
CORE_MAX_WORDS = 2000


def prose_words(nb, *, core_only: bool = True) -> int:
    """Words of markdown, leaving out sections whose heading says "(optional)" when ``core_only``."""
    words = 0
    optional_level = None  # heading level of the optional section we are in
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        pos = 0
        text = cell.source
        pieces = []
        for m in HEADING.finditer(text):
            pieces.append((text[pos:m.start()], None))
            pieces.append((m.group(0), (len(m.group(1)), "(optional)" in m.group(2).lower())))
            pos = m.end()
        pieces.append((text[pos:], None))
        for chunk, heading in pieces:
            if heading is not None:
                level, optional = heading
                if optional_level is not None and level <= optional_level:
                    optional_level = None
                if optional and core_only and optional_level is None:
                    optional_level = level
            if optional_level is None or not core_only:
                words += len(chunk.split())
    return words


def estimated_minutes(nb) -> float:
    """What a newcomer needs: reading at 120 words/min, 3 min per exercise, 1 per static figure, 4 per explorer."""
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    exercises = sum(len(CHECK_CALL.findall(s)) for s in code)
    figures = sum(s.count(".show()") for s in code)
    explorers = len(_tagged(nb, "explorer"))
    return prose_words(nb) / 120 + 3 * exercises + figures + 4 * explorers


def teaching_problems(path: Path) -> list[str]:
    """Everything in ``path`` that stands in a student's way (empty list: all good)."""
    from vmlab.exercises.bank import exercises_of

    nb = nbformat.read(str(path), as_version=4)
    problems = []
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, cell in code_cells:
        if re.search(r"^\s*assert\b", cell.source, re.M):
            problems.append(f"cell {i} has a bare assert (confirm the statement with vl.claim(...) instead)")
        if re.search(r"\bexpected\s*=", cell.source):
            problems.append(f"cell {i} shows an expected value (expected=...): vl.check looks it up in the bank")
    text = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if re.search(r"\bthe seed\b", text, re.I):
        problems.append("the text says 'the seed'; students know it as the lecture notes / the course text")

    bank = [ex.id for ex in exercises_of(path.stem)]
    checked = [(i, m) for i, c in code_cells for m in CHECK_CALL.findall(c.source)]
    ids = [m for _, m in checked]
    for ex_id in bank:
        if ids.count(ex_id) != 1:
            problems.append(f"exercise {ex_id} is checked {ids.count(ex_id)} times (once expected)")
    for i, ex_id in checked:
        if ex_id not in bank:
            problems.append(f"cell {i} checks exercise {ex_id!r}, which the bank has not got for {path.stem}")
            continue
        if "exercise" not in nb.cells[i].metadata.get("tags", []):
            problems.append(f"cell {i} (exercise {ex_id}) is not tagged 'exercise'")
        nxt = next((c for c in nb.cells[i + 1:] if c.cell_type == "code"), None)
        if nxt is None or SOLUTION_CALL.findall(nxt.source) != [ex_id] or "solution" not in nxt.metadata.get("tags", []):
            problems.append(f"exercise {ex_id}: the next code cell must be its vl.solution({ex_id!r}), tagged 'solution'")
        elif not nxt.metadata.get("jupyter", {}).get("source_hidden"):
            problems.append(f"exercise {ex_id}: hide the input of its solution cell (metadata.jupyter.source_hidden)")
    for cell in _tagged(nb, "results"):
        if not cell.metadata.get("jupyter", {}).get("source_hidden"):
            problems.append("hide the input of the 'results' cell (metadata.jupyter.source_hidden): it is not for students")

    overview = nb.cells[0].source if nb.cells else ""
    time, track = TIME.search(overview), TRACK.search(overview)
    if time is None or track is None:
        problems.append("the Overview must state '**Time to learn:** N minutes · **Track:** core' (or optional)")
    else:
        minutes, core = int(time.group(1)), track.group(1).lower() == "core"
        estimate = estimated_minutes(nb)
        if core and minutes > CORE_MAX_MINUTES:
            problems.append(f"a core notebook takes at most {CORE_MAX_MINUTES} minutes; this one says {minutes}")
        if abs(minutes - estimate) > 10:
            problems.append(f"'Time to learn' says {minutes} min, the estimate is {estimate:.0f} min: say it honestly")
        words = prose_words(nb)
        if words > CORE_MAX_WORDS:
            problems.append(f"{words} words of prose outside optional sections (at most {CORE_MAX_WORDS})")
    return problems


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
def test_notebook_puts_the_student_first(path):
    problems = teaching_problems(path)
    assert not problems, f"{path.name}:\n  - " + "\n  - ".join(problems)


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


# ------------------------------------------------------------------- the teaching checker itself
def _teaching_cells(**overrides) -> list:
    title = overrides.get("title", "# 02 · Cold\n\n**Time to learn:** 20 minutes · **Track:** core")
    return [
        new_markdown_cell(title),
        new_code_cell("DISK_GIB: float = 40.0", metadata={"tags": ["parameters"]}),
        new_code_cell("import vmlab as vl"),
        *[
            cell
            for ex in ("2a", "2b", "2c", "2d", "2e", "2f")
            for cell in (
                new_code_cell(f"answer = ...\nvl.check({ex!r}, answer)", metadata={"tags": ["exercise"]}),
                new_code_cell(f"vl.solution({ex!r})", metadata={"tags": ["solution"], "jupyter": {"source_hidden": True}}),
            )
        ],
        new_code_cell("vl.publish_results(x=1)", metadata={"tags": ["results"], "jupyter": {"source_hidden": True}}),
    ]


def test_the_teaching_checker_accepts_a_good_notebook(tmp_path):
    assert teaching_problems(_write(tmp_path, "02_cold_migration.ipynb", _teaching_cells())) == []


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda c: c.append(new_code_cell("assert 1 == 1")), "bare assert"),
        (lambda c: c.append(new_code_cell("vl.check('2a', 1, expected=2)")), "checked 2 times"),
        (lambda c: c.append(new_code_cell("x = dict(expected=2)")), "shows an expected value"),
        (lambda c: c.append(new_markdown_cell("As the seed says")), "the seed"),
        (lambda c: c.pop(3), "exercise 2a is checked 0 times"),
        (lambda c: c.append(new_code_cell("vl.check('9z', 1)", metadata={"tags": ["exercise"]})), "bank has not got"),
        (lambda c: c[3].metadata.__setitem__("tags", []), "not tagged 'exercise'"),
        (lambda c: c.pop(4), "must be its vl.solution('2a')"),
        (lambda c: c[4].metadata.pop("jupyter"), "hide the input of its solution cell"),
        (lambda c: c[-1].metadata.pop("jupyter"), "hide the input of the 'results' cell"),
        (lambda c: c.__setitem__(0, new_markdown_cell("# 02 · Cold")), "must state '**Time to learn:**"),
        (lambda c: c.__setitem__(0, new_markdown_cell("# 02 · C\n**Time to learn:** 50 min · **Track:** core")),
         "at most 45 minutes"),
        (lambda c: c.__setitem__(0, new_markdown_cell("# 02 · C\n**Time to learn:** 5 min · **Track:** core")),
         "say it honestly"),
        (lambda c: c.insert(1, new_markdown_cell("word " * 2001)), "words of prose"),
    ],
)
def test_the_teaching_checker_catches_each_mistake(tmp_path, change, expected):
    cells = _teaching_cells()
    change(cells)
    problems = teaching_problems(_write(tmp_path, "02_cold_migration.ipynb", cells))
    assert any(expected in p for p in problems), problems


def test_optional_sections_do_not_count_as_core_prose():
    nb = new_notebook(cells=[
        new_markdown_cell("# 07 · X\n\none two"),
        new_markdown_cell("## Deep dive (optional)\n\n" + "word " * 50 + "\n### Sub\n\nmore words"),
        new_markdown_cell("## Summary\n\nthree four five"),
    ])
    assert prose_words(nb) == 4 + 2 + 2 + 3  # "# 07 · X", "one two", "## Summary", "three four five"
    assert prose_words(nb, core_only=False) > 50


MAP_ROW = re.compile(r"^\|\s*\[(\d\d) · [^\]]+\]\((\d\d_[a-z0-9_]+\.ipynb)\)\s*\|[^|]*\|\s*(core|optional)\s*\|\s*(\d+) min\s*\|", re.M)


def test_the_map_in_00_lists_every_notebook_with_its_track_and_time():
    nb = nbformat.read(str(NOTEBOOKS / "00_start_here.ipynb"), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    rows = {m.group(2): (m.group(3), int(m.group(4))) for m in MAP_ROW.finditer(text)}
    for path in PATHS:
        assert path.name in rows, f"00's map does not list {path.name}"
        overview = nbformat.read(str(path), as_version=4).cells[0].source
        minutes, track = int(TIME.search(overview).group(1)), TRACK.search(overview).group(1).lower()
        assert rows[path.name] == (track, minutes), (
            f"00's map says {path.name} is {rows[path.name]}, the notebook says ({track!r}, {minutes})"
        )
    for name in rows:
        assert (NOTEBOOKS / name).exists(), f"00's map lists {name}, which does not exist"
