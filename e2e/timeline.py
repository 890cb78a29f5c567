"""The hop timeline of a sign-in: which party answered what, in what order, how long each hop took, which cookie
was set or sent — as a list of hops, shared by the suite (from the browser's own events and the embedded parties'
request logs), the HTML report (a waterfall), `make repro` (printed live) and the HAR doctor (from a HAR file).

A hop is one request of the journey: a document navigation or one of its redirects, a fetch that is a protocol
step (Logto's experience API, Okta's IDX API, an Auth.js route), or a back-channel call an embedded party received
(the app's code exchange at Logto, Logto's at Okta). Nothing in a hop grants access: URLs keep their shape with
codes, tokens and handles replaced (secret_fields.py says which parameters), and `state`, `nonce`,
`code_challenge` and `id_token_hint` become numbered labels (`<state:1>`), so a reader sees that the state the app
sent came back (`<state:1>` twice) or did not (`<state:2>`) without seeing it. Cookies are names and attributes
(Secure, HttpOnly, SameSite, Path, Domain, Max-Age/Expires), never values.

Protocol steps are named from the paths the parties serve: Logto's (OIDC provider under /oidc, sign-in
experience pages, Experience API; logto-captures/journey.md), Okta's (org authorization server /oauth2/v1, IDX
/idp/idx, SAML /app/<name>/<key>/sso/saml; okta-captures/), and Auth.js's /api/auth/* routes (next-auth 4.24,
@auth/core 0.41).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from e2e.support.artifacts.secret_fields import REDACTED, is_secret_param

# Values that are handles: not secret on their own, but a reader only needs to know whether they match.
HANDLE_PARAMETERS = ("state", "nonce", "code_challenge", "id_token_hint", "login_hint")

# Path → protocol step, first match wins. "{1}" is the regex's first group (the IDX remediation).
_STEPS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), step)
    for p, step in [
        # Logto: OIDC provider, sign-in experience, Experience API, SAML ACS
        (r"^/oidc/auth$", "authorize"),
        (r"^/oidc/auth/[^/]+$", "authorize (resume)"),
        (r"^/oidc/token$", "token exchange"),
        (r"^/oidc/jwks$", "JWKS"),
        (r"^/oidc/me$", "userinfo"),
        (r"^/oidc/session/end(/confirm|/success)?$", "end-session"),
        (r"^/oidc/\.well-known/openid-configuration$", "discovery"),
        (r"^/(sign-in|register|single-sign-on)(/.*)?$", "sign-in page"),
        (r"^/direct/sso/[^/]+$", "direct SSO"),
        (r"^/api/experience/sso-connectors$", "SSO lookup"),
        (r"^/api/experience/verification/sso/[^/]+/authorization-uri$", "SSO authorization URI"),
        (r"^/api/experience/verification/sso/[^/]+/verify$", "connector verify"),
        (r"^/api/experience/verification/password$", "password verification"),
        (r"^/api/experience/(identification|submit|interaction-event)$", "experience {1}"),
        (r"^/api/experience$", "experience start"),
        (r"^/callback/(?:social/)?[^/]+$", "connector callback"),
        (r"^/api/authn/single-sign-on/saml/[^/]+$", "SAML ACS"),
        (r"^/consent$", "consent"),
        (r"^/unknown-session$", "error page"),
        # Okta: org authorization server (or a custom one), IDX, SAML
        (r"^/oauth2/(?:[^/]+/)?v1/authorize$", "IdP authorize"),
        (r"^/oauth2/(?:[^/]+/)?v1/token$", "token exchange"),
        (r"^/oauth2/(?:[^/]+/)?v1/keys$", "JWKS"),
        (r"^/oauth2/(?:[^/]+/)?v1/userinfo$", "userinfo"),
        (r"^/oauth2/(?:[^/]+/)?v1/logout$", "IdP end-session"),
        (r"^/login/signout$", "IdP end-session"),
        (r"^/idp/idx/([\w/-]+)$", "IDX {1}"),
        (r"^/login/token/redirect$", "IdP redirect back"),
        (r"^/app/[^/]+/[^/]+/sso/saml$", "SAML IdP SSO"),
        (r"/\.well-known/(openid-configuration|oauth-authorization-server)$", "discovery"),
        # the app: Auth.js routes (the sample app mirrors them)
        (r"^/api/auth/signin(/[^/]+)?$", "app sign-in"),
        (r"^/api/auth/callback/[^/]+$", "app callback"),
        (r"^/api/auth/signout$", "app sign-out"),
        (r"^/api/auth/error$", "app error page"),
        (r"^/api/auth/session$", "session check"),
        (r"^/api/auth/(csrf|providers)$", "Auth.js {1}"),
    ]
]
# Other identity providers' authorization endpoints (the HAR doctor's "another enterprise IdP").
_AUTHORIZE_PATH = re.compile(r"/(authorize|auth|oauth2/v\d/auth|protocol/openid-connect/auth)$")


def protocol_step(path: str, *, party: str = "", document: bool = True) -> str:
    """The protocol step a request to `path` is, or "" when it is none (a page of the app, a static file).

    A Logto-shaped /oidc/auth at another party than Logto is that party's authorize; an authorization request to a
    path none of the rules know (another IdP) is "IdP authorize" when `path` looks like one."""
    for pattern, step in _STEPS:
        match = pattern.search(path)
        if match:
            step = step.replace("{1}", match.group(1) or "") if "{1}" in step else step
            if step == "authorize" and party not in ("", "Logto"):
                return "IdP authorize"
            return step
    if document and _AUTHORIZE_PATH.search(path) and party not in ("app", "Logto"):
        return "IdP authorize"
    if document:
        return f"{party} page" if party else "page"
    return ""


# ---- redaction --------------------------------------------------------------------------------------------------
class HandleLabels:
    """Numbers each distinct handle value per parameter name, in order of appearance: `<state:1>`, `<state:2>`."""

    def __init__(self) -> None:
        self._labels: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def label(self, name: str, value: str) -> str:
        if not value:
            return ""
        key = (name, value)
        if key not in self._labels:
            self._counts[name] = self._counts.get(name, 0) + 1
            self._labels[key] = f"<{name}:{self._counts[name]}>"
        return self._labels[key]


def _redacted_pairs(text: str, labels: HandleLabels) -> str:
    out = []
    for part in text.split("&"):
        if not part:
            continue
        raw_name, sep, raw_value = part.partition("=")
        pairs = parse_qsl(part, keep_blank_values=True)
        name, value = pairs[0] if pairs else (raw_name, raw_value)
        if is_secret_param(name) and value:
            raw_value = REDACTED
        elif name in HANDLE_PARAMETERS and value:
            raw_value = labels.label(name, value)
        elif re.fullmatch(r"<\d+ chars>", value):  # masked by an emulator's request log
            raw_value = REDACTED
        out.append(f"{raw_name}{sep}{raw_value}")
    return "&".join(out)


# A path segment that is a random id: Logto's interaction uid (/oidc/auth/<uid>) is its _interaction cookie's value.
# Random: 16 or more of nanoid's alphabet with a digit and a letter, or with upper and lower case letters (words
# of the parties' paths, such as openid-configuration, are lower case).
_RANDOM_SEGMENT = re.compile(
    r"(?<=/)(?:(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])|(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[A-Z]))"
    r"[A-Za-z0-9_-]{16,}(?=/|$)"
)


def redact_url(url: str, labels: HandleLabels | None = None) -> str:
    """The URL with every secret parameter's value replaced by <redacted>, handles by their labels, and path
    segments that are random ids (_RANDOM_SEGMENT) by <redacted>; the rest (scheme, host, path, other parameters)
    kept as written."""
    labels = labels or HandleLabels()
    parts = urlsplit(url)
    base = url.split("?", 1)[0].split("#", 1)[0]
    path = parts.path
    out = base[: len(base) - len(path)] + _RANDOM_SEGMENT.sub(REDACTED, path) if path else base
    if parts.query:
        out += "?" + _redacted_pairs(parts.query, labels)
    if parts.fragment:
        out += "#" + _redacted_pairs(parts.fragment, labels)
    return out


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


# ---- cookies ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CookieSet:
    """A Set-Cookie as the browser received it: the name, its attributes as written (value never kept), and
    whether it deletes the cookie (Max-Age <= 0 or an Expires in the past)."""

    name: str
    attributes: tuple[str, ...] = ()
    removes: bool = False

    def describe(self) -> str:
        attributes = ", ".join(self.attributes)
        return f"{self.name}{' (deleted)' if self.removes else ''}{f' ({attributes})' if attributes else ''}"

    def attribute(self, name: str) -> str | None:
        """The value of an attribute (case-insensitive), "" for a flag, None when absent."""
        for item in self.attributes:
            key, _, value = item.partition("=")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None

    def brief(self, at_epoch: float | None = None) -> str:
        """For one line of text: `name (HttpOnly, Lax, /, 1h)`: flags, SameSite, Path, Domain and the lifetime
        (from Max-Age, or Expires less `at_epoch`)."""
        if self.removes:
            return f"{self.name} (deleted)"
        from email.utils import parsedate_to_datetime

        parts = []
        for item in self.attributes:
            key, _, value = item.partition("=")
            if key in ("Secure", "HttpOnly", "Partitioned"):
                parts.append(key)
            elif key == "SameSite":
                parts.append(value.capitalize() or "SameSite")
            elif key == "Path":
                parts.append(value)
            elif key == "Domain":
                parts.append(f"domain {value}")
            elif key == "Max-Age" and value.lstrip("-").isdigit():
                parts.append(_lifetime(int(value)))
            elif key == "Expires" and at_epoch is not None and self.attribute("Max-Age") is None:
                with contextlib.suppress(TypeError, ValueError):
                    parts.append(_lifetime(parsedate_to_datetime(value).timestamp() - at_epoch))
        return f"{self.name} ({', '.join(parts)})" if parts else self.name


def _lifetime(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{max(seconds, 0):.0f}s"


_ATTRIBUTE_NAMES = {
    "secure": "Secure",
    "httponly": "HttpOnly",
    "samesite": "SameSite",
    "path": "Path",
    "domain": "Domain",
    "max-age": "Max-Age",
    "expires": "Expires",
    "partitioned": "Partitioned",
}


def parse_set_cookie(line: str, now_epoch: float | None = None) -> CookieSet | None:
    """One Set-Cookie line → CookieSet (None when it has no name=value)."""
    from email.utils import parsedate_to_datetime

    name_value, *attributes = line.split(";")
    name, sep, _ = name_value.partition("=")
    if not sep or not name.strip():
        return None
    kept: list[str] = []
    removes = False
    for attribute in attributes:
        key, has_value, value = attribute.strip().partition("=")
        canonical = _ATTRIBUTE_NAMES.get(key.strip().lower())
        if canonical is None:
            continue
        kept.append(f"{canonical}={value.strip()}" if has_value else canonical)
        if canonical == "Max-Age":
            with contextlib.suppress(ValueError):
                removes = removes or int(value.strip()) <= 0
        elif canonical == "Expires" and now_epoch is not None:
            with contextlib.suppress(TypeError, ValueError):
                removes = removes or parsedate_to_datetime(value.strip()).timestamp() < now_epoch
    return CookieSet(name.strip(), tuple(kept), removes)


def set_cookies(header: str, now_epoch: float | None = None) -> tuple[CookieSet, ...]:
    """The Set-Cookie header as Playwright gives it (several joined by newlines)."""
    parsed = (parse_set_cookie(line, now_epoch) for line in header.split("\n") if line.strip())
    return tuple(c for c in parsed if c is not None)


def cookie_names(header: str) -> tuple[str, ...]:
    """The names in a Cookie header, in order."""
    names = []
    for part in header.split(";"):
        name, sep, _ = part.strip().partition("=")
        if sep and name:
            names.append(name)
    return tuple(names)


# ---- hops -------------------------------------------------------------------------------------------------------
@dataclass
class Hop:
    """One request of a journey (see the module's docstring). Times are epoch milliseconds; `duration_ms` is None
    while no answer came (or a HAR does not say)."""

    start_ms: float
    duration_ms: float | None
    party: str  # app, Logto, Okta, or the host of another site
    channel: str  # "browser" or "back channel"
    kind: str  # navigation, redirect, fetch, form post, back channel
    method: str
    url: str  # redacted
    status: int | None
    step: str
    cookies_sent: tuple[str, ...] = ()
    cookies_set: tuple[CookieSet, ...] = ()
    error: str | None = None  # the browser's reason for a request that got no answer (net::ERR_...)
    client: str | None = None  # back channel: the caller's User-Agent product token

    @property
    def failed(self) -> bool:
        return self.error is not None or (self.status is not None and self.status >= 400)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cookies_set"] = [asdict(c) for c in self.cookies_set]
        return data


@dataclass
class Parties:
    """Which origin is which party: the journey's own words for the hosts a timeline shows."""

    by_origin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, stack: Any) -> Parties:
        """From a Stack (or anything with app_url, logto_endpoint and okta_issuer)."""
        pairs = [("app", "app_url"), ("Logto", "logto_endpoint"), ("Okta", "okta_issuer")]
        return cls({origin_of(getattr(stack, attr)): name for name, attr in pairs if getattr(stack, attr, None)})

    def party(self, url: str) -> str:
        origin = origin_of(url)
        return self.by_origin.get(origin) or urlsplit(url).netloc or origin


