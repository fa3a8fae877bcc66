"""The per-call settings a hook takes, and the one rule for their values. Dependency-free, so that a task
checks its ``hook_params`` at DAG-parse time without loading the hooks' HTTP clients.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

#: The hooks' settings (``FivetranHook``/``FivetranAsyncHook`` keyword arguments, Airflow connection extras and
#: a task's ``hook_params``) and the kind of number each takes.
SETTING_KINDS: Mapping[str, type] = {
    "connect_timeout": float,
    "read_timeout": float,
    "max_attempts": int,
    "call_timeout": float,
}


def positive_number(value: Any, kind: type) -> float | int | None:
    """``value`` as a finite number of ``kind`` greater than 0, or ``None`` (a bool is no number here)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number <= 0:
        return None
    if kind is int:
        return int(number) if number.is_integer() else None
    return number


def expected(kind: type) -> str:
    """What a setting of ``kind`` must be, for a message."""
    return f"{'a whole number' if kind is int else 'a number'} greater than 0"
