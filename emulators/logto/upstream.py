"""HTTP towards the upstream IdP as Logto 1.37 makes it: `got` 14 for discovery, token and userinfo, jose 5 for JWKS.

Sources (Logto 1.37.1 pins got 14.0.0 and jose 5.9.6, pnpm-lock.yaml):
- `packages/core/src/sso/OidcConnector/utils.ts` calls `got.get` / `got.post` with no retry or timeout options,
  so got's defaults apply (got 14 `dist/source/core/options.js`, `core/calculate-retry-delay.js`,
  `core/index.js`): up to 2 retries (3 requests) for GET (never POST) when the answer is 408, 413, 429, 500,
  502, 503, 504, 521, 522 or 524, or the connection fails with ECONNREFUSED, ECONNRESET, ENOTFOUND, … ;
  a `Retry-After` header (seconds or an HTTP date) sets the delay (no upper bound without a request timeout;
  413 without it is not retried), otherwise 1 s then 2 s, each plus up to 100 ms of noise; and **no timeout**:
  a request the IdP never answers waits until the connection closes.
- jose's `createRemoteJWKSet` (jose 5 `runtime/fetch_jwks.js`, `jwks/remote.js`): one GET, no retry, a 5 s
  timeout, only a 200 with a JSON body is accepted.

Every wait (retry delays, the JWKS timeout) runs on the emulator's clock, so a test can cut a 30 s
`Retry-After` short with `POST /_emulator/clock {"advance": 30}`.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from emulators.common.clock import Clock

RETRY_LIMIT = 2
RETRY_METHODS = {"GET", "PUT", "HEAD", "DELETE", "OPTIONS", "TRACE"}
RETRY_STATUS_CODES = {408, 413, 429, 500, 502, 503, 504, 521, 522, 524}
RETRY_ERROR_CODES = {"ETIMEDOUT", "ECONNRESET", "EADDRINUSE", "ECONNREFUSED", "EPIPE", "ENOTFOUND", "ENETUNREACH",
                     "EAI_AGAIN"}  # fmt: skip
RETRY_NOISE_MS = 100
JWKS_TIMEOUT_SECONDS = 5.0

# OpenSSL verify results as Node names them (err.code of a TLS failure)
_TLS_CODES = {
    10: "CERT_HAS_EXPIRED",
    18: "DEPTH_ZERO_SELF_SIGNED_CERT",
    19: "SELF_SIGNED_CERT_IN_CHAIN",
    20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    62: "ERR_TLS_CERT_ALTNAME_INVALID",
}


@dataclass
class UpstreamFailure(Exception):
    """A request that got (or jose) gave up on: what Logto puts into the error's `data.error`."""

    code: str  # got's error code: ERR_NON_2XX_3XX_RESPONSE, ECONNREFUSED, ERR_BODY_PARSE_FAILURE, a TLS code, …
    name: str  # got's error class: HTTPError, RequestError, ParseError (jose: JOSEError, JWKSTimeout)
    message: str
    url: str
    attempts: int = 1
    status: int | None = None
    body: Any = None  # the answer's body (parsed JSON where it parses), for HTTP errors

    def __post_init__(self) -> None:
        super().__init__(f"{self.name} {self.code}: {self.message}")

    def as_data(self) -> Any:
        """`error instanceof HTTPError ? error.response.body : error`, as Logto's connector code writes it."""
        if self.name == "HTTPError":
            return self.body
        return {"code": self.code, "name": self.name, "message": self.message,
                "options": {"url": self.url}}  # fmt: skip


@dataclass
class UpstreamResponse:
    status: int
    headers: httpx.Headers
    text: str
    attempts: int
    attempt_log: list[float] = field(default_factory=list)  # clock time of each request sent

    def json(self) -> Any:
        return json.loads(self.text)


