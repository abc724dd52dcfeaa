"""Settings for the test suite: the test profile, a throw-away data dir."""

import os
import tempfile

os.environ.setdefault("REGIE_ENV", "test")
os.environ.setdefault("REGIE_DATA_DIR", os.path.join(tempfile.gettempdir(), "regie-test-data"))

from .settings import *  # noqa: F403
from .settings import STATIC_ROOT

STATIC_ROOT.mkdir(parents=True, exist_ok=True)
