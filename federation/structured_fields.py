"""Structured Field Values for HTTP (RFC 8941): the parts RFC 9421 signatures and RFC 9530
digests are written in: dictionaries, inner lists, parameters and bare items.

Parsing follows RFC 8941 §4.2 strictly (any deviation is a `StructuredFieldError`): these
headers are security input, so nothing is guessed. Serialisation is canonical (§4.1), which is
what RFC 9421 needs to rebuild `@signature-params` from a parsed `Signature-Input`."""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field


class Token(str):
    """A token's value is a str, but serialises bare instead of quoted."""

    __slots__ = ()


class StructuredFieldError(ValueError):
    """The field value is not a valid structured field; the message says where it breaks."""


BareItem = int | float | str | bytes | bool
Parameters = dict[str, BareItem]


@dataclass(frozen=True, slots=True)
class Item:
    value: BareItem
    params: Parameters = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InnerList:
    items: tuple[Item, ...]
    params: Parameters = field(default_factory=dict)


Member = Item | InnerList

_KEY_FIRST = frozenset(string.ascii_lowercase + "*")
_KEY_REST = frozenset(string.ascii_lowercase + string.digits + "_-.*")
_TOKEN_FIRST = frozenset(string.ascii_letters + "*")
_TOKEN_REST = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/=")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]*)?")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at character {self.at}")

    def peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def done(self) -> bool:
        return self.at >= len(self.text)

    def skip(self, characters: str) -> None:
        while self.peek() and self.peek() in characters:
            self.at += 1

    def key(self) -> str:
        start = self.at
        if self.peek() not in _KEY_FIRST or self.done():
            raise self.fail("expected a key")
        self.at += 1
        while self.peek() and self.peek() in _KEY_REST:
            self.at += 1
        return self.text[start : self.at]

    def parameters(self) -> Parameters:
        params: Parameters = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            name = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.at += 1
                value = self.bare_item()
            params[name] = value
        return params

    def item(self) -> Item:
        value = self.bare_item()
        return Item(value, self.parameters())

    def member(self) -> Member:
        if self.peek() != "(":
            return self.item()
        self.at += 1
        items: list[Item] = []
        while not self.done():
            self.skip(" ")
            if self.peek() == ")":
                self.at += 1
                return InnerList(tuple(items), self.parameters())
            items.append(self.item())
            if self.peek() not in (" ", ")"):
                raise self.fail("expected a space or ')' in an inner list")
        raise self.fail("unterminated inner list")

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == "-" or (char.isascii() and char.isdigit()):
            return self.number()
        if char == '"':
            return self.string()
        if char == ":":
            return self.byte_sequence()
        if char == "?":
            return self.boolean()
        if char and char in _TOKEN_FIRST:
            return self.token()
        raise self.fail("expected an item")

    def number(self) -> int | float:
        match = _NUMBER.match(self.text, self.at)
        if not match:
            raise self.fail("expected a number")
        literal = match.group(0)
        whole, dot, fraction = literal.lstrip("-").partition(".")
        too_long = len(whole) > 12 or not 1 <= len(fraction) <= 3 if dot else len(whole) > 15
        if too_long:
            raise self.fail("number out of range")
        self.at = match.end()
        return float(literal) if dot else int(literal)

    def string(self) -> str:
        self.at += 1
        chars: list[str] = []
        while not self.done():
            char = self.text[self.at]
            self.at += 1
            if char == "\\":
                escaped = self.peek()
                if escaped not in ('"', "\\") or not escaped:
                    raise self.fail("bad escape in a string")
                chars.append(escaped)
                self.at += 1
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise self.fail("control or non-ASCII character in a string")
            else:
                chars.append(char)
        raise self.fail("unterminated string")

    def token(self) -> str:
        start = self.at
        self.at += 1
        while self.peek() and self.peek() in _TOKEN_REST:
            self.at += 1
        return Token(self.text[start : self.at])

    def byte_sequence(self) -> bytes:
        end = self.text.find(":", self.at + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        encoded = self.text[self.at + 1 : end]
        if not set(encoded) <= _BASE64:
            raise self.fail("byte sequence is not base64")
        try:
            decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except binascii.Error:
            raise self.fail("byte sequence is not base64") from None
        self.at = end + 1
        return decoded

    def boolean(self) -> bool:
        value = self.text[self.at + 1 : self.at + 2]
        if value not in ("0", "1"):
            raise self.fail("expected ?0 or ?1")
        self.at += 2
        return value == "1"


def parse_dictionary(text: str) -> dict[str, Member]:
    """An RFC 8941 dictionary, members in order. A repeated key keeps the last value (§4.2.2)."""
    parser = _Parser(text.strip(" "))
    members: dict[str, Member] = {}
    while not parser.done():
        name = parser.key()
        if parser.peek() == "=":
            parser.at += 1
            members[name] = parser.member()
        else:
            members[name] = Item(True, parser.parameters())
        parser.skip(" \t")
        if parser.done():
            return members
        if parser.peek() != ",":
            raise parser.fail("expected ',' between dictionary members")
        parser.at += 1
        parser.skip(" \t")
        if parser.done():
            raise parser.fail("trailing comma")
    return members


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    if any(not " " <= char <= "~" for char in value):
        raise StructuredFieldError("strings hold printable ASCII only")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_parameters(params: Parameters) -> str:
    return "".join(
        f";{name}" if value is True else f";{name}={serialize_bare_item(value)}"
        for name, value in params.items()
    )


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_parameters(item.params)


def serialize_member(member: Member) -> str:
    if isinstance(member, Item):
        return serialize_item(member)
    inner = " ".join(serialize_item(item) for item in member.items)
    return f"({inner}){serialize_parameters(member.params)}"


def serialize_dictionary(members: dict[str, Member]) -> str:
    parts = []
    for name, member in members.items():
        if isinstance(member, Item) and member.value is True:
            parts.append(name + serialize_parameters(member.params))
        else:
            parts.append(f"{name}={serialize_member(member)}")
    return ", ".join(parts)
