"""``python -m vmlab``: the same as the ``vmlab`` command (see :mod:`vmlab.cli`)."""

import sys

from vmlab.cli import main

if __name__ == "__main__":
    sys.exit(main())
