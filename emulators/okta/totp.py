"""Google Authenticator (TOTP) checks: 6 digits, 30-second steps, SHA-1 (pyotp's defaults), single use."""

from __future__ import annotations

import base64
import os

import pyotp

from emulators.okta.state import Factor

STEP = 30


class OktaTOTP(pyotp.TOTP):
    """pyotp's TOTP for Okta's 16-character (80-bit) shared secrets: pyotp >= 2.10 refuses secrets under 112 bits
    unless a subclass lowers the minimum. Codes are standard: 6 digits, 30 s, SHA-1."""

    min_secret_length_bits = 80


def new_secret() -> str:
    """16 base32 characters, as Okta's activation object has them (keyLength 16)."""
    return base64.b32encode(os.urandom(10)).decode()


def match_step(factor: Factor, passcode: str, now: float, window: int) -> int | None:
    """The 30-s counter the passcode belongs to (within ±window steps of now), or None."""
    code = passcode.strip()
    if len(code) != 6 or not code.isdigit():
        return None
    totp = OktaTOTP(factor.secret)
    current = int(now // STEP)
    for counter in sorted(range(current - window, current + window + 1), key=lambda c: abs(c - current)):
        if totp.at(counter * STEP) == code:
            return counter
    return None


def is_reused(factor: Factor, counter: int) -> bool:
    return bool(factor.used_steps) and counter <= max(factor.used_steps)


def record_failure(factor: Factor, now: float, window_seconds: int) -> None:
    factor.failures = [t for t in factor.failures if t > now - window_seconds] + [now]


def is_locked(factor: Factor, now: float, attempts: int, window_seconds: int) -> bool:
    return len([t for t in factor.failures if t > now - window_seconds]) >= attempts
