"""Serving HTTPS directly: the server's TLS context from the `tls_cert`/`tls_key` files, and
reloading them on SIGHUP so a renewed certificate (ACME renews every few weeks) is served
without a restart. Other nodes federate only over https:// on port 443 with a certificate a
public CA signed for the node's domain; behind a TLS-terminating proxy none of this is used."""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from pathlib import Path

from node.settings import Settings, SettingsError

log = logging.getLogger(__name__)


def _load(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    try:
        context.load_cert_chain(certfile=cert, keyfile=key)
    except ssl.SSLError as error:
        raise SettingsError(f"tls_cert/tls_key: cannot use {cert} with {key}: {error}") from None
    except OSError as error:
        reason = error.strerror or error
        raise SettingsError(f"tls_cert/tls_key: cannot read {cert} or {key}: {reason}") from None


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context (TLS 1.2 or later, the library's default ciphers) serving the PEM
    certificate chain `cert` with the private key `key`. Raises SettingsError, one line."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.set_alpn_protocols(["http/1.1"])
    _load(context, cert, key)
    return context


@dataclass(frozen=True, slots=True)
class ServedCertificate:
    """The live server context and the files it was loaded from."""

    context: ssl.SSLContext
    cert: Path
    key: Path

    def reload(self) -> bool:
        """Load the files again into the live context; new connections get the new
        certificate. The files are first tried in a scratch context, so a half-written
        renewal (a certificate without its matching key) leaves the old pair in service.
        Returns whether it reloaded."""
        try:
            server_tls_context(self.cert, self.key)
            _load(self.context, self.cert, self.key)
        except SettingsError as error:
            log.error("certificate not reloaded, still serving the previous one: %s", error)
            return False
        log.info("certificate reloaded from %s", self.cert)
        return True


def served_certificate(settings: Settings) -> ServedCertificate | None:
    """What `rukun serve` listens with, or None for plain HTTP. Raises SettingsError."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = server_tls_context(settings.tls_cert, settings.tls_key)
    return ServedCertificate(context, settings.tls_cert, settings.tls_key)
