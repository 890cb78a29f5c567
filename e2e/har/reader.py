"""A HAR file (HTTP Archive 1.2) as the doctor reads it, whichever browser wrote it.

The exports differ (each from its documented format: the HAR 1.2 spec, Chrome DevTools' HAR export, Firefox's
netmonitor HAR builder, Playwright's recordHar):
- resource type: Chrome writes `_resourceType` ("document", "fetch", "xhr", ...); Firefox and Playwright do not, so
  it comes from the request's `Sec-Fetch-Dest` header (both browsers send it), else from the answer's MIME type;
- initiator: Chrome's `_initiator` ({type, url}); others have none;
- cookies: HAR's `request.cookies` / `response.cookies` arrays (Chrome and Playwright add `sameSite`; Firefox writes
  the attributes it parsed), and the Cookie / Set-Cookie headers, which the doctor prefers when present: they carry
  every attribute as sent. Chrome's default ("sanitized") export leaves all of them out;
- no answer: status 0 (Chrome, Firefox; Chrome adds `_error`), or Playwright's `response._failureText`, or its
  status -1 (still waiting when the recording stopped: a page that gave up on a request does not abort it);
- bodies: `response.content.text`, base64 when `encoding` says so; absent when the exporter left it out.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from e2e.timeline import CookieSet, parse_set_cookie


class HarError(ValueError):
    """The file is not a HAR the doctor can read; the message says why."""


@dataclass
class Entry:
    """One request of a HAR, normalised."""

    index: int
    started_ms: float  # epoch ms
    duration_ms: float | None
    method: str
    url: str
    request_headers: dict[str, str]
    cookies_sent: tuple[str, ...] | None  # None: the HAR does not say (a sanitized export)
    post_text: str | None
    status: int  # 0: no answer
    response_headers: dict[str, str]
    cookies_set: tuple[CookieSet, ...]
    location: str | None
    body: str | None  # the answer's body as text, when the HAR has it and it is text
    mime: str
    resource_type: str  # document, fetch, xhr, script, stylesheet, image, font, other
    error: str | None = None
    initiator: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def is_document(self) -> bool:
        return self.resource_type in ("document", "iframe")


@dataclass
class Har:
    path: Path | None
    creator: str
    entries: list[Entry]
    data: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def has_cookies(self) -> bool:
        """Whether the HAR says which cookies were sent (a sanitized Chrome export does not)."""
        return any(e.cookies_sent is not None for e in self.entries)


def _headers(items: list[dict[str, Any]] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for item in items or []:
        name = str(item.get("name", "")).lower()
        if not name or name.startswith(":"):  # HTTP/2 pseudo-headers, as Chrome writes them
            continue
        value = str(item.get("value", ""))
        joiner = "\n" if name == "set-cookie" else ", "
        headers[name] = f"{headers[name]}{joiner}{value}" if name in headers else value
    return headers


def _epoch_ms(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except (ValueError, AttributeError):
        return 0.0


def _resource_type(entry: dict[str, Any], headers: dict[str, str], mime: str, method: str) -> str:
    declared = entry.get("_resourceType")
    if isinstance(declared, str) and declared:
        return declared.lower()
    dest = headers.get("sec-fetch-dest")
    if dest:
        return {"document": "document", "iframe": "iframe", "empty": "fetch"}.get(dest, dest)
    if headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return "xhr"
    accept = headers.get("accept", "")
    if accept.startswith("text/html") or (method in ("GET", "POST") and mime.startswith("text/html")):
        return "document"
    if "json" in mime or "json" in accept:
        return "fetch"
    return "other"


def _body(content: dict[str, Any]) -> str | None:
    text = content.get("text")
    if not isinstance(text, str):
        return None
    if content.get("encoding") == "base64":
        try:
            raw = base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return text


def _cookie_from_har(cookie: dict[str, Any]) -> CookieSet | None:
    name = cookie.get("name")
    if not name:
        return None
    attributes = []
    if cookie.get("path"):
        attributes.append(f"Path={cookie['path']}")
    if cookie.get("domain"):
        attributes.append(f"Domain={cookie['domain']}")
    if cookie.get("expires"):
        attributes.append(f"Expires={cookie['expires']}")
    if cookie.get("httpOnly"):
        attributes.append("HttpOnly")
    if cookie.get("secure"):
        attributes.append("Secure")
    if cookie.get("sameSite"):
        attributes.append(f"SameSite={cookie['sameSite']}")
    return CookieSet(str(name), tuple(attributes))


def read_entry(index: int, entry: dict[str, Any], keeps_cookies: bool = True) -> Entry:
    """One HAR entry; `keeps_cookies`: whether the exporter wrote cookies at all (so that none listed means none
    sent, not "left out")."""
    request = entry.get("request") or {}
    response = entry.get("response") or {}
    method = str(request.get("method", "GET")).upper()
    url = str(request.get("url", ""))
    request_headers = _headers(request.get("headers"))
    response_headers = _headers(response.get("headers"))
    content = response.get("content") or {}
    mime = str(content.get("mimeType") or response_headers.get("content-type", "")).lower()
    started = _epoch_ms(str(entry.get("startedDateTime", "")))

    if "cookie" in request_headers:
        sent: tuple[str, ...] | None = tuple(
            p.strip().partition("=")[0] for p in request_headers["cookie"].split(";") if "=" in p
        )
    elif request.get("cookies"):
        sent = tuple(str(c.get("name")) for c in request["cookies"] if c.get("name"))
    elif any(h.get("name", "").lower() == "cookie" for h in request.get("headers") or []):
        sent = ()
    else:
        sent = () if keeps_cookies else None

    if "set-cookie" in response_headers:
        parsed = [parse_set_cookie(line, started / 1000) for line in response_headers["set-cookie"].split("\n")]
        set_cookies = tuple(c for c in parsed if c is not None)
    else:
        set_cookies = tuple(c for c in map(_cookie_from_har, response.get("cookies") or []) if c is not None)

    status = max(int(response.get("status") or 0), 0)  # Playwright writes -1 for a request never answered
    failure = response.get("_failureText") or entry.get("_error") or response.get("_error")
    location = response_headers.get("location") or response.get("redirectURL") or None
    total = entry.get("time")
    initiator = entry.get("_initiator")
    return Entry(
        index=index,
        started_ms=started,
        duration_ms=float(total) if isinstance(total, int | float) and total >= 0 else None,
        method=method,
        url=url,
        request_headers=request_headers,
        cookies_sent=sent,
        post_text=(request.get("postData") or {}).get("text"),
        status=status,
        response_headers=response_headers,
        cookies_set=set_cookies,
        location=location,
        body=_body(content),
        mime=mime,
        resource_type=_resource_type(entry, request_headers, mime, method),
        error=str(failure) if failure else ("no answer" if status == 0 else None),
        initiator=initiator.get("type") if isinstance(initiator, dict) else None,
        raw=entry,
    )


def load_har(source: Path | str | dict[str, Any]) -> Har:
    """Read a HAR from a path or an already decoded document; HarError when it is not one."""
    path = None
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise HarError(f"{path}: no such file") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise HarError(f"{path}: not a HAR (not JSON: {exc})") from None
    log = data.get("log") if isinstance(data, dict) else None
    if not isinstance(log, dict) or not isinstance(log.get("entries"), list):
        raise HarError(f"{path or 'the document'}: not a HAR (no log.entries)")
    raw_entries = log["entries"]
    # Whether this exporter writes cookies at all: any Cookie/Set-Cookie header or any cookie in the arrays.
    keeps_cookies = any(
        (e.get("request") or {}).get("cookies")
        or (e.get("response") or {}).get("cookies")
        or any(
            str(h.get("name", "")).lower() in ("cookie", "set-cookie")
            for h in [
                *((e.get("request") or {}).get("headers") or []),
                *((e.get("response") or {}).get("headers") or []),
            ]
        )
        for e in raw_entries
    )
    creator = log.get("creator") or {}
    entries = [read_entry(i, e, keeps_cookies) for i, e in enumerate(raw_entries)]
    entries.sort(key=lambda e: (e.started_ms, e.index))
    return Har(path, f"{creator.get('name', 'unknown')} {creator.get('version', '')}".strip(), entries, data)
