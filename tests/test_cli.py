"""The ``vmlab`` command: subcommands, exit codes and clear errors (no kernels start here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vmlab.cli import build_parser, main

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOK = str(FIXTURES / "sweep_fixture.ipynb")
ROOT = Path(__file__).resolve().parents[1]


def test_python_dash_m_vmlab_lists_the_subcommands():
    done = subprocess.run([sys.executable, "-m", "vmlab", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "sweep" in done.stdout and "report" in done.stdout
    done = subprocess.run([sys.executable, "-m", "vmlab", "sweep", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    for option in ("--grid", "--out", "--workers", "--scheduler", "-p NAME VALUE", "--force", "--retry-failed"):
        assert option in done.stdout


def test_the_console_script_is_installed():
    script = shutil.which("vmlab", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the package is not installed in this environment (pip install -e .)")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("vmlab ")


def test_no_subcommand_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "sweep" in capsys.readouterr().err


def test_a_typo_fails_before_anything_runs(tmp_path, capsys):
    grid = tmp_path / "typo.yaml"
    grid.write_text("STEPZ: [1, 2]\n")
    out = tmp_path / "out"
    assert main(["sweep", NOTEBOOK, "--grid", str(grid), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter 'STEPZ'" in err and "did you mean 'STEPS'" in err
    assert "RATE_MIB_S, STEPS, LABEL, SLEEP_S" in err and "nothing was run" in err
    assert not out.exists()


def test_unsafe_yaml_and_bad_values_are_refused(tmp_path, capsys):
    grid = tmp_path / "evil.yaml"
    grid.write_text('STEPS: !!python/object/apply:os.system ["echo pwned"]\n')
    assert main(["sweep", NOTEBOOK, "--grid", str(grid), "--out", str(tmp_path / "o")]) == 2
    assert "safe_load" in capsys.readouterr().err
    assert main(["sweep", NOTEBOOK, "-p", "STEPS", "two", "--out", str(tmp_path / "o")]) == 2
    assert "-p STEPS two: parameter 'STEPS' is an int (default 3); got 'two' (str)" in capsys.readouterr().err
    assert main(["sweep", NOTEBOOK, "--out", str(tmp_path / "o")]) == 2
    assert "nothing to sweep" in capsys.readouterr().err
    assert main(["sweep", str(tmp_path / "missing.ipynb"), "-p", "X", "1", "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", NOTEBOOK, "--out", "o", "--workers", "0"], "must be a whole number >= 1, got '0'"),
        (["sweep", NOTEBOOK, "--out", "o", "--workers", "2", "--scheduler", "tcp://h:8786"], "not allowed with argument"),
        (["sweep", NOTEBOOK, "--out", "o", "--timeout", "-1"], "must be a number of seconds > 0"),
        (["sweep", NOTEBOOK], "--out"),
    ],
)
def test_argument_errors_name_the_option(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_report_of_a_folder_without_a_sweep_is_an_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "holds no sweep" in capsys.readouterr().err


def test_report_writes_the_page(tmp_path, capsys):
    from tests.test_sweep_report import make_sweep

    out = make_sweep(tmp_path / "s")
    assert main(["report", str(out), "--plotlyjs", "cdn", "--metric", "time_s"]) == 0
    assert capsys.readouterr().out.strip() == str(out / "report.html")
    assert (out / "report.html").read_text().count('class="figure"') == 3


# ------------------------------------------------------------------ the instructor commands
def test_help_lists_the_instructor_commands():
    text = build_parser().format_help()
    for command in ("assign", "grade", "book"):
        assert command in text
    sub = subprocess.run([sys.executable, "-m", "vmlab", "grade", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    for option in ("--key", "--out", "--workers", "--scheduler", "--timeout", "--force"):
        assert option in sub.stdout


def test_assign_errors_name_the_problem_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["assign", str(tmp_path / "missing.ipynb"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err and not out.exists()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["assign", "--out", "o", "--variants", "g.yaml", "--seed-per-student", "r.csv"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_assign_builds_student_and_key_versions(tmp_path, capsys):
    notebook = ROOT / "notebooks" / "02_cold_migration.ipynb"
    assert main(["assign", str(notebook), "--out", str(tmp_path / "a")]) == 0
    assert (tmp_path / "a" / "student" / notebook.name).is_file() and (tmp_path / "a" / "key" / notebook.name).is_file()
    assert "1 notebook(s) built" in capsys.readouterr().err


def test_grade_without_a_key_is_an_error(tmp_path, capsys):
    (tmp_path / "subs").mkdir()
    assert main(["grade", str(tmp_path / "subs"), "--key", str(tmp_path), "--out", str(tmp_path / "g.csv"), "--quiet"]) == 2
    assert "holds no assignment.json" in capsys.readouterr().err