@dataclass
class Timeline:
    hops: list[Hop]

    def __post_init__(self) -> None:
        self.hops.sort(key=lambda hop: hop.start_ms)

    @property
    def origin_ms(self) -> float:
        return self.hops[0].start_ms if self.hops else 0.0

    @property
    def span_ms(self) -> float:
        ends = [h.start_ms + (h.duration_ms or 0) for h in self.hops]
        return max(ends) - self.origin_ms if ends else 0.0

    def to_json(self) -> str:
        return json.dumps({"origin_ms": self.origin_ms, "hops": [h.to_dict() for h in self.hops]}, indent=1)

    # -- text --------------------------------------------------------------------------------------------------
    @staticmethod
    def header_lines() -> list[str]:
        return [
            "hop timeline (ms from the first hop; nav = navigation, redir = redirect, back = back channel; cookies "
            "sent are listed where they change, and at callbacks):",
            f"  {'#':>3} {'start':>7} {'dur':>6}  {'via':<5} {'party':<6} {'step':<22} {'status':>6}  request",
        ]

    def render_text(self, last: int | None = None, width: int = 118) -> str:
        """One line per hop (and a line for cookies or an error where there are any); with `last`, only the last
        hops, saying how many came before."""
        if not self.hops:
            return "hop timeline: no hops recorded"
        shown = self.hops if last is None or len(self.hops) <= last else self.hops[-last:]
        first_index = len(self.hops) - len(shown) + 1
        lines = self.header_lines()
        if first_index > 1:
            lines.append(f"  ... {first_index - 1} earlier hops (the HTML report shows all)")
        sent_before: dict[str, tuple[str, ...]] = {}  # by party: the cookies its last hop carried
        for index, hop in enumerate(shown, first_index):
            same = sent_before.get(hop.party) == hop.cookies_sent and hop.step not in _CALLBACKS
            lines += self.hop_lines(index, hop, width=width, sent=not same)
            if hop.channel == "browser":
                sent_before[hop.party] = hop.cookies_sent
        return "\n".join(lines)

    def hop_lines(
        self, index: int, hop: Hop, width: int = 118, origin_ms: float | None = None, sent: bool = True
    ) -> list[str]:
        """A hop's line, and a line for its error and one for its cookies where it has any (the cookies sent only
        with `sent`: render_text lists them where they change from the party's previous hop)."""
        via = {"navigation": "nav", "redirect": "redir", "back channel": "back", "form post": "post"}.get(
            hop.kind, hop.kind
        )
        duration = f"{hop.duration_ms:.0f}" if hop.duration_ms is not None else "-"
        status = str(hop.status) if hop.status is not None else ("ERR" if hop.error else "-")
        start = f"{hop.start_ms - (self.origin_ms if origin_ms is None else origin_ms):.0f}"
        head = f"  {index:>3} {start:>7} {duration:>6}  {via:<5} {hop.party[:6]:<6} {hop.step[:22]:<22} {status:>6}  "
        room = max(20, width - len(head))
        lines = [head + compact_request(hop.method, hop.url, room)]
        pad = " " * 32
        if hop.error:
            lines.append(f"{pad}no answer: {hop.error}")
        details = []
        if hop.cookies_sent and sent:
            details.append("sent: " + ", ".join(hop.cookies_sent))
        if hop.cookies_set:
            details.append("set: " + "; ".join(c.brief(hop.start_ms / 1000) for c in hop.cookies_set))
        if details:
            lines.append(pad + "cookies " + " | ".join(details))
        return lines

    # -- HTML --------------------------------------------------------------------------------------------------
    def render_html(self) -> str:
        """A waterfall: one row per hop, its bar placed by start offset and sized by duration on one axis; all
        styles inline (the report is one self-contained file). Rows carry data-* attributes for tests."""
        if not self.hops:
            return '<div class="hop-timeline" data-hops="0"><p>No hops recorded.</p></div>'
        span = max(self.span_ms, 1.0)
        rows = []
        for index, hop in enumerate(self.hops, 1):
            offset = hop.start_ms - self.origin_ms
            left = 100 * offset / span
            width = 100 * (hop.duration_ms or 0) / span
            colour = _PARTY_COLOURS.get(hop.party, "#888")
            bar_style = (
                f"position:absolute;left:{left:.2f}%;width:max({width:.2f}%,2px);top:2px;bottom:2px;"
                f"background:{colour};{'outline:2px solid #c00;' if hop.failed else ''}"
                f"{'opacity:.6;' if hop.channel == 'back channel' else ''}"
            )
            cookies = []
            if hop.cookies_sent:
                cookies.append("sent: " + ", ".join(hop.cookies_sent))
            if hop.cookies_set:
                cookies.append("set: " + "; ".join(c.describe() for c in hop.cookies_set))
            status = str(hop.status) if hop.status is not None else (hop.error or "-")
            duration = f"{hop.duration_ms:.0f} ms" if hop.duration_ms is not None else "-"
            title = f"{hop.method} {hop.url}\n{hop.kind}, {offset:.0f} ms + {duration}" + (
                "\n" + "\n".join(cookies) if cookies else ""
            )
            cell = "padding:1px 6px;white-space:nowrap;font-size:12px"
            rows.append(
                f'<tr class="hop" data-hop="{index}" data-party="{_e(hop.party)}" data-step="{_e(hop.step)}" '
                f'data-status="{_e(status)}" data-kind="{_e(hop.kind)}" data-start-ms="{offset:.1f}" '
                f'data-duration-ms="{hop.duration_ms if hop.duration_ms is not None else ""}" '
                f'style="{"color:#c00;" if hop.failed else ""}">'
                f'<td style="{cell};text-align:right">{index}</td>'
                f'<td style="{cell}">{_e(hop.party)}</td>'
                f'<td style="{cell}">{_e(hop.step)}</td>'
                f'<td style="{cell}">{_e(hop.kind)}</td>'
                f'<td style="{cell};text-align:right">{_e(status)}</td>'
                f'<td style="{cell};max-width:420px;overflow:hidden;text-overflow:ellipsis" '
                f'title="{_e(title)}">{_e(hop.method)} {_e(_short_url(hop.url))}</td>'
                f'<td style="{cell};width:40%;min-width:240px"><div style="position:relative;height:14px;'
                f'background:#f4f4f4"><div class="hop-bar" title="{_e(title)}" style="{bar_style}"></div></div></td>'
                f'<td style="{cell};text-align:right">{offset:.0f}</td>'
                f'<td style="{cell};text-align:right">{duration}</td>'
                f'<td style="{cell};font-size:11px">{_e(" | ".join(cookies))}</td>'
                "</tr>"
            )
        head = "".join(
            f'<th style="padding:1px 6px;text-align:left;font-size:12px">{h}</th>'
            for h in ("#", "party", "step", "kind", "status", "request", "waterfall", "start ms", "duration", "cookies")
        )
        legend = " ".join(
            f'<span style="display:inline-block;width:10px;height:10px;background:{c}"></span> {p}'
            for p, c in _PARTY_COLOURS.items()
        )
        return (
            f'<div class="hop-timeline" data-hops="{len(self.hops)}" data-span-ms="{span:.0f}">'
            f'<p style="margin:4px 0"><b>Hop timeline</b>: {len(self.hops)} hops in {span:.0f} ms. {legend} '
            "(back channel lighter; a red outline is an error)</p>"
            f'<table style="border-collapse:collapse;width:100%"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>"
        )


