"""Hand out, collect and grade the workbook's notebooks: ``vmlab assign`` and ``vmlab grade``.

* :mod:`vmlab.grading.assign`: student and answer-key versions, per group (``--variants``) or
  per student (``--seed-per-student``), with assignment metadata in every notebook;
* :mod:`vmlab.grading.grade`: run each submission in a fresh kernel (papermill; local worker
  processes or a Dask cluster, as the sweep), check it for tampering, mark it against the key;
* :mod:`vmlab.grading.gradebook`: ``grades.csv``, per-student feedback, the written answers,
  and the per-exercise difficulty;
* :mod:`vmlab.grading.cells`: what both read and rewrite in a notebook's cells.

Why not otter-grader or nbgrader (both evaluated, versions 7.0.0 and 0.9.6): their tests are
code written into the master notebook with expected values typed in, one set per assignment, so
per-group and per-student parameters have no place; otter grades many submissions only in Docker
containers (``otter grade``; ``otter run`` takes one submission, with no time limit), nbgrader
grades one after the other into its own SQL gradebook and pins ``notebook<8`` and
``jupyter-client<9``. Neither runs on Dask. This workbook computes expected values from the
notebook's parameters in its exercise bank, so the glue is small: papermill, nbformat and the
sweep runner (parallel, Dask, resumable) do the work.
"""

from vmlab.grading.assign import AssignError, AssignSummary, build_assignment, read_roster, student_parameters
from vmlab.grading.grade import GradeError, GradeSummary, find_submissions, grade_submissions, load_key

__all__ = [
    "AssignError", "AssignSummary", "build_assignment", "read_roster", "student_parameters",
    "GradeError", "GradeSummary", "find_submissions", "grade_submissions", "load_key",
]
