"""Settings for the DRF anchor: Regie's own settings (same middleware, database,
connection reuse), but a URLconf with only the one-row endpoint, so the anchor is
never among the product's routes."""

from regie.settings import *  # noqa: F403

ROOT_URLCONF = "bench.anchor_app"
