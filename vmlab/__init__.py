"""vmlab: a teaching workbook on VM migration and cloud resource provisioning.

The public API is re-exported here; the modules behind it are private details that may move.
"""

from vmlab import units
from vmlab.exercises import Feedback, check
from vmlab.results import publish_results, read_results

__version__ = "0.1.0"

__all__ = [
    "units",
    "check",
    "Feedback",
    "publish_results",
    "read_results",
]
