"""Okta's hosted sign-in page: the real Sign-In Widget 7.x, Gen2 or Gen3, identifier-first or one-page.

Only selectors that tests/data/okta-widget-7.49/selector-matrix.json proves on both generations are used, all in OktaWidget; the
pages differ by their form heading ([data-se="o-form-head"]), which is also how a page knows it is shown.
"""

from __future__ import annotations

import itertools
import re
import time

from playwright.sync_api import Page, expect

from e2e.pages.base import PageObject, default_timeout
from e2e.support.settings import Secret

IDENTIFY_HEADING = "Sign In"
PASSWORD_HEADING = "Verify with your password"
TOTP_HEADING = "Verify with Google Authenticator"

# Messages the widget shows (its own English bundle, localised by i18n key).
UNABLE_TO_SIGN_IN = "Unable to sign in"
PASSWORD_INCORRECT = "Password is incorrect"
USER_NOT_ASSIGNED = "User is not assigned to this application."
TOTP_WRONG_CODE = "Your code doesn't match our records. Please try again."
TOTP_REUSED_CODE = "Each code can only be used once. Please wait for a new code and try again."
ACCOUNT_LOCKED = "Your account is locked. Please contact your administrator."  # errors.E0000119
NO_ACCOUNT = re.compile(r"There is no account with the Username \S+\.")  # idx.unknown.user, the server's text

# Where an org setting decides what a person is told, every documented variant (okta.md §1.4):
# - an unknown username: "Unable to sign in", or "There is no account with the Username …", or, with User
#   Enumeration Prevention on an identifier-first page, the password page and then its refusal;
# - a locked user: "Unable to sign in", or with "Show lock out failures" the lockout itself.
UNKNOWN_USER_MESSAGES = (UNABLE_TO_SIGN_IN, NO_ACCOUNT, PASSWORD_INCORRECT)
LOCKED_USER_MESSAGES = (UNABLE_TO_SIGN_IN, ACCOUNT_LOCKED)


# One-shot listeners added just before each activation of submit, once the button is shown and not covered (what a
# mouse click would have checked: a keyboard activation does not). The second listener runs last in the dispatch of
# the submit event the activation causes (on window, bubbling: after the widget's own handler on the form) and
# reports through the console what the widget did with that submit, so the report survives a navigation that may
# follow at once. The probe returns why the button cannot be reached, or null.
#   Gen2 (Courage's BaseForm, okta-signin-widget dist/esm/packages/@okta/courage-dist/.../views/forms/BaseForm.js)
#   runs its save through `_.throttle(__save, 200, {trailing: false})`: a submit within 200 ms of the form's last
#   accepted one is dropped without a trace (tests/data/README.md, "Widget behaviour", 2; Gen2 keeps the same
#   form instance after a 4xx answer). An accepted
#   submit synchronously, inside the same dispatch, either fails client-side validation (its errors are cleared and
#   redrawn) or reaches FormController.handleSaveForm (src/v2/controllers/FormController.js), which marks the button
#   `link-button-disabled` and triggers the model's `request` event, which puts the form into `o-form-saving`
#   (hasSavingState). So right after the dispatch: saving proves the IDX request is on its way; changed errors prove
#   a refusal; neither proves that nothing was sent and nothing will be.
#   Gen3 (Preact, src/v3/src/components/Form/Form.tsx handleSubmit) has no such window: once its form is rendered
#   every submit goes on to client-side validation and the IDX request; its state updates render after the
#   dispatch, so the probe only says that the submit was handled.
_SUBMIT_PROBE = """(button, mark) => {
  const box = button.getBoundingClientRect();
  if (!box.width || !box.height) return 'it has no size (hidden)';
  const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  if (hit !== null && hit !== button && !button.contains(hit)) {
    return 'it is covered by <' + hit.tagName.toLowerCase() + (hit.id ? ' id=' + hit.id : '') +
      (hit.className && typeof hit.className === 'string' ? ' class="' + hit.className + '"' : '') + '>';
  }
  const errors = (form) => Array.from(form.querySelectorAll('.o-form-error-container > *, .o-form-input-error'));
  let before = [];
  window.addEventListener('submit', (event) => {
    before = event.target instanceof HTMLFormElement ? errors(event.target) : [];
  }, { capture: true, once: true });
  window.addEventListener('submit', (event) => {
    const form = event.target;
    let outcome = 'handled';
    if (form instanceof HTMLFormElement && form.querySelector('input[data-type="save"]')) {
      const after = errors(form);
      if (form.classList.contains('o-form-saving') || form.querySelector('.link-button-disabled') !== null) {
        outcome = 'sent';
      } else if (after.length !== before.length || after.some((element) => !before.includes(element))) {
        outcome = 'refused';
      } else {
        outcome = 'ignored';
      }
    }
    console.debug(mark + outcome);
  }, { once: true });
  return null;
}"""
_submit_probes = itertools.count(1)


