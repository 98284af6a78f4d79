"""The store tests use the bare-store fixture of the bridge tests."""

from ..bridge.conftest import proto_bare_store  # noqa: F401  (fixture)
