"""What real services do to a test run — rate limits, lockouts — is reported as such, never as a timeout."""

from __future__ import annotations

import pytest

from e2e.journey import JourneyHopError, SsoJourney
from e2e.support.okta.controls import OktaControls
from e2e.support.stack import SsoUser


@pytest.mark.embedded_only("okta", reason="turns on the embedded Okta's rate limit")
def test_okta_rate_limit_is_reported_as_a_rate_limit_not_a_timeout(
    journey: SsoJourney, user: SsoUser, okta_controls: OktaControls
) -> None:
    okta_controls.freeze_clock()  # Okta counts per minute: held still, both requests below fall in the same one
    okta_controls.settings(rate_limit_per_minute=1)
    journey.open_logto_sign_in()
    journey.continue_to_okta(user.email)  # the first authorize request of the minute passes

    journey.open_logto_sign_in()
    with pytest.raises(JourneyHopError, match=r"stopped: rate-limited by Okta at /oauth2/v1/authorize") as failure:
        journey.continue_to_okta(user.email)
    assert "HTTP 429" in str(failure.value)
