"""The HAR doctor's diagnosis: the hops of a sign-in read from a HAR, and the first that breaks a rule of the
protocol or ends in an error.

Rules, each named in a finding (`rule`):
- error-redirect: an authorization server sent the browser back with `error=` (RFC 6749 4.1.2.1; Okta's
  access_denied "User is not assigned to the client application.", okta.md 1.4);
- error-page: a party answered a page with an error (Okta's error page with its Error Code and Description, Logto's
  error JSON {code, message} or {error, error_description}, Logto's /unknown-session, the app's refusal: the sample
  app's panel or Auth.js's /api/auth/error?error=<type>); redirect-uri-not-registered when the error is about the
  redirect_uri (Okta: "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings");
- callback-refused: the app answered its callback with a redirect to its error page (Auth.js's
  /api/auth/error?error=<type>: what it found wrong in the code exchange or the ID token is behind that, in the
  back channel a browser's HAR does not hold);
- sso-not-enabled: on Logto's Single Sign-On page, the SSO lookup found no connector for the email's domain (Logto
  then says "Single Sign-On is not enabled for this email account."; logto.md, "Single Sign-On" link clicked);
- api-error / idx-error: Logto's Experience API answered an error ({code, message}), or Okta's IDX API an error
  message (messages.value[], class ERROR, with its i18n key); the steps of a normal journey that answer an error on
  purpose are not findings (identification 404 user.user_not_exist: Logto then registers the new user);
- discovery-failed / token-failed: a discovery, JWKS or token call failed: in the browser (a single-page app), or
  behind Logto's Experience API (SSO authorization URI: Logto reads the IdP's discovery document; connector verify:
  Logto exchanges the IdP's code at its token endpoint);
- no-answer: a protocol request got no answer (the browser's net::ERR_* or an aborted fetch);
- state-missing / state-changed: the callback did not echo the `state` of the authorization request (RFC 6749
  4.1.2, 10.12);
- iss-missing / iss-wrong: RFC 9207: Logto always sends `iss` (its discovery says
  authorization_response_iss_parameter_supported: true, logto-captures/discovery.json), and an `iss` must be the
  issuer the request went to;
- tokens-in-callback: a code-flow callback carrying id_token, access_token or a JARM `response`;
- unsolicited-callback: a callback with a code that the browser opened itself (a replayed or bookmarked URL), not
  sent there by a redirect or form post of the authorization server;
- redirect-uri-mismatch: an authorization server sent the code or error somewhere else than the redirect_uri sent;
- cookie-not-sent: a callback that then failed did not carry a cookie set earlier on its site, with the reason the
  browser had (SameSite=Strict on a cross-site navigation, SameSite=Lax or unset on a cross-site POST, SameSite=None
  without Secure, Secure on http, Path or Domain not covering it, expired);
- redirect-loop: the same URL twice in one redirect chain, or more than MAX_AUTHORIZE_REPEATS authorization requests
  to one server without a sign-in finishing;
- incomplete: no rule broken, but the sign-in never came back to the app's callback (the last page is named).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from e2e.har.reader import Entry, Har
from e2e.support.artifacts.secret_fields import REDACTED
from e2e.timeline import (
    CookieSet,
    HandleLabels,
    Hop,
    Parties,
    Timeline,
    origin_of,
    protocol_step,
    redact_url,
)

MAX_AUTHORIZE_REPEATS = 5
# Steps of a normal journey that answer an error on purpose: (step, status, code).
_EXPECTED_ERRORS = {
    ("experience identification", 404, "user.user_not_exist"),
    ("experience identification", 404, "user.sso_identity_not_exist"),  # a first SSO sign-in: Logto registers
}
_LOGTO_STEPS = {
    "authorize",
    "authorize (resume)",
    "sign-in page",
    "SSO lookup",
    "SSO authorization URI",
    "connector verify",
    "experience start",
    "connector callback",
    "SAML ACS",
    "consent",
    "end-session",
}
_OKTA_PATH = re.compile(r"^/(oauth2/(?:[^/]+/)?v1/|idp/idx/|login/token/redirect|app/[^/]+/[^/]+/sso/saml)")
_CALLBACK_STEPS = {"app callback", "connector callback", "SAML ACS", "authorize (resume)"}
_RESTART_STEPS = {"app sign-in", "authorize", "IdP authorize"}


@dataclass
class Finding:
    hop: int  # 1-based, in the diagnosis' timeline
    rule: str
    party: str
    message: str

    def describe(self, hops: list[Hop]) -> str:
        hop = hops[self.hop - 1]
        return f"hop {self.hop}, {hop.step} ({hop.party}, {hop.method} {urlsplit(hop.url).path}): {self.message}"


@dataclass
class AuthorizationRequest:
    hop: int
    server: str  # the origin it went to
    issuer: str
    party: str
    params: dict[str, str]

    @property
    def redirect_uri(self) -> str:
        return self.params.get("redirect_uri", "")


@dataclass
class Diagnosis:
    har: Har
    parties: Parties
    timeline: Timeline
    entries: list[Entry]  # one per hop
    findings: list[Finding] = field(default_factory=list)
    completed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def hops(self) -> list[Hop]:
        return self.timeline.hops

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    def summary(self) -> str:
        if self.first is not None:
            return "first break: " + self.first.describe(self.hops)
        if self.completed:
            return "no rule broken: the sign-in came back to the app's callback and on to the app"
        return "no rule broken, and no sign-in in this HAR"

    def render(self) -> str:
        names = ", ".join(f"{name} {origin}" for origin, name in self.parties.by_origin.items()) or "none recognised"
        lines = [
            f"HAR: {self.har.path or 'document'} ({self.har.creator}; {len(self.har.entries)} entries, "
            f"{len(self.hops)} hops)",
            f"parties: {names}",
            *[f"note: {note}" for note in self.notes],
            "",
            self.timeline.render_text(),
            "",
            self.summary(),
        ]
        for finding in self.findings[1:]:
            lines.append("  then: " + finding.describe(self.hops))
        return "\n".join(lines)


# ---- hops --------------------------------------------------------------------------------------------------------
def infer_parties(entries: list[Entry]) -> Parties:
    """Logto: where its OIDC provider, sign-in pages or Experience API answer; Okta: where /oauth2/v1, IDX or its SAML
    SSO answer; the app: the origin of the redirect_uri the app sent to Logto, or of Auth.js routes; another IdP:
    where Logto sent the browser to authorize."""
    by_origin: dict[str, str] = {}
    for entry in entries:
        origin = origin_of(entry.url)
        if protocol_step(entry.path, party="Logto", document=True) in _LOGTO_STEPS:
            by_origin.setdefault(origin, "Logto")
        elif _OKTA_PATH.search(entry.path):
            by_origin.setdefault(origin, "Okta")
    for entry in entries:
        params = dict(parse_qsl(urlsplit(entry.url).query))
        origin = origin_of(entry.url)
        if "redirect_uri" in params and "client_id" in params:
            target = origin_of(params["redirect_uri"])
            if by_origin.get(origin) == "Logto":
                by_origin.setdefault(target, "app")
            elif by_origin.get(target) == "Logto":
                by_origin.setdefault(origin, "IdP")
        if entry.path.startswith("/api/auth/"):
            by_origin.setdefault(origin, "app")
    return Parties(by_origin)


def _is_hop(entry: Entry, parties: Parties) -> bool:
    if entry.is_document:
        return True
    if entry.resource_type in ("fetch", "xhr", "other"):
        return bool(protocol_step(entry.path, party=parties.party(entry.url), document=False))
    return False


def _hop(entry: Entry, parties: Parties, labels: HandleLabels, previous: Entry | None) -> Hop:
    party = parties.party(entry.url)
    redirected = (
        previous is not None
        and 300 <= previous.status < 400
        and previous.location is not None
        and _same_request(previous.location, entry.url, previous.url)
    )
    if not entry.is_document:
        kind = "fetch"
    elif redirected:
        kind = "redirect"
    elif entry.method == "POST":
        kind = "form post"
    else:
        kind = "navigation"
    return Hop(
        start_ms=entry.started_ms,
        duration_ms=entry.duration_ms,
        party=party,
        channel="browser",
        kind=kind,
        method=entry.method,
        url=redact_url(entry.url, labels),
        status=entry.status or None,
        step=protocol_step(entry.path, party=party, document=entry.is_document),
        cookies_sent=entry.cookies_sent or (),
        cookies_set=entry.cookies_set,
        error=entry.error,
    )


def _same_request(location: str, url: str, base: str) -> bool:
    from urllib.parse import urljoin

    return urljoin(base, location).split("#")[0] == url.split("#")[0]


# ---- reading answers ---------------------------------------------------------------------------------------------
def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _json(entry: Entry) -> object:
    if entry.body and (entry.body.lstrip()[:1] in ("{", "[")):
        try:
            return json.loads(entry.body)
        except ValueError:
            return None
    return None


# IDX messages that refuse the user though their class is not ERROR (okta.md §1.4: an org without User Enumeration
# Prevention tells an unknown username as a WARNING).
_IDX_REFUSALS = {"idx.unknown.user"}


def _idx_messages(document: object) -> list[tuple[str, str]]:
    """(message, i18n key) of every ERROR message in an IDX response (top-level and on form fields), and of the
    refusals in _IDX_REFUSALS. Okta answers some of them with 200 (identify: "Authentication failed")."""
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            messages = node.get("messages")
            if isinstance(messages, dict) and isinstance(messages.get("value"), list):
                for message in messages["value"]:
                    if isinstance(message, dict) and (
                        message.get("class", "ERROR") == "ERROR"
                        or (message.get("i18n") or {}).get("key") in _IDX_REFUSALS
                    ):
                        key = (message.get("i18n") or {}).get("key", "")
                        found.append((str(message.get("message", "")), str(key)))
            for key, value in node.items():
                if key != "messages":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return found


def error_shown(entry: Entry, party: str) -> str | None:
    """What an answer says went wrong ("code: text"), or None when it is no error."""
    body = entry.body or ""
    params = dict(parse_qsl(urlsplit(entry.url).query))
    if party == "app" and entry.path == "/api/auth/error" and params.get("error"):
        return f"{params['error']} (Auth.js error page)"
    code = re.search(r'data-testid="auth-error-code"[^>]*>(.*?)<', body, re.S)
    if code:
        description = re.search(r'data-testid="auth-error-description"[^>]*>(.*?)</', body, re.S)
        return f"{_text(code.group(1))}: {_text(description.group(1)) if description else ''}".rstrip(": ")
    okta_code = re.search(r"Error Code:\s*([^<\n]+)", body)
    if okta_code:
        summary = re.search(r'data-se="error-summary"[^>]*>(.*?)<', body, re.S)
        description = re.search(r"Description:\s*([^<\n]+)", body)
        text = _text(description.group(1)) if description else (_text(summary.group(1)) if summary else "")
        return f"{_text(okta_code.group(1))}: {text}".rstrip(": ")
    document = _json(entry)
    if isinstance(document, dict):
        if document.get("error") or (entry.status >= 400 and document.get("code")):
            code_text = document.get("error") or document.get("code")
            text = document.get("error_description") or document.get("message") or ""
            logto_code = document.get("code") if document.get("error") and document.get("code") else None
            return f"{code_text}: {text}".rstrip(": ") + (f" (Logto code {logto_code})" if logto_code else "")
        messages = _idx_messages(document)
        if messages and (entry.status >= 400 or entry.path.startswith("/idp/idx/")):
            return "; ".join(f"{m}{f' ({k})' if k else ''}" for m, k in messages)
    if party == "Logto" and entry.path == "/unknown-session":
        return "Logto's unknown-session page: the sign-in session was not found"
    if 'data-page="error"' in body:
        title = re.search(r'class="title"[^>]*>(.*?)<', body, re.S)
        message = re.search(r'class="message"[^>]*>(.*?)<', body, re.S)
        return ": ".join(_text(m.group(1)) for m in (title, message) if m) or "Logto's error page"
    if entry.status >= 400:
        if entry.body is None:  # an exporter may leave it out (Playwright, when the page moved on before reading it)
            return f"HTTP {entry.status} (the HAR holds no body)"
        title = re.search(r"<title[^>]*>(.*?)</title>", body, re.S | re.I)
        return f"HTTP {entry.status}{f' {_text(title.group(1))}' if title else ''}"
    return None


# ---- the doctor ---------------------------------------------------------------------------------------------------
def diagnose(har: Har) -> Diagnosis:
    parties = infer_parties(har.entries)
    labels = HandleLabels()
    chosen: list[Entry] = []
    hops: list[Hop] = []
    previous: Entry | None = None
    for entry in har.entries:
        if not _is_hop(entry, parties):
            continue
        hops.append(_hop(entry, parties, labels, previous if entry.is_document else None))
        chosen.append(entry)
        if entry.is_document:
            previous = entry
    diagnosis = Diagnosis(har, parties, Timeline(list(hops)), chosen)
    # Timeline sorts by start; keep the entries in the same order.
    order = sorted(range(len(hops)), key=lambda i: hops[i].start_ms)
    diagnosis.entries = [chosen[i] for i in order]
    if not har.has_cookies:
        diagnosis.notes.append(
            "this HAR holds no cookies (Chrome's default export leaves them out; choose 'Export HAR (with sensitive "
            "data)' for them): the cookie checks are skipped"
        )
    _Rules(diagnosis).run()
    return diagnosis


class _Rules:
    def __init__(self, diagnosis: Diagnosis) -> None:
        self.d = diagnosis
        self.hops = diagnosis.hops
        self.entries = diagnosis.entries
        self.findings: list[tuple[int, int, Finding]] = []  # (hop, order, finding)

    def add(self, index: int, rule: str, message: str) -> None:
        self.findings.append((index, len(self.findings), Finding(index + 1, rule, self.hops[index].party, message)))

    def run(self) -> None:
        requests: list[AuthorizationRequest] = []
        chain: list[str] = []
        for index, (hop, entry) in enumerate(zip(self.hops, self.entries, strict=True)):
            if hop.kind != "redirect":
                chain = []
            if hop.kind in ("navigation", "redirect", "form post"):
                chain.append(_loop_key(entry))
                if chain.count(chain[-1]) == 3:  # twice is Logto's resume → consent → resume
                    self.add(index, "redirect-loop", f"the redirect chain came back to {hop.method} {hop.url}")
            authorization = _authorization_request(index, entry, hop)
            if authorization is not None:
                requests.append(authorization)
                self._repeats(index, requests)
            self._callback(index, entry, hop, requests)
            self._answer(index, entry, hop, requests)
        self._cookies()
        self._completion()
        # On one hop, a cookie the browser did not send comes first: it is why the hop then failed.
        ordered = sorted(self.findings, key=lambda t: (t[0], t[2].rule != "cookie-not-sent", t[1]))
        self.d.findings = [f for _, _, f in ordered]

    # -- the authorization round trip --------------------------------------------------------------------------
    def _repeats(self, index: int, requests: list[AuthorizationRequest]) -> None:
        latest = requests[-1]
        same = [r for r in requests if r.server == latest.server]
        recent = [r for r in same if self.hops[index].start_ms - self.hops[r.hop].start_ms <= 30_000]
        if len(recent) == MAX_AUTHORIZE_REPEATS + 1:
            self.add(
                index,
                "redirect-loop",
                f"{len(recent)} authorization requests to {latest.party} within 30 s, none of them finishing a sign-in",
            )

    def _callback(self, index: int, entry: Entry, hop: Hop, requests: list[AuthorizationRequest]) -> None:
        target = _strip(entry.url)
        pending = [r for r in requests if r.redirect_uri and _strip(r.redirect_uri) == target and r.hop < index]
        if not pending:
            return
        request = pending[-1]
        params = dict(parse_qsl(urlsplit(entry.url).query))
        if entry.method == "POST" and entry.post_text:
            params.update(parse_qsl(entry.post_text))
        server = request.party
        if params.get("error"):
            description = f": {params['error_description']}" if params.get("error_description") else ""
            self.add(
                index, "error-redirect", f"{server} sent the browser back with error={params['error']}{description}"
            )
        elif "code" not in params and "response" not in params and "SAMLResponse" not in params:
            return
        if hop.kind == "navigation":
            self.add(
                index,
                "unsolicited-callback",
                f"the browser opened the callback itself (typed, bookmarked or replayed), not sent there by {server}",
            )
            return
        if "state" in request.params:
            if "state" not in params:
                self.add(index, "state-missing", f"the callback has no state; {request.party} was sent one")
            elif params["state"] != request.params["state"]:
                labels = HandleLabels()
                sent, got = labels.label("state", request.params["state"]), labels.label("state", params["state"])
                self.add(index, "state-changed", f"the state came back changed ({got}, not the {sent} that was sent)")
        if "iss" in params:
            if params["iss"].rstrip("/") != request.issuer.rstrip("/"):
                self.add(
                    index,
                    "iss-wrong",
                    f"the callback's iss is {params['iss']}, not {request.issuer} where the request went (RFC 9207)",
                )
        elif request.party == "Logto" and ("code" in params or "error" in params):
            self.add(
                index,
                "iss-missing",
                f"the callback has no iss, though Logto always sends one ({request.issuer}; RFC 9207)",
            )
        response_type = request.params.get("response_type", "code")
        carried = [name for name in ("id_token", "access_token", "response") if name in params]
        if response_type == "code" and carried:
            self.add(
                index,
                "tokens-in-callback",
                f"a code-flow callback carries {', '.join(carried)} (implicit, hybrid or JARM, not asked for)",
            )

    def _answer(self, index: int, entry: Entry, hop: Hop, requests: list[AuthorizationRequest]) -> None:
        party = hop.party
        # An authorization server's redirect: where does the code or error go?
        if 300 <= entry.status < 400 and entry.location:
            from urllib.parse import urljoin

            location = urljoin(entry.url, entry.location)
            params = dict(parse_qsl(urlsplit(location).query))
            if "code" in params or "error" in params:
                sent = [r for r in requests if r.server == origin_of(entry.url) and r.hop <= index]
                if sent and sent[-1].redirect_uri and _strip(location) != _strip(sent[-1].redirect_uri):
                    self.add(
                        index,
                        "redirect-uri-mismatch",
                        f"{party} sent the {'code' if 'code' in params else 'error'} to {redact_url(_strip(location))}, "
                        f"not to the redirect_uri sent ({redact_url(_strip(sent[-1].redirect_uri))})",
                    )
        if entry.error and hop.step and not hop.step.endswith("page"):
            rule = _failing_call_rule(hop.step) or "no-answer"
            self.add(index, rule, f"no answer from {party} ({entry.error})" + _behind(hop.step))
            return
        if (
            hop.step == "SSO lookup"
            and _json(entry) == {"connectorIds": []}
            and self._page(index).startswith("/single-sign-on")
        ):
            email = dict(parse_qsl(urlsplit(entry.url).query)).get("email", "")
            self.add(
                index,
                "sso-not-enabled",
                f"Logto has no enterprise SSO connector for the domain {email.rpartition('@')[2] or '(none given)'}; its "
                "page says Single Sign-On is not enabled for this email account",
            )
            return
        shown = error_shown(entry, party)
        if shown is None:
            return
        document = _json(entry)
        code = document.get("code") if isinstance(document, dict) else None
        if (hop.step, entry.status, code) in _EXPECTED_ERRORS:
            return
        if hop.channel == "browser" and hop.kind == "fetch":
            if self._recovers(index, entry):
                return  # answered again, successfully, before anything else: a step of the flow, not a break
            is_idx = hop.step.startswith("IDX")
            rule = _failing_call_rule(hop.step) or ("idx-error" if is_idx else "api-error")
            what = "Okta's IDX API" if is_idx else f"{party}'s {'Experience API' if party == 'Logto' else 'API'}"
            self.add(index, rule, f"{what} answered {entry.status}: {shown}{_behind(hop.step)}")
            return
        if party == "app" and hop.kind == "redirect" and index > 0 and self.hops[index - 1].step == "app callback":
            self.add(index - 1, "callback-refused", f"the app refused the callback: its error page says {shown}")
            return
        rule = "redirect-uri-not-registered" if "redirect_uri" in shown else "error-page"
        self.add(index, rule, f"{party} answered {entry.status} with an error: {shown}")

    # -- cookies ------------------------------------------------------------------------------------------------
    def _cookies(self) -> None:
        if not self.d.har.has_cookies:
            return
        errors = sorted(i for i, _, f in self.findings if f.rule not in ("cookie-not-sent",))
        jar: dict[str, tuple[int, CookieSet, str]] = {}  # (origin host, name) key → (hop, cookie, set at URL)
        for index, (hop, entry) in enumerate(zip(self.hops, self.entries, strict=True)):
            host = urlsplit(entry.url).hostname or ""
            if hop.step in _CALLBACK_STEPS and entry.cookies_sent is not None:
                failing = next((e for e in errors if e >= index and not self._restarts_between(index, e)), None)
                if failing is not None:
                    self._missing(index, entry, host, jar, failing)
            for cookie in entry.cookies_set:
                key = f"{cookie.attribute('Domain') or host}|{cookie.name}"
                if cookie.removes:
                    jar.pop(key, None)
                else:
                    jar[key] = (index, cookie, entry.url)

    def _recovers(self, index: int, entry: Entry) -> bool:
        for later in range(index + 1, len(self.entries)):
            other = self.entries[later]
            if self.hops[later].kind != "fetch":
                return False
            if other.method == entry.method and other.path == entry.path and 0 < other.status < 400:
                return error_shown(other, self.hops[later].party) is None
        return False

    def _page(self, index: int) -> str:
        """The path of the page a fetch was made from: the last document before it."""
        for earlier in range(index - 1, -1, -1):
            if self.hops[earlier].kind != "fetch" and self.hops[earlier].channel == "browser":
                return self.entries[earlier].path
        return ""

    def _sent_later(self, name: str, index: int) -> bool:
        return any(name in (e.cookies_sent or ()) for e in self.entries[index + 1 :])

    def _restarts_between(self, start: int, end: int) -> bool:
        return any(self.hops[i].step in _RESTART_STEPS for i in range(start + 1, end + 1))

    def _missing(self, index: int, entry: Entry, host: str, jar: dict, failing: int) -> None:
        sent = set(entry.cookies_sent or ())
        previous_site = _site(self.entries[index - 1].url) if index > 0 else _site(entry.url)
        cross_site = previous_site != _site(entry.url)
        for key, (set_at, cookie, set_url) in jar.items():
            domain, _, name = key.partition("|")
            if name in sent:
                continue
            if not _domain_matches(host, domain) and (
                self.hops[set_at].party != self.hops[index].party or _site(set_url) != _site(entry.url)
            ):
                continue  # another party's or site's cookie: nothing this callback needs
            why = _why_not_sent(cookie, entry, cross_site, set_url)
            if why is None or (why.startswith("its Path") and (self._sent_later(name, index) or _per_request(cookie))):
                continue  # scoped to another route on purpose (Logto's _interaction_resume is for /oidc/auth/<uid>)
            led_to = self.hops[failing]
            then = (
                "and the callback failed"
                if failing == index
                else f"it then failed at hop {failing + 1} ({led_to.step} at {led_to.party})"
            )
            self.add(
                index,
                "cookie-not-sent",
                f"the browser did not send cookie {name} (set at hop {set_at + 1}) with this callback: {why}; {then}",
            )

    def _completion(self) -> None:
        for index, (hop, entry) in enumerate(zip(self.hops, self.entries, strict=True)):
            if hop.step == "app callback" and entry.status and entry.status < 400 and error_shown(entry, "app") is None:
                following = self.hops[index + 1] if index + 1 < len(self.hops) else None
                if entry.status >= 300 and following is not None and error_shown(self.entries[index + 1], "app"):
                    continue
                self.d.completed = True
        if self.findings or self.d.completed or not self.hops:
            return
        documents = [i for i, h in enumerate(self.hops) if h.channel == "browser" and h.kind != "fetch"]
        last = documents[-1] if documents else len(self.hops) - 1
        hop = self.hops[last]
        self.add(
            last,
            "incomplete",
            f"no rule broken, but the sign-in never came back to the app's callback: the last page is "
            f"{hop.party}'s {hop.step} ({hop.status if hop.status is not None else hop.error})",
        )


# ---- helpers -------------------------------------------------------------------------------------------------------
def _authorization_request(index: int, entry: Entry, hop: Hop) -> AuthorizationRequest | None:
    params = dict(parse_qsl(urlsplit(entry.url).query))
    if entry.method == "POST" and entry.post_text and hop.step in ("authorize", "IdP authorize"):
        params.update(parse_qsl(entry.post_text))
    if not ({"client_id", "redirect_uri"} <= params.keys() and "response_type" in params):
        return None
    if hop.step not in ("authorize", "IdP authorize"):
        return None
    parts = urlsplit(entry.url)
    issuer = f"{parts.scheme}://{parts.netloc}" + re.sub(r"/(v1/authorize|auth|authorize)$", "", parts.path)
    if re.fullmatch(r"/oauth2/v1/authorize", parts.path):
        issuer = f"{parts.scheme}://{parts.netloc}"  # Okta's org authorization server
    return AuthorizationRequest(index, origin_of(entry.url), issuer, hop.party, params)


def _strip(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}".lower()


def _loop_key(entry: Entry) -> str:
    params = sorted(k for k, _ in parse_qsl(urlsplit(entry.url).query))
    return f"{entry.method} {_strip(entry.url)}?{'&'.join(params)}"


def _failing_call_rule(step: str) -> str | None:
    if step in ("discovery", "JWKS", "SSO authorization URI"):
        return "discovery-failed"
    if step in ("token exchange", "connector verify", "userinfo"):
        return "token-failed"
    return None


def _behind(step: str) -> str:
    if step == "SSO authorization URI":
        return " (Logto reads the IdP's discovery document for this answer)"
    if step == "connector verify":
        return " (Logto exchanges the IdP's code at its token endpoint for this answer)"
    return ""


def _site(url: str) -> str:
    """The registrable domain for SameSite: the host's last two labels (IP literals and localhost as they are)."""
    host = (urlsplit(url).hostname or "").lower()
    if re.fullmatch(r"[\d.]+|[0-9a-f:]+", host) or "." not in host:
        return host
    return ".".join(host.split(".")[-2:])


