"""`chatkit-bridge …` (also `python -m bridge …`): serve the bridge, or talk to a running one.

Modules: `entry` (the parser and `main`), `serve` (serve, migrate), `startup` (start-up
failures as plain lines), `client` (HTTP to a running bridge), `commands` (send, raw, threads,
items, tasks), `printer` (events and items as text).
"""

from .client import EXIT_HTTP, EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE, CliError, Spinner
from .entry import build_parser, main

__all__ = [
    "EXIT_HTTP",
    "EXIT_INTERRUPTED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "CliError",
    "Spinner",
    "build_parser",
    "main",
]
