"""From pydantic's ``ValidationError`` to our :class:`FivetranInputError`, and the pieces validators share.

* :func:`path_of` turns pydantic's ``loc`` into the path users read: ``config.report_list[1].fields[0]``.
* :func:`to_input_error` lists EVERY problem of a ``ValidationError`` as an :class:`InputProblem`, with a
  message that says what is allowed, and never a secret: the values ``models.secrets`` calls secret (under
  ``auth``, and any ``refresh_token`` or ``client_secret``) become ``'******'``; the value of an unknown
  field is never echoed (it may be a misspelt secret).
* :func:`validate_input` is the one place a model is built from user input and the error converted.
* :func:`rule_error` and :func:`strict_enum` raise the errors our own validators report.

Imports only pydantic, the standard library and our ``exceptions``, ``enums`` and ``secrets`` modules.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from airflow_spotify_fivetran.exceptions import FivetranInputError, InputProblem
from airflow_spotify_fivetran.models.enums import allowed_values, closest_value, known
from airflow_spotify_fivetran.models.secrets import CREDENTIALS_KEY, is_secret_key, is_secret_path

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound=BaseModel)

Loc = tuple[str | int, ...]

MASK = "******"
"""What a secret looks like in messages (and what Fivetran echoes in answers)."""

RULE_ERROR_TYPE = "fivetran_rule"
"""pydantic error type of the problems our own validators report."""

_ERROR_TITLE = "Fivetran spotify_ads input"


class Issue(NamedTuple):
    """A problem found by a check that looks at several fields at once; ``loc`` is relative to the model."""

    loc: Loc
    message: str
    value: Any = None


def rule_error(message: str) -> PydanticCustomError:
    """A pydantic error carrying ``message`` verbatim (no ``{}`` formatting is applied to it)."""
    return PydanticCustomError(RULE_ERROR_TYPE, message)


def issues_error(title: str, errors: Iterable[InitErrorDetails]) -> ValidationError:
    """A ``ValidationError`` of several located problems (pydantic prefixes the locs of nested models)."""
    return ValidationError.from_exception_data(title, list(errors), hide_input=True)


def details_of(exc: ValidationError) -> list[InitErrorDetails]:
    """The errors of ``exc`` in a form that can be raised again together with more (see ``RequestModel``)."""
    return [
        InitErrorDetails(
            type=PydanticCustomError(err["type"], err["msg"]), loc=tuple(err["loc"]), input=err["input"]
        )
        for err in exc.errors(include_url=False)
    ]


def issue_details(issues: Iterable[Issue]) -> list[InitErrorDetails]:
    """``Issue``s as raisable pydantic error details."""
    return [InitErrorDetails(type=rule_error(i.message), loc=i.loc, input=i.value) for i in issues]


def strict_enum(enum_cls: type[E]) -> Callable[[Any], E]:
    """A before-validator accepting a member of ``enum_cls`` or its exact value, refusing anything else.

    The message names the bad value and every allowed one, plus a likely intended value
    (``'CLIKS' is not allowed; allowed: CLICKS, COMPLETES, ... (did you mean 'CLICKS'?)``).
    """
    allowed = allowed_values(enum_cls)

    def check(value: Any) -> E:
        member = known(enum_cls, value)
        if member is not None:
            return member
        hint = closest_value(enum_cls, value) if isinstance(value, str) else None
        tail = f" (did you mean {hint!r}?)" if hint else ""
        raise rule_error(f"{value!r} is not allowed; allowed: {allowed}{tail}")

    return check


def path_of(loc: Iterable[str | int]) -> str:
    """``('config', 'report_list', 1, 'fields', 0)`` -> ``'config.report_list[1].fields[0]'``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def masked(value: Any) -> Any:
    """``value`` with every secret in it replaced by ``'******'`` (dicts and lists are walked)."""
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, BaseModel):
        return masked(value.model_dump())
    if isinstance(value, Mapping):
        return {
            k: (MASK if (is_secret_key(k) or k == CREDENTIALS_KEY) and v is not None else masked(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [masked(v) for v in value]
    return value


def _shown(value: Any, loc: Loc) -> Any:
    if is_secret_path(p for p in loc if isinstance(p, str)):
        return None if value is None else MASK
    return masked(value)


def _unwrap_models(tp: Any) -> list[type[BaseModel]]:
    """The model classes inside an annotation (through ``X | None``, ``list[X]``, ``Annotated``)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    found: list[type[BaseModel]] = []
    if typing.get_origin(tp) is not None or isinstance(tp, types.UnionType):
        for arg in typing.get_args(tp):
            found += _unwrap_models(arg)
    return found


def _model_at(root: type[BaseModel] | None, loc: Loc) -> type[BaseModel] | None:
    current = root
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = next(
            (f for name, f in current.model_fields.items() if part in (name, f.alias)),
            None,
        )
        if field is None:
            return None
        inner = _unwrap_models(field.annotation)
        current = inner[0] if inner else None
    return current


def _field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items() if not f.exclude]


def _message(err: Mapping[str, Any], loc: Loc, root: type[BaseModel] | None) -> str:
    kind = err["type"]
    value = err["input"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        owner = _model_at(root, loc[:-1])
        names = _field_names(owner) if owner is not None else []
        name = str(loc[-1]) if loc else ""
        hint = difflib.get_close_matches(name, names, n=1, cutoff=0.6) if names else []
        text = "is not a known field"
        if hint:
            return f"{text} (did you mean {hint[0]!r}?)"
        return f"{text}; allowed here: {', '.join(names)}" if names else text
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false (a boolean), not {_shown(value, loc)!r}"
    if kind in ("string_type", "string_sub_type"):
        return f"must be a string, not {type(value).__name__}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number, not {_shown(value, loc)!r}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, not {type(value).__name__}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be an object (a dict of fields), not {type(value).__name__}"
    if kind == "frozen_instance":
        return "cannot be changed: the model is immutable (build a new one)"
    return str(err["msg"])


def problems_of(exc: ValidationError, *, model: type[BaseModel] | None = None) -> list[InputProblem]:
    """Every error of ``exc`` as an :class:`InputProblem` (path, readable message, masked value)."""
    problems: list[InputProblem] = []
    seen: set[tuple[str, str]] = set()
    for err in exc.errors(include_url=False):
        loc: Loc = tuple(err["loc"])
        kind = err["type"]
        value = None if kind in ("missing", "extra_forbidden") else _shown(err["input"], loc)
        problem = InputProblem(path=path_of(loc), message=_message(err, loc, model), value=value)
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            problems.append(problem)
    return problems


def to_input_error(
    exc: ValidationError, *, what: str, model: type[BaseModel] | None = None
) -> FivetranInputError:
    """``exc`` as a :class:`FivetranInputError` listing every problem (``model`` names allowed fields)."""
    return FivetranInputError(problems_of(exc, model=model), what=what)


def validate_input(model: type[M], data: Any, *, what: str) -> M:
    """``model`` validated from ``data`` (a dict shaped like Fivetran's JSON).

    Raises:
        FivetranInputError: ``data`` is not a dict, or breaks any rule; every problem is listed. The
            pydantic error is not chained (its text would hold the input values, secrets included).
    """
    if not isinstance(data, Mapping):
        problem = InputProblem(path="", message=f"must be a dict, not {type(data).__name__}", value=None)
        raise FivetranInputError([problem], what=what)
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        error = to_input_error(exc, what=what, model=model)
    raise error from None
