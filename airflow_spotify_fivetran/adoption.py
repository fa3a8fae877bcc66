"""What the create task does with a connection that already exists: a pure plan, decided before anything is
done, so that ``plan_only`` says exactly what a real run does.

The create task finds a connection with the requested schema in the group and adopts it. What follows
depends on the drift (:func:`~airflow_spotify_fivetran.drift.compute_drift`) and the task's parameters:

* drift in a field Fivetran cannot change (``config.schema``, ``config.timeframe_months``): fail, saying
  why, whatever ``on_drift`` says;
* other drift: ``on_drift="update"`` sends it in one PATCH, ``"fail"`` fails listing it, ``"ignore"``
  leaves it as it is (said as a warning);
* ``reauthorize``: the request's ``auth`` is sent too, with ``run_setup_tests`` (new credentials repair a
  broken connection only once the tests ran on them); a request without ``auth`` has nothing to send (said
  as a warning).

Pure: no I/O, no Airflow, nothing but the standard library and ``drift`` (the create operator imports it
when a DAG file is parsed). The operator carries an :class:`Adoption` out, or logs :meth:`Adoption.plan_log`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from airflow_spotify_fivetran.drift import Drift, compute_drift, why_immutable

OnDrift = Literal["update", "fail", "ignore"]
ON_DRIFT_CHOICES: tuple[OnDrift, ...] = ("update", "fail", "ignore")


@dataclass(frozen=True)
class Adoption:
    """What a real run does with an existing connection: fail with ``failure``, or send ``patch`` (which may
    be empty: nothing to send), saying ``warnings`` first.

    ``patch`` may hold the request's ``auth``: it is left out of the ``repr`` and never logged, only its keys.
    """

    connection_id: str
    drift: Drift
    failure: str | None = None
    patch: Mapping[str, Any] = field(default_factory=dict, repr=False)
    drift_left: bool = False
    """``on_drift="ignore"`` leaves mutable drift as it is."""
    nothing_to_reauthorize: bool = False
    """``reauthorize`` was asked, but the request holds no ``auth``."""

    def warnings(self, *, plan_only: bool = False) -> list[str]:
        """What the task warns about before it sends the PATCH (or, in a plan, would)."""
        said = []
        if self.drift_left:
            verb = "Plan only: would leave" if plan_only else "Leaving"
            said.append(f"{verb} the drift of connection {self.connection_id} as it is (on_drift='ignore')")
        if self.nothing_to_reauthorize:
            said.append("reauthorize=True but the request holds no auth: nothing to re-authorize")
        return said

    def plan_log(self) -> list[tuple[int, str]]:
        """What ``plan_only`` logs instead of doing it: ``(logging level, message)`` pairs."""
        if self.failure is not None:
            return [(logging.WARNING, f"Plan only: would fail: {self.failure}")]
        return [
            *((logging.WARNING, warning) for warning in self.warnings(plan_only=True)),
            (logging.INFO, f"Plan only: would PATCH {sorted(self.patch) or 'nothing'}"),
        ]


def plan_adoption(
    connection_id: str,
    desired: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    on_drift: OnDrift = "update",
    ignore: Iterable[str] = (),
    compare_paused: bool = False,
    reauthorize: bool = False,
) -> Adoption:
    """Decide what adopting the existing connection means (see the module doc).

    :param desired: the create body asked for (``NewSpotifyAdsConnection.to_wire()``, secrets revealed).
    :param actual: the existing connection as Fivetran answers it (JSON shape).
    :param on_drift: ``update``, ``fail`` or ``ignore`` mutable drift.
    :param ignore: wire paths never compared (``compute_drift``).
    :param compare_paused: compare ``paused`` too (``compute_drift``).
    :param reauthorize: also send the request's ``auth``, with ``run_setup_tests``.
    """
    drift = compute_drift(desired, actual, ignore=ignore, compare_paused=compare_paused)
    if drift.immutable:
        reasons = "; ".join(f"{item.field} cannot change: {why_immutable(item)}" for item in drift.immutable)
        failure = (
            f"Connection {connection_id} differs from the request in fields Fivetran cannot change. "
            f"{reasons}. Create a connection with another schema name instead."
        )
        return Adoption(connection_id, drift, failure=failure)
    if drift.mutable and on_drift == "fail":
        failure = f"Connection {connection_id} differs from the request (on_drift='fail'):\n{drift.table()}"
        return Adoption(connection_id, drift, failure=failure)
    drift_left = bool(drift.mutable) and on_drift == "ignore"
    patch: dict[str, Any] = {} if drift_left else dict(drift.patch)
    has_credentials = "auth" in desired
    if reauthorize and has_credentials:
        patch["auth"] = desired["auth"]
        patch["run_setup_tests"] = True
    return Adoption(
        connection_id,
        drift,
        patch=patch,
        drift_left=drift_left,
        nothing_to_reauthorize=reauthorize and not has_credentials,
    )
