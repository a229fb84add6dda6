"""Request parameters as Mastodon (Rails) reads them: the query string, form bodies (urlencoded
or multipart, with Rack's bracket nesting `source[privacy]`, `media_ids[]`,
`fields_attributes[0][name]`) and JSON bodies, merged into one nested mapping. Accessors check
types and raise 422 in Mastodon's shape, so handlers never see a wrong type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from web.errors import ApiError, read_json

_TRUE = {"true", "1", "on", "yes", "t"}
_FALSE = {"false", "0", "off", "no", "f", ""}
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def _insert(target: dict[str, Any], key: str, value: Any) -> None:
    match = _KEY.match(key)
    if not match:
        target[key] = value
        return
    parts = [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
    node: Any = target
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        following = None if last else parts[index + 1]
        if part == "":
            # `a[]=x`: append to a list (only a trailing `[]` is supported, as Rack does).
            if isinstance(node, list):
                node.append(value)
            return
        if last:
            node[part] = value
            return
        container = node.get(part) if isinstance(node, dict) else None
        if container is None:
            container = [] if following == "" else {}
            node[part] = container
        if following == "" and not isinstance(container, list):
            container = []
            node[part] = container
        node = container


def nest(pairs: MultiMapping[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """Turn flat bracketed keys into nested dicts and lists."""
    result: dict[str, Any] = {}
    items = pairs.items()
    for key, value in items:
        _insert(result, str(key), value)
    return result


def _fail(name: str, expected: str) -> ApiError:
    return ApiError(422, f"Validation failed: {name} {expected}")


class Params:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        """Query string, then the body (JSON or form) on top of it."""
        values = nest(request.query)
        if request.body_exists:
            if request.content_type == "application/json":
                body = await read_json(request)
                if body is not None and not isinstance(body, dict):
                    raise ApiError(422, "Validation failed: the JSON body must be an object")
                values.update(body or {})
            elif request.content_type in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            ):
                values.update(nest(await request.post()))
        return cls(values)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def string(
        self, name: str, default: str | None = None, *, max_length: int | None = None
    ) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool | dict | list):
            raise _fail(name, "must be a string")
        text = str(value)
        if max_length is not None and len(text) > max_length:
            raise _fail(name, f"is too long (maximum is {max_length} characters)")
        return text

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _fail(name, "must be true or false")

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise _fail(name, "must be a number")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _fail(name, "must be a number") from None
        if minimum is not None and number < minimum:
            raise _fail(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise _fail(name, f"must be at most {maximum}")
        return number

    def number(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise _fail(name, "must be a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _fail(name, "must be a number") from None

    def id(self, name: str) -> int | None:
        """An entity id: a string of digits (or a JSON number). Anything else is treated as an
        id nothing has, as Mastodon does for paging parameters."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        text = str(value)
        if not text.isdigit() or len(text) > 19:
            raise _fail(name, "must be an id")
        return int(text)

    def strings(self, name: str) -> list[str]:
        """A list (`name[]=a&name[]=b`, a JSON array, or one value)."""
        value = self.values.get(name)
        if value is None:
            value = self.values.get(f"{name}[]")
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value[k] for k in sorted(value, key=lambda k: (len(k), k))]
        if not isinstance(value, list):
            value = [value]
        for item in value:
            if isinstance(item, dict | list | bool) or item is None:
                raise _fail(name, "must be a list of strings")
        return [str(item) for item in value]

    def ids(self, name: str) -> list[int]:
        items = self.strings(name)
        for item in items:
            if not item.isdigit() or len(item) > 19:
                raise _fail(name, "must be a list of ids")
        return [int(item) for item in items]

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.values.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise _fail(name, "must be an object")
        return value

    def objects(self, name: str) -> list[dict[str, Any]]:
        """A list of objects: a JSON array, or Rails' `name[0][key]` hash with numeric keys."""
        value = self.values.get(name)
        if value is None:
            return []
        if isinstance(value, dict):
            if not all(str(k).isdigit() for k in value):
                raise _fail(name, "must be a list of objects")
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _fail(name, "must be a list of objects")
        return value