_CALLBACKS = {"app callback", "connector callback", "SAML ACS"}  # where a missing cookie matters most
_PARTY_COLOURS = {"app": "#2f6fdb", "Logto": "#7a3fd1", "Okta": "#00838f"}


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _short_url(url: str) -> str:
    """Without the scheme (the host says enough)."""
    return re.sub(r"^https?://", "", url)


_FIRST_PARAMETERS = ("error", "error_description", "state", "iss", "code", "prompt")


def compact_request(method: str, url: str, room: int) -> str:
    """`METHOD host/path?query` in `room` characters: when too long, the parameters a reader of a failure looks
    for first (error, state, iss, code, prompt), long values shortened, the rest cut."""
    request = f"{method} {_short_url(url)}"
    if len(request) <= room or "?" not in url:
        return request if len(request) <= room else request[: room - 3] + "..."
    base, _, query = _short_url(url).partition("?")
    pairs = [part.partition("=") for part in query.split("&") if part]
    pairs.sort(key=lambda p: _FIRST_PARAMETERS.index(p[0]) if p[0] in _FIRST_PARAMETERS else len(_FIRST_PARAMETERS))
    short = [f"{k}{s}{v if len(v) <= 24 else v[:21] + '...'}" for k, s, v in pairs]
    request = f"{method} {base}?{'&'.join(short)}"
    return request if len(request) <= room else request[: room - 3] + "..."


