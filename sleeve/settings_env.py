"""Reading list and mapping settings from environment variables, in forms people type.

pydantic-settings reads a list or mapping setting from one variable as JSON only, and a
value that is not JSON (``SLEEVE_IMAGES__ALLOWED_HOSTS=127.0.0.1``) ends in a long
traceback naming neither the variable nor the form wanted. This source changes the one
step where that happens, :meth:`decode_complex_value`: a list of plain values (hosts,
networks, source names) may also be written comma-separated, and anything else that is
not JSON says which variable it was and what it should look like.

It is a source rather than ``NoDecode`` and a ``mode="before"`` validator on each field
because it is one place for every list setting, present and future, and it leaves YAML
(where lists are real lists) alone.
"""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import EnvSettingsSource

__all__ = ["EnvValueError", "EnvironmentSource"]

_LISTS = (list, tuple, set, frozenset)


class EnvValueError(ValueError):
    """A variable's value that is not in the form its setting needs; the message says both.

    A ``ValueError``, so that pydantic-settings' own handling (it tolerates failures where
    a value may also be a plain string) is unchanged.
    """


class EnvironmentSource(EnvSettingsSource):
    """``SLEEVE_<SECTION>__<KEY>`` variables, with comma-separated lists allowed."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        # ``field`` is None for a raw type inside a mapping, though the base class says not.
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            if not isinstance(value, str):
                raise
            annotation = getattr(field, "annotation", None)
            if _is_list_of_plain_values(annotation) and not value.lstrip().startswith("["):
                return [item.strip() for item in value.split(",") if item.strip()]
            raise EnvValueError(self._explain(field_name, annotation, value)) from None

    def _explain(self, field_name: str, annotation: Any, value: str) -> str:
        variable = self._variable_holding(field_name, value)
        key = (
            variable[len(self.env_prefix) :].lower().replace(self.env_nested_delimiter or "__", ".")
        )
        if _is_list_of_plain_values(annotation):
            form = 'a JSON list (["a", "b"]) or comma-separated values (a,b)'
        elif _origin_in(annotation, _LISTS):
            form = 'a JSON list of objects ([{"name": "…", …}])'
        else:
            form = (
                'a JSON object ({"key": value}), or one variable per key '
                f"({variable}{self.env_nested_delimiter}KEY=value)"
            )
        return f"{variable} ({key}) is not valid JSON: expected {form}"

    def _variable_holding(self, field_name: str, value: str) -> str:
        """The variable this value came from (pydantic-settings passes only the last key)."""
        wanted = field_name.lower()
        for name, held in sorted(self.env_vars.items()):
            if (
                held == value
                and name.lower().endswith(wanted)
                and name.lower().startswith(self.env_prefix.lower())
            ):
                return name.upper()
        return f"{self.env_prefix}{field_name}".upper()


def _origin_in(annotation: Any, kinds: tuple[Any, ...]) -> bool:
    return get_origin(annotation) in kinds or annotation in kinds


def _is_list_of_plain_values(annotation: Any) -> bool:
    """``list[str]``, ``list[Literal[...]]``, ``list[int]``: items a comma cannot be part of
    in any setting sleeve has (hosts, networks, source names)."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in get_args(annotation) if arg is not type(None)]
        return len(members) == 1 and _is_list_of_plain_values(members[0])
    if get_origin(annotation) not in _LISTS:
        return False
    items = get_args(annotation)
    return bool(items) and all(_is_plain(item) for item in items if item is not Ellipsis)


def _is_plain(item: Any) -> bool:
    if get_origin(item) is typing.Literal:
        return True
    return isinstance(item, type) and not issubclass(item, BaseModel | dict | list | tuple | set)
