"""A HAR with everything that grants access removed, to attach to a bug report.

The suite's scrubber (e2e/support/artifacts/scrub.py) by structure, pattern and value: cookie values in the cookies
arrays, Cookie, Set-Cookie and Authorization headers, secret query and form parameters, secret JSON keys, JWTs,
Okta's stateToken in its pages' scripts, SAML messages; and every value found that way wherever else it appears
(a code from a redirect in the page that printed it, an interaction id in a URL path). Beyond that, for HARs:
bodies the scrubber cannot read are left out (binary and base64 content that is not text: fonts, images), base64
text bodies are decoded first so they are scrubbed too, and a `comment` on the log says what was done.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from typing import Any

from e2e.support.artifacts.scrub import Scrubber
from e2e.support.artifacts.secret_fields import is_secret_param

NOTE = "scrubbed by the HAR doctor (python -m e2e.har): cookie values, credentials, codes, tokens and handles removed"


def _text_bodies(data: dict[str, Any]) -> int:
    """Decode base64 text bodies in place; drop the others. Returns how many bodies were dropped."""
    dropped = 0
    for entry in data.get("log", {}).get("entries", []):
        content = (entry.get("response") or {}).get("content") or {}
        if content.get("encoding") != "base64" or not isinstance(content.get("text"), str):
            continue
        try:
            content["text"] = base64.b64decode(content["text"]).decode("utf-8")
            del content["encoding"]
        except (binascii.Error, ValueError, UnicodeDecodeError):
            content["text"] = ""
            del content["encoding"]
            content["comment"] = "binary body left out by the HAR doctor"
            dropped += 1
    return dropped


def _harvest(data: dict[str, Any]) -> set[str]:
    """Values that grant access by where they stand: secret parameters of every URL (requests, redirects, Location
    and Referer headers), of form bodies, and secret keys of JSON bodies (secret_fields.py names them)."""
    from e2e.support.artifacts.network_watch import values_in_body, values_in_url

    found: set[str] = set()
    for entry in data.get("log", {}).get("entries", []):
        request, response = entry.get("request") or {}, entry.get("response") or {}
        urls = [request.get("url", ""), response.get("redirectURL", "")]
        urls += [h.get("value", "") for h in request.get("headers", []) + response.get("headers", [])
                 if str(h.get("name", "")).lower() in ("location", "referer")]  # fmt: skip
        for url in urls:
            if isinstance(url, str) and "?" in url:
                found |= values_in_url(url)
        for body in ((request.get("postData") or {}).get("text"), (response.get("content") or {}).get("text")):
            if isinstance(body, str) and body:
                found |= values_in_body(body)
    # A value that is itself the name of such a field is a reference to it, not a secret: Logto's and Okta's
    # bodies say which token they mean ({"token_type": "id_token"}); scrubbing those words would blank them in
    # every error code that contains them (invalid_id_token).
    return {value for value in found if not is_secret_param(value)}


def scrub_har(data: dict[str, Any], values: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, Any], set[str]]:
    """A scrubbed copy of a decoded HAR, and the values removed from it. `values`: more values to remove wherever
    they appear (e.g. a password the user knows they typed)."""
    document = copy.deepcopy(data)
    _text_bodies(document)
    log = document.setdefault("log", {})
    log["comment"] = (f"{log['comment']} | " if log.get("comment") else "") + NOTE
    scrubber = Scrubber({*values, *_harvest(document)})
    text = json.dumps(document, ensure_ascii=False)
    changed = scrubber.scrub({"har": ("copy.har", text.encode("utf-8"))})
    scrubbed = json.loads(changed["har"].decode("utf-8")) if "har" in changed else document
    return scrubbed, set(scrubber.values)