# ---- back channel ------------------------------------------------------------------------------------------------
_MANAGEMENT = re.compile(r"^/(api/v1/|api/(?!experience|authn))|^/_emulator/")


def back_channel_hops(
    entries: Iterable[Mapping[str, Any]], party: str, base_url: str, labels: HandleLabels
) -> list[Hop]:
    """Hops from an emulator's request log (emulators/common/request_log.py): the calls that did not come from a
    browser, less management API calls and their client-credentials tokens (the suite's own provisioning)."""
    hops = []
    for entry in entries:
        if entry.get("client") == "browser" or "time" not in entry or _MANAGEMENT.search(entry["path"]):
            continue
        if (entry.get("form") or {}).get("grant_type") == "client_credentials":
            continue  # a management API token of the suite's own
        query = "&".join(f"{k}={quote(str(v), safe='<>:/ ')}" for k, v in (entry.get("query") or {}).items())
        url = base_url.rstrip("/") + entry["path"] + (f"?{query}" if query else "")
        hops.append(
            Hop(
                start_ms=float(entry["time"]) * 1000,
                duration_ms=entry.get("duration_ms"),
                party=party,
                channel="back channel",
                kind="back channel",
                method=entry["method"],
                url=redact_url(url, labels),
                status=entry.get("status"),
                step=protocol_step(entry["path"], party=party, document=False) or "call",
                client=entry.get("client"),
            )
        )
    return hops


