"""Settings of bench/data.py's server: the production settings with the benchmark's URL
table (bench/minimal_urls.py), which adds the minimal authenticated view."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.minimal_urls"
