"""The simulator's tests use the same simulator fixtures as the provider's tests
(:mod:`tests.helpers.simulator_fixtures`, which ``tests/conftest.py`` imports too).

They are imported, not written again, so that one session records every exchange of every simulator, the
provider's tests included, in one list: ``test_conformance`` (marked ``simulator_conformance``, run last)
validates them all against Fivetran's OpenAPI. The hooks come along for ``pytest simulator/tests`` alone,
where ``tests/conftest.py`` is not a conftest of the session; when it is, running them twice changes nothing.

This directory has no ``__init__.py`` (a package here would also be named ``tests``): pytest puts it on
``sys.path``, so the test modules import ``builders`` directly, and ``tests.*`` resolves to the repository's
``tests`` package through ``pythonpath = ["."]`` in the root ``pyproject.toml``.
"""

from __future__ import annotations

from tests.helpers.simulator_fixtures import (
    _simulator_server,
    pytest_collection_modifyitems,
    pytest_configure,
    simulator,
    simulator_exchanges,
    simulator_factory,
    simulator_http,
)

__all__ = [
    "_simulator_server",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "simulator",
    "simulator_exchanges",
    "simulator_factory",
    "simulator_http",
]
