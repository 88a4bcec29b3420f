"""Benchmark settings: the production settings plus one trivial view to compare the webhook endpoint against."""

from cohortstudio.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