class GotClient:
    """got 14's defaults: retries with backoff or Retry-After for idempotent methods, no timeout."""

    def __init__(self, clock: Clock, *, verify: ssl.SSLContext, timeout: float | None = None) -> None:
        self.clock = clock
        self.verify = verify
        self.timeout = timeout  # None, as in Logto (got has no default timeout)
        # Called before each attempt; a failure it returns stands for that attempt (the emulator's own faults).
        self.inject: Callable[[str, str], UpstreamFailure | None] = lambda method, url: None

    async def request(self, method: str, url: str, *, headers: dict[str, str] | None = None,
                      content: str | None = None, parse_json: bool = False) -> UpstreamResponse:  # fmt: skip
        """Send with got's retry rules; raise UpstreamFailure after the last attempt (or a parse failure)."""
        sent: list[float] = []
        attempt = 0
        while True:
            attempt += 1
            sent.append(self.clock.now())
            outcome = self.inject(method.upper(), url) or await self._send(method, url, headers, content)
            if isinstance(outcome, httpx.Response) and outcome.status_code < 400:
                result = UpstreamResponse(outcome.status_code, outcome.headers, outcome.text, attempt, sent)
                if parse_json and result.text:
                    try:
                        json.loads(result.text)
                    except ValueError as exc:
                        raise UpstreamFailure("ERR_BODY_PARSE_FAILURE", "ParseError", f"{exc} in \"{url}\"", url,
                                              attempt, outcome.status_code, result.text) from None  # fmt: skip
                return result
            if isinstance(outcome, httpx.Response):
                response: httpx.Response | None = outcome
                failure = UpstreamFailure("ERR_NON_2XX_3XX_RESPONSE", "HTTPError",
                                          f"Response code {outcome.status_code} ({outcome.reason_phrase})", url,
                                          status=outcome.status_code, body=_body(outcome))  # fmt: skip
            else:
                response, failure = None, outcome
            failure.attempts = attempt
            delay = self._retry_delay(method, attempt, failure, response)
            if not delay:
                raise failure
            await self.clock.sleep(delay, label=f"got retry {attempt} of {method} {url}")

    async def _send(self, method: str, url: str, headers: dict[str, str] | None,
                    content: str | None) -> httpx.Response | UpstreamFailure:  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=self.timeout, verify=self.verify, follow_redirects=True) as http:
                return await http.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            return _request_error(exc, url, 1)

    def _retry_delay(self, method: str, attempt: int, failure: UpstreamFailure,
                     response: httpx.Response | None) -> float:  # fmt: skip
        """Seconds before the next attempt, 0 for none (got 14 calculate-retry-delay.js)."""
        if attempt > RETRY_LIMIT or method.upper() not in RETRY_METHODS:
            return 0.0
        if failure.code not in RETRY_ERROR_CODES and failure.status not in RETRY_STATUS_CODES:
            return 0.0
        if response is not None:
            retry_after = _retry_after_ms(response.headers.get("retry-after"), self.clock.now())
            if retry_after:
                return retry_after / 1000
            if response.status_code == 413:
                return 0.0
        noise = random.random() * RETRY_NOISE_MS
        return (2 ** (attempt - 1) * 1000 + noise) / 1000

    async def fetch_jwks(self, url: str) -> Any:
        """jose's remote JWKS fetch: one GET, 5 s timeout on the clock, 200 + JSON or a JOSEError."""

        async def get() -> httpx.Response:
            async with httpx.AsyncClient(timeout=None, verify=self.verify, follow_redirects=False) as http:
                return await http.get(url)

        request = asyncio.ensure_future(get())
        timer = asyncio.ensure_future(self.clock.sleep(JWKS_TIMEOUT_SECONDS, label=f"jose JWKS timeout {url}"))
        done, _ = await asyncio.wait({request, timer}, return_when=asyncio.FIRST_COMPLETED)
        if request not in done:
            request.cancel()
            raise UpstreamFailure("ERR_JWKS_TIMEOUT", "JWKSTimeout", "request timed out", url)
        timer.cancel()
        try:
            response = request.result()
        except httpx.HTTPError as exc:
            raise _request_error(exc, url, 1) from None
        if response.status_code != 200:
            raise UpstreamFailure("ERR_JOSE_GENERIC", "JOSEError",
                                  "Expected 200 OK from the JSON Web Key Set HTTP response", url, 1,
                                  response.status_code)  # fmt: skip
        try:
            return response.json()
        except ValueError:
            raise UpstreamFailure("ERR_JOSE_GENERIC", "JOSEError",
                                  "Failed to parse the JSON Web Key Set HTTP response as JSON", url) from None  # fmt: skip


def _retry_after_ms(value: str | None, now: float) -> float | None:
    """got: a number is seconds; otherwise an HTTP date (past dates give 1 ms); unparsable gives no value."""
    if value is None:
        return None
    try:
        return float(value.strip()) * 1000
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    delta = (when - now) * 1000
    return delta if delta > 0 else 1.0


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _request_error(exc: httpx.HTTPError, url: str, attempt: int) -> UpstreamFailure:
    """Name a transport failure the way Node does (err.code), which decides whether got retries it."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            code = _TLS_CODES.get(cause.verify_code, "ERR_TLS_CERT_VERIFY")
            return UpstreamFailure(code, "RequestError", cause.verify_message or str(cause), url, attempt)
        if isinstance(cause, ssl.SSLError):
            return UpstreamFailure("EPROTO", "RequestError", str(cause), url, attempt)
        if isinstance(cause, socket.gaierror):
            return UpstreamFailure("ENOTFOUND", "RequestError", f"getaddrinfo ENOTFOUND ({url})", url, attempt)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return UpstreamFailure("ECONNREFUSED", "RequestError", f"connect ECONNREFUSED ({url})", url, attempt)
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamFailure("ETIMEDOUT", "TimeoutError", f"Timeout awaiting response ({url})", url, attempt)
    # the IdP closed the connection without an answer ("socket hang up")
    return UpstreamFailure("ECONNRESET", "RequestError", f"socket hang up ({url})", url, attempt)
