"""The todo tests run turns with the agent tests' fixtures."""

from ..agent.conftest import make_turn, settings, store, thread  # noqa: F401  (fixtures)
