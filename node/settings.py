"""Node settings: read once at start from flags, `RUKUN_*` environment and a TOML file, then
passed down as plain values. Precedence: flag > environment > file > default."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ROLES = ("all", "web", "worker")
FEDERATION_MODES = ("allowlist", "open")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"(?=[^:]{{1,253}}(:|$)){_LABEL}(\.{_LABEL})*(:(?P<port>\d{{1,5}}))?")


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it and says what is expected."""


@dataclass(frozen=True, slots=True)
class Settings:
    domain: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = ""
    data_dir: Path = Path("data")
    insecure_http: bool | None = None
    resolve: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    allow_private_addresses: bool = False
    role: str = "all"
    max_body_bytes: int = 1_048_576
    workers: int = 4
    job_lease_seconds: float = 300.0
    log_level: str = "INFO"
    admin_username: str = "admin"
    password_grant: bool = True
    # `allowlist`: federate only with domains an admin allowed; `open`: everyone not blocked.
    federation_mode: str = "allowlist"
    delivery_give_up_days: float = 7.0
    # HTTPS: serve TLS directly (certificate chain and key, PEM), or sit behind a proxy that
    # terminates it and whose X-Forwarded-* headers are believed only from these networks.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Extra CAs (PEM) trusted for outgoing requests, besides the system store.
    ca_bundle: Path | None = None
    # Housekeeping (node/housekeeping.py): how often it runs, and how long finished rows stay.
    housekeeping_interval_minutes: float = 60.0
    delivered_retention_days: float = 7.0
    dead_letter_retention_days: float = 30.0
    inbound_retention_days: float = 30.0
    seen_activity_retention_days: float = 365.0
    sign_in_retention_days: float = 30.0
    unattached_media_retention_days: float = 1.0
    export_retention_days: float = 7.0
    import_retention_days: float = 30.0

    @property
    def scheme(self) -> str:
        return "http" if self.insecure_http else "https"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"


def _parse_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}: expected true or false, got {value!r}")


def _parse_int(name: str, value: Any, low: int, high: int) -> int:
    # TOML hands over real types: `true` or `8080.5` must not quietly become a port.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SettingsError(f"{name}: expected a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name}: expected a number from {low} to {high}, got {number}")
    return number


