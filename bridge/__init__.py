"""chatkit-bridge: a self-hosted ChatKit backend."""

__version__ = "0.1.0"