def _domain_matches(host: str, domain: str) -> bool:
    domain = domain.lstrip(".").lower()
    return host == domain or host.endswith("." + domain)


def _per_request(cookie: CookieSet) -> bool:
    """A cookie scoped to the URL of one interaction (its Path ends in a random id: Logto's _interaction_resume,
    Path=/oidc/auth/<uid>): meant for that one route, never for a callback."""
    return REDACTED in redact_url("http://host" + (cookie.attribute("Path") or "/"))


def _why_not_sent(cookie: CookieSet, entry: Entry, cross_site: bool, set_url: str) -> str | None:
    """Why a browser would leave this cookie off this request, or a plain statement when no rule explains it."""
    from email.utils import parsedate_to_datetime

    scheme = urlsplit(entry.url).scheme
    same_site = (cookie.attribute("SameSite") or "").lower()
    if cookie.attribute("Secure") is not None and scheme == "http" and urlsplit(entry.url).hostname != "localhost":
        return "it is Secure and the callback is http (browsers keep Secure cookies off plain http)"
    if same_site == "none" and cookie.attribute("Secure") is None:
        return "SameSite=None without Secure: browsers reject such a cookie"
    path = cookie.attribute("Path")
    if path and not (entry.path == path or entry.path.startswith(path.rstrip("/") + "/")):
        return f"its Path={path} does not cover {entry.path}"
    domain = cookie.attribute("Domain")
    host = urlsplit(entry.url).hostname or ""
    if domain and not _domain_matches(host, domain):
        return f"its Domain={domain} does not cover {host}"
    set_host = urlsplit(set_url).hostname or ""
    if not domain and set_host != host:
        return f"{set_host} set it without a Domain (host-only), and the callback is on {host}"
    if cookie.attribute("Max-Age") is not None or cookie.attribute("Expires") is not None:
        expires = None
        max_age = cookie.attribute("Max-Age")
        if max_age and max_age.lstrip("-").isdigit():
            expires = None if int(max_age) > 10**9 else int(max_age)
        if expires is not None:
            return None if expires > 0 else "it had expired"
        try:
            when = parsedate_to_datetime(cookie.attribute("Expires") or "").timestamp() * 1000
            if when < entry.started_ms:
                return "it had expired (Expires before the callback)"
        except (TypeError, ValueError):
            pass
    if cross_site and same_site == "strict":
        return "SameSite=Strict, and the callback is a cross-site navigation"
    if cross_site and entry.method == "POST" and same_site in ("lax", ""):
        return f"SameSite={same_site.capitalize() or 'unset (Lax by default)'} keeps it off a cross-site POST"
    return None