def _parse_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SettingsError(f"{name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(f"{name}: expected a positive number, got {value!r}")
    return number


def _parse_federation_mode(value: Any) -> str:
    mode = str(value).strip().lower()
    if mode not in FEDERATION_MODES:
        raise SettingsError(f"federation_mode: expected allowlist or open, got {value!r}")
    return mode


def parse_resolve(value: Any) -> dict[str, tuple[str, int]]:
    """`a.test=127.0.0.1:8081,b.test=127.0.0.1:8082` (or a TOML table) → {domain: (ip, port)}."""
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    else:
        raise SettingsError(f"resolve: expected domain=address:port,... or a table, got {value!r}")
    resolved: dict[str, tuple[str, int]] = {}
    for item in items:
        domain, sep, target = item.partition("=")
        domain = domain.strip().lower()
        address, colon, port = target.strip().rpartition(":")
        if not sep or not colon or not domain:
            raise SettingsError(f"resolve: expected domain=address:port, got {item!r}")
        if not _DOMAIN.fullmatch(domain):
            raise SettingsError(f"resolve: {domain!r} is not a host name")
        address = address.strip("[]")
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SettingsError(f"resolve: {address!r} in {item!r} is not an IP address") from None
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise SettingsError(f"resolve: port in {item!r} must be a number from 1 to 65535")
        resolved[domain] = (address, int(port))
    return resolved


def parse_trusted_proxies(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`127.0.0.1, 10.0.0.0/8, ::1` (or a TOML list) → networks; an address is a /32 or /128."""
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = [str(part).strip() for part in value]
    else:
        raise SettingsError(f"trusted_proxies: expected addresses or networks, got {value!r}")
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as error:
            raise SettingsError(f"trusted_proxies: {error}") from None
    return tuple(networks)


def _parse_path(value: Any) -> Path | None:
    """A file path; an empty value means none (so `RUKUN_TLS_CERT=` unsets a file's)."""
    text = str(value).strip()
    return Path(text).expanduser() if text else None


_PARSERS = {
    "domain": lambda v: str(v).strip().lower(),
    "host": lambda v: str(v).strip(),
    "port": lambda v: _parse_int("port", v, 1, 65535),
    "database_url": lambda v: str(v).strip(),
    "data_dir": lambda v: Path(str(v)),
    "insecure_http": lambda v: _parse_bool("insecure_http", v),
    "resolve": parse_resolve,
    "allow_private_addresses": lambda v: _parse_bool("allow_private_addresses", v),
    "role": lambda v: str(v).strip(),
    "max_body_bytes": lambda v: _parse_int("max_body_bytes", v, 1024, 1 << 31),
    "workers": lambda v: _parse_int("workers", v, 1, 256),
    "job_lease_seconds": lambda v: _parse_float("job_lease_seconds", v),
    "log_level": lambda v: str(v).strip().upper(),
    "admin_username": lambda v: str(v).strip(),
    "password_grant": lambda v: _parse_bool("password_grant", v),
    "federation_mode": _parse_federation_mode,
    "delivery_give_up_days": lambda v: _parse_float("delivery_give_up_days", v),
    "tls_cert": _parse_path,
    "tls_key": _parse_path,
    "trusted_proxies": parse_trusted_proxies,
    "ca_bundle": _parse_path,
    "housekeeping_interval_minutes": lambda v: _parse_float("housekeeping_interval_minutes", v),
    "delivered_retention_days": lambda v: _parse_float("delivered_retention_days", v),
    "dead_letter_retention_days": lambda v: _parse_float("dead_letter_retention_days", v),
    "inbound_retention_days": lambda v: _parse_float("inbound_retention_days", v),
    "seen_activity_retention_days": lambda v: _parse_float("seen_activity_retention_days", v),
    "sign_in_retention_days": lambda v: _parse_float("sign_in_retention_days", v),
    "unattached_media_retention_days": lambda v: _parse_float("unattached_media_retention_days", v),
    "export_retention_days": lambda v: _parse_float("export_retention_days", v),
    "import_retention_days": lambda v: _parse_float("import_retention_days", v),
}
NAMES = tuple(f.name for f in fields(Settings))


def _from_mapping(source: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Parse each value; an error names the setting and, unless it came from a flag, where."""
    parsed: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in _PARSERS:
            raise SettingsError(f"{source}: unknown setting {key!r}")
        try:
            parsed[name] = _PARSERS[name](value)
        except SettingsError as error:
            if source == "flag":
                raise
            origin = f"RUKUN_{name.upper()}" if source == "environment" else source
            raise SettingsError(f"{error} (from {origin})") from None
    return parsed


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values = {
        name: environ[f"RUKUN_{name.upper()}"]
        for name in NAMES
        if f"RUKUN_{name.upper()}" in environ
    }
    return _from_mapping("environment", values)


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path}: {error}") from None
    except OSError as error:
        raise SettingsError(f"config file {path}: {error.strerror or error}") from None
    return _from_mapping(f"config file {path}", document)


def load(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: str | Path | None = None,
) -> Settings:
    """Merge the three sources and validate; raises SettingsError with one clear line."""
    environ = os.environ if environ is None else environ
    config_file = config_file or environ.get("RUKUN_CONFIG")
    merged: dict[str, Any] = {}
    if config_file:
        merged.update(_from_file(Path(config_file)))
    merged.update(_from_environment(environ))
    merged.update(_from_mapping("flag", {k: v for k, v in (flags or {}).items() if v is not None}))
    return validate(Settings(**merged))


def _is_loopback_domain(domain: str) -> bool:
    host = domain.partition(":")[0]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _validate_tls(settings: Settings, insecure: bool) -> None:
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise SettingsError("tls_cert and tls_key: give both (certificate chain and key) or none")
    if settings.tls_cert is not None and insecure:
        raise SettingsError("insecure_http: cannot be true when serving TLS (tls_cert is set)")
    for name in ("tls_cert", "tls_key", "ca_bundle"):
        path = getattr(settings, name)
        if path is not None and not path.is_file():
            raise SettingsError(f"{name}: no file at {path}")


def validate(settings: Settings) -> Settings:
    if settings.role not in ROLES:
        raise SettingsError(f"role: expected one of {', '.join(ROLES)}, got {settings.role!r}")
    if settings.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(
            f"log_level: expected DEBUG, INFO, WARNING or ERROR, got {settings.log_level!r}"
        )
    domain = settings.domain or f"localhost:{settings.port}"
    match = _DOMAIN.fullmatch(domain)
    if not match:
        raise SettingsError(f"domain: {domain!r} is not a host name (like social.example.com)")
    if match["port"] and not 1 <= int(match["port"]) <= 65535:
        raise SettingsError(f"domain: the port in {domain!r} must be from 1 to 65535")
    insecure = settings.insecure_http
    if insecure is None:
        # Plain HTTP is for development on this machine only; any real domain gets https ids.
        insecure = _is_loopback_domain(domain) and settings.tls_cert is None
    _validate_tls(settings, insecure)
    if settings.database_url and not settings.database_url.startswith(
        ("postgres://", "postgresql://")
    ):
        raise SettingsError("database_url: expected a postgresql:// URL")
    if not re.fullmatch(r"[a-z0-9_]{1,30}", settings.admin_username):
        raise SettingsError("admin_username: use 1 to 30 lowercase letters, digits or underscores")
    return replace(settings, domain=domain, insecure_http=insecure)