class WidgetIgnoredSubmitError(AssertionError):
    """The widget dropped every submit until the page object's timeout."""


class OktaWidget:
    """The widget's form, whichever generation renders it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.locator("#okta-sign-in")
        self.heading = page.locator('[data-se="o-form-head"]')
        self.username = page.locator('input[name="identifier"]')
        self.password = page.locator('input[name="credentials.passcode"][type="password"]')
        self.code = page.get_by_role("textbox", name="Enter code", exact=True)
        self.submit = page.locator('input[data-type="save"], button[data-se="save"]')
        # Gen2 keeps an empty role=alert container on every page: only a non-empty alert is an error.
        self.form_error = page.locator('#okta-sign-in [role="alert"]').filter(has_text=re.compile(r"\S"))
        self.field_error = page.locator('#okta-sign-in .o-form-input-error, #okta-sign-in [id$="-error"]')
        self.back_to_sign_in = page.locator('[data-se="cancel"]')
        # Gen3 also marks the Username input with data-se="identifier": take the read-only display only.
        self.signed_in_user = page.locator('form [data-se="identifier"]:not(input)')
        # Elements that org settings add (the journey never uses them; they must not confuse the locators above):
        # self-service registration, self-service unlock, a second authenticator, Okta Verify with FastPass.
        self.sign_up = page.locator('#okta-sign-in [data-se="enroll"]')
        self.unlock_account = page.locator('#okta-sign-in [data-se="unlock"]')
        self.switch_authenticator = page.locator('#okta-sign-in [data-se="switchAuthenticator"]')
        self.fastpass = page.locator("#okta-sign-in").get_by_text("Sign in with Okta FastPass")
        # Submits the widget provably dropped (Gen2's submit throttle) and that send() therefore repeated.
        self.ignored_submits = 0

    def send(self, timeout_ms: float | None = None) -> None:
        """Submit once, as a user does; submit again only when the page proves the widget dropped the submit.

        A submit is made only when the submit button is enabled (both generations disable it while a request is
        pending). Gen2 then, within the submit's own dispatch, starts saving, or redraws its validation errors, or
        has dropped it (its 200 ms submit throttle, see _SUBMIT_PROBE); only in the last case, which sent nothing,
        is the submit repeated. Nothing here depends on how long anything takes: the widget sends at most one IDX
        request per call. Raises WidgetIgnoredSubmitError if the widget drops submits for timeout_ms (ms; None: the
        run's bound), or Playwright's TimeoutError if the button never becomes enabled.
        """
        timeout_ms = timeout_ms if timeout_ms is not None else default_timeout()
        deadline = time.monotonic() + timeout_ms / 1000
        ignored = 0
        while self.submit_once(timeout_ms) == "ignored":
            ignored += 1
            self.ignored_submits += 1
            if time.monotonic() > deadline:
                raise WidgetIgnoredSubmitError(
                    f"the Okta widget dropped {ignored} submits in {timeout_ms / 1000:.0f} s; nothing was sent"
                )

    def submit_once(self, timeout_ms: float | None = None) -> str:
        """Activate the submit button once; returns what the widget did with it, as the page shows at the end of
        the submit's dispatch: "sent" (Gen2 is saving: its IDX request is under way), "refused" (Gen2 redrew its
        validation errors), "ignored" (Gen2 did nothing and will send nothing) or "handled" (Gen3).

        The button is activated from the keyboard (focused, then Enter), as a keyboard user does, once it is shown
        and nothing covers it (AssertionError otherwise): the browser then fires its click (no pointer events) and
        the form's submit, which is what both widgets listen to. Not a mouse click, because
        Playwright clicks only an element that has stopped moving, and the Gen2 widget slides its header and
        content in for 400 ms after each page (CSS transitions of padding, seen with document.getAnimations()):
        each click waited out that slide, 0.2-0.4 s per page, which no user waits for.
        """
        timeout_ms = timeout_ms if timeout_ms is not None else default_timeout()
        # Ready: both generations disable the button while a request is pending (tests/data/README.md, "Widget
        # behaviour").
        expect(self.submit).to_be_enabled(timeout=timeout_ms)
        mark = f"[e2e okta-widget submit {next(_submit_probes)}] "
        unreachable = self.submit.evaluate(_SUBMIT_PROBE, mark)
        if unreachable:
            raise AssertionError(f"the Okta widget's submit button cannot be pressed by a user: {unreachable}")
        with self.page.expect_console_message(lambda m: m.text.startswith(mark), timeout=timeout_ms) as seen:
            self.submit.press("Enter", timeout=timeout_ms)
        return seen.value.text[len(mark) :]

    @property
    def generation(self) -> str:
        return "gen2" if self.page.locator('input[data-type="save"]').count() else "gen3"

    def error_text(self) -> str:
        return " ".join(self.form_error.first.inner_text().split())


class _OktaWidgetPage(PageObject):
    heading_text = ""

    def __init__(self, page: Page, timeout_ms: float | None = None) -> None:
        super().__init__(page, timeout_ms)
        self.widget = OktaWidget(page)

    def _wait_until_loaded(self) -> None:
        # The first page comes with the widget's bundle (0.3-0.6 s), the next ones within 0.1 s: re-checked every 20 ms.
        self._expect_shown_unless_blocked(self.widget.heading.filter(has_text=self.heading_text), every_ms=20)
        expect(self.widget.heading).to_have_text(self.heading_text, timeout=self.timeout_ms)

    def expect_error(self, text: str) -> None:
        expect(self.widget.form_error.filter(has_text=text).first).to_be_visible(timeout=self.timeout_ms)

    def expect_error_among(self, variants: tuple[str | re.Pattern[str], ...]) -> str:
        """Wait for a widget error that is one of `variants` (texts or patterns); return the text shown."""
        alternatives = "|".join(v.pattern if isinstance(v, re.Pattern) else re.escape(v) for v in variants)
        shown = self.widget.form_error.filter(has_text=re.compile(alternatives))
        expect(shown.first).to_be_visible(timeout=self.timeout_ms)
        return " ".join(shown.first.inner_text().split())

    def expect_field_error(self, text: str) -> None:
        expect(self.widget.field_error.filter(has_text=text).first).to_be_visible(timeout=self.timeout_ms)

    def back_to_sign_in(self) -> None:
        self.widget.back_to_sign_in.click()


class OktaIdentifyPage(_OktaWidgetPage):
    """ "Sign In": Username, then Next (identifier-first) or Username + Password, then Sign in (one page)."""

    name = "Okta sign-in page"
    heading_text = IDENTIFY_HEADING

    def is_one_page_layout(self) -> bool:
        expect(self.widget.username).to_be_visible(timeout=self.timeout_ms)
        return self.widget.password.is_visible()

    def submit_username(self, username: str) -> None:
        self.widget.username.fill(username)
        self.widget.send(self.timeout_ms)

    def sign_in(self, username: str, password: Secret) -> None:
        """Sign in with either layout; on identifier-first this goes through "Verify with your password".

        The password stays wrapped until it is typed, so no traceback or `-l` listing shows it."""
        self.widget.username.fill(username)
        if self.is_one_page_layout():
            self.widget.password.fill(password.get())
            self.widget.send(self.timeout_ms)
            return
        self.widget.send(self.timeout_ms)
        password_page = OktaPasswordPage(self.page, self.timeout_ms)
        password_page.expect_loaded()
        password_page.verify(password)

    def sign_in_expecting_error(self, username: str, password: Secret) -> _OktaWidgetPage:
        """Submit credentials Okta is expected to refuse; returns the page that shows Okta's error.

        One page: the identify page. Identifier-first: the identify page when Okta refuses the username
        (e.g. not assigned), otherwise "Verify with your password" after submitting the password there.
        """
        self.widget.username.fill(username)
        if self.is_one_page_layout():
            self.widget.password.fill(password.get())
            self.widget.send(self.timeout_ms)
            return self
        self.widget.send(self.timeout_ms)
        password_page = OktaPasswordPage(self.page, self.timeout_ms)
        password_heading = self.widget.heading.filter(has_text=PASSWORD_HEADING)
        expect(password_heading.or_(self.widget.form_error).first).to_be_visible(timeout=self.timeout_ms)
        if not password_heading.is_visible():
            return self
        password_page.verify(password)
        return password_page


class OktaPasswordPage(_OktaWidgetPage):
    name = "Okta password page"
    heading_text = PASSWORD_HEADING

    def verify(self, password: Secret) -> None:
        self.widget.password.fill(password.get())
        self.widget.send(self.timeout_ms)


class OktaTotpPage(_OktaWidgetPage):
    name = "Okta Google Authenticator page"
    heading_text = TOTP_HEADING

    def verify(self, code: Secret) -> None:
        """A one-time code, wrapped like a password: while its window lasts it signs the user in."""
        self.widget.code.fill(code.get())
        self.widget.send(self.timeout_ms)


class OktaErrorPage(PageObject):
    """Okta's own HTML error page for /authorize requests it cannot redirect (bad client or redirect URI)."""

    name = "Okta error page"

    def __init__(self, page: Page, timeout_ms: float | None = None) -> None:
        super().__init__(page, timeout_ms)
        self.body = page.locator("body")

    def _wait_until_loaded(self) -> None:
        expect(self.body).to_contain_text("Error Code:", timeout=self.timeout_ms)

    def expect_error(self, code: str, description: str) -> None:
        expect(self.body).to_contain_text(f"Error Code: {code}", timeout=self.timeout_ms)
        expect(self.body).to_contain_text(description, timeout=self.timeout_ms)
