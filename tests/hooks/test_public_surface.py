"""The package uses the http provider (and the Airflow hook classes it builds on) through public names only.

A protected or private name (``_set_base_url``, ``_process_extra_options_from_connection``, ``self._config``...)
is the provider's own business: any release may rename it or change what it does, and no version pin says
so. The scan reads every module of ``airflow_spotify_fivetran`` and fails on any private name of the
*installed* http provider that is imported, called, read, written or overridden there, and on any import of
a private name or module of another package. Names are collected from the provider's own source and classes,
so a private name a future release adds (one our subclasses happen to use as well) fails here, not in
production.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import airflow.providers.http
import pytest
from airflow.providers.http.hooks.http import HttpAsyncHook, HttpHook

import airflow_spotify_fivetran

PACKAGE = Path(airflow_spotify_fivetran.__file__).parent
OWN = "airflow_spotify_fivetran"


def _private(name: str) -> bool:
    """A leading underscore, not a dunder, not the throwaway ``_``."""
    return name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))


def _defined_names(tree: ast.Module) -> set[str]:
    """Private names a module defines: module-level and class-level definitions, and attributes it sets."""
    names: set[str] = set()
    bodies = [tree.body, *(node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef))]
    for body in bodies:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):  # self._x = ..., self._x: T (annotated, maybe never assigned)
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return {name for name in names if _private(name)}


def provider_private_names() -> frozenset[str]:
    """Every private name of the installed http provider, and of the classes its hooks inherit from."""
    names: set[str] = set()
    for path in Path(airflow.providers.http.__file__).parent.rglob("*.py"):
        names |= _defined_names(ast.parse(path.read_text(encoding="utf-8")))
    for hook in (HttpHook(), HttpAsyncHook()):
        for cls in type(hook).__mro__[:-1]:  # BaseHook, LoggingMixin...: not object
            names |= {name for name in vars(cls) if _private(name)}
            source = inspect.getsourcefile(cls)
            if source:
                names |= _defined_names(ast.parse(Path(source).read_text(encoding="utf-8")))
        names |= {name for name in vars(hook) if _private(name)}
    return frozenset(names)


def violations(source: str, private: frozenset[str], where: str = "<source>") -> Iterator[str]:
    """Each use in ``source`` of a name in ``private``, or of another package's private name or module."""
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == OWN:
                continue
            if any(_private(part) for part in node.module.split(".")):
                yield f"{line}: imports the private module {node.module}"
            for alias in node.names:
                if _private(alias.name):
                    yield f"{line}: imports the private name {alias.name} from {node.module}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != OWN and any(_private(p) for p in alias.name.split(".")):
                    yield f"{line}: imports the private module {alias.name}"
        elif isinstance(node, ast.Attribute) and node.attr in private:
            yield f"{line}: uses {node.attr}, private to the http provider or its base classes"
        elif isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and member.name in private:
                    yield f"{line}: class {node.name} overrides {member.name} of the http provider"


def test_the_package_uses_no_private_name_of_the_http_provider() -> None:
    private = provider_private_names()
    found = [
        problem
        for path in sorted(PACKAGE.rglob("*.py"))
        for problem in violations(
            path.read_text(encoding="utf-8"), private, str(path.relative_to(PACKAGE.parent))
        )
    ]
    assert found == []


# The scanner itself: what it must catch, and what it must let through.
CAUGHT = {
    "private-import": "from airflow.providers.http.hooks.http import _process_extra_options_from_connection",
    "private-module": "from airflow.sdk.definitions._internal.logging_mixin import LoggingMixin",
    "super-call": "class H(HttpHook):\n    def f(self, c):\n        super()._set_base_url(c)",
    "attribute-write": "class H(HttpHook):\n    def f(self):\n        self._srv_scheme = 'https'",
    "attribute-read": "def f(hook):\n    return hook._config",
    "override": "class H(HttpHook):\n    def _configure_session_from_extra(self, s, c, e):\n        return s",
}
ALLOWED = {
    "public-surface": (
        "from airflow.providers.http.hooks.http import HttpHook, SessionConfig\n"
        "class H(HttpHook):\n"
        "    def get_conn(self, headers=None, extra_options=None):\n"
        "        return self.get_connection(self.http_conn_id)\n"
        "    def _send(self):\n"
        "        self._our_session = None\n"
    ),
    "own-private-names": "from airflow_spotify_fivetran.hooks.connection_config import _url_problem",
}


@pytest.mark.parametrize("source", CAUGHT.values(), ids=CAUGHT.keys())
def test_the_scan_catches(source: str) -> None:
    assert list(violations(source, provider_private_names()))


@pytest.mark.parametrize("source", ALLOWED.values(), ids=ALLOWED.keys())
def test_the_scan_lets_public_use_through(source: str) -> None:
    assert list(violations(source, provider_private_names())) == []