# A path segment that differs from run to run: an id (10 or more letters and digits, at least one digit).
_ID_SEGMENT = re.compile(r"/(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{10,}(?=/|$)")


def per_hop_medians(timelines: list[Timeline]) -> list[tuple[str, int, float, float]]:
    """Across runs of one journey: (hop, runs it occurred in, median start offset ms, median duration ms), the
    hop named by party, step, method and path, and numbered where it repeats within a run; in order of start."""
    import statistics

    samples: dict[str, tuple[list[float], list[float]]] = {}
    for timeline in timelines:
        seen: dict[str, int] = {}
        for hop in timeline.hops:
            path = urlsplit(hop.url).path
            key = f"{hop.party} {hop.step} ({hop.method} {_ID_SEGMENT.sub('/<id>', path)})"
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                key += f" #{seen[key]}"
            starts, durations = samples.setdefault(key, ([], []))
            starts.append(hop.start_ms - timeline.origin_ms)
            durations.append(hop.duration_ms or 0.0)
    rows = [(k, len(s), statistics.median(s), statistics.median(d)) for k, (s, d) in samples.items()]
    return sorted(rows, key=lambda row: row[2])


def browser_hops(exchanges: Iterable[Any], parties: Parties, labels: HandleLabels) -> list[Hop]:
    """Hops from the browser's exchanges (e2e/support/artifacts/network_watch.py Exchange)."""
    hops = []
    for exchange in exchanges:
        party = parties.party(exchange.url)
        path = urlsplit(exchange.url).path
        document = exchange.kind != "fetch"
        kind = (
            "form post" if document and exchange.method == "POST" and exchange.kind == "navigation" else exchange.kind
        )
        hops.append(
            Hop(
                start_ms=exchange.start_ms,
                duration_ms=exchange.duration_ms,
                party=party,
                channel="browser",
                kind=kind,
                method=exchange.method,
                url=redact_url(exchange.url, labels),
                status=exchange.status,
                step=protocol_step(path, party=party, document=document),
                cookies_sent=tuple(exchange.cookies_sent),
                cookies_set=set_cookies(exchange.set_cookie, exchange.start_ms / 1000),
                error=exchange.error,
            )
        )
    return hops
