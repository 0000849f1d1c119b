"""``python -m evalcorr.experiment``: run the controlled-transfer experiment (see ``--help``)."""

import sys

from evalcorr.experiment.cli import main

sys.exit(main())
