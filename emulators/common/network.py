"""Reaching parties by hostnames that DNS does not know, over TLS from a private CA, without touching the system.

Two settings, shared by the suite and by the emulators and sample app when they run as separate processes
(the HTTPS rehearsal of live mode, `make rehearse`, or your own set-up, e.g. a staging Logto):

- a host map, ``E2E_HOST_MAP="acme.logto.test=127.0.0.1,app.test=127.0.0.1"``: these names, and only these,
  resolve to the given addresses, like lines of /etc/hosts for this process alone (curl's ``--resolve``,
  Chromium's ``--host-resolver-rules``);
- a CA file, ``E2E_CA_FILE=/path/ca.pem``: PEM certificates trusted in addition to the system's roots.

The browser side of both (host-resolver rules, certificate pins) is built in e2e/support/browser.py.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import socket
import ssl
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

HOST_MAP_VARIABLE = "E2E_HOST_MAP"
CA_FILE_VARIABLE = "E2E_CA_FILE"


class NetworkSettingError(ValueError):
    """A malformed host map or CA file; the message names the setting and never echoes a secret."""


def parse_host_map(text: str, *, setting: str = HOST_MAP_VARIABLE) -> dict[str, str]:
    """``"name=address,name=address"`` → ``{name: address}``; names lower-cased, addresses IP literals.

    Raises NetworkSettingError naming the setting and the malformed entry.
    """
    mapping: dict[str, str] = {}
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        name, sep, address = (piece.strip() for piece in entry.partition("="))
        if not sep or not name or not address:
            raise NetworkSettingError(f"{setting}: entry {entry!r} is not of the form name=address")
        if any(ch.isspace() for ch in name) or "/" in name or ":" in name:
            raise NetworkSettingError(f"{setting}: {name!r} is not a hostname")
        try:
            ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            raise NetworkSettingError(f"{setting}: {address!r} (for {name}) is not an IP address") from None
        mapping[name.lower().rstrip(".")] = address.strip("[]")
    return mapping


def format_host_map(mapping: Mapping[str, str]) -> str:
    return ",".join(f"{name}={address}" for name, address in mapping.items())


_installed: dict[str, str] = {}
_original_getaddrinfo = socket.getaddrinfo


def _mapped_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if isinstance(host, bytes):
        key = host.decode("ascii", "replace").lower().rstrip(".")
    else:
        key = host.lower().rstrip(".") if isinstance(host, str) else host
    address = _installed.get(key) if isinstance(key, str) else None
    return _original_getaddrinfo(address if address is not None else host, port, *args, **kwargs)


def install_host_map(mapping: Mapping[str, str]) -> None:
    """Resolve the mapped names to their addresses in this process (every socket.getaddrinfo caller: httpx,
    anyio, urllib); other names resolve as before. Idempotent; a later call adds to the map."""
    _installed.update(mapping)
    if mapping and socket.getaddrinfo is not _mapped_getaddrinfo:
        socket.getaddrinfo = _mapped_getaddrinfo


def installed_host_map() -> dict[str, str]:
    return dict(_installed)


def read_ca_file(path: Path, *, setting: str = CA_FILE_VARIABLE) -> str:
    """The PEM text of the CA file, checked to hold at least one certificate; raises NetworkSettingError."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise NetworkSettingError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise NetworkSettingError(f"{setting}: {path} holds no PEM certificate")
    try:
        ssl.create_default_context(cadata=text)
    except ssl.SSLError as exc:
        raise NetworkSettingError(f"{setting}: {path} is not a valid PEM certificate file ({exc.reason})") from None
    return text


def trust_extra_ca(ca_file: Path) -> Path:
    """Make this process (and its children) trust the CA file in addition to the usual roots.

    Writes a bundle = the roots httpx trusts by default (certifi) + the CA file, into a private temporary file,
    and points SSL_CERT_FILE at it: httpx and ``ssl.create_default_context()`` both read SSL_CERT_FILE when
    they build a context. Returns the bundle's path.
    """
    import certifi

    extra = read_ca_file(ca_file)
    current = os.environ.get("SSL_CERT_FILE")
    if current and Path(current).is_file() and extra in Path(current).read_text():
        return Path(current)
    fd, name = tempfile.mkstemp(prefix="e2e-ca-bundle-", suffix=".pem")
    with os.fdopen(fd, "w") as bundle:
        bundle.write(Path(certifi.where()).read_text())
        bundle.write("\n")
        bundle.write(extra)
    atexit.register(Path(name).unlink, missing_ok=True)  # this process's own file: gone when it ends
    os.environ["SSL_CERT_FILE"] = name
    return Path(name)


def configure_from_environment(environ: Mapping[str, str] | None = None) -> None:
    """For a separately started emulator or sample app: apply E2E_HOST_MAP and E2E_CA_FILE if set."""
    env = os.environ if environ is None else environ
    if env.get(HOST_MAP_VARIABLE, "").strip():
        install_host_map(parse_host_map(env[HOST_MAP_VARIABLE]))
    if env.get(CA_FILE_VARIABLE, "").strip():
        trust_extra_ca(Path(env[CA_FILE_VARIABLE].strip()))
