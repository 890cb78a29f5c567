"""The Identity Engine (IDX) calls the Sign-In Widget makes, answered from the org's state.

Shapes follow the IDX protocol as the widget reads it (ION-like remediation forms carrying a stateHandle);
every response is built here from the transaction, the user and the app.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.okta import totp
from emulators.okta.org import Org
from emulators.okta.state import Transaction, User, iso, okta_id

ION = "application/ion+json; okta-version=1.0.0"
ACCEPTS = "application/json; okta-version=1.0.0"
PASSWORD = "okta_password"
GOOGLE_OTP = "google_otp"
EMAIL = "okta_email"


def msg(message: str, key: str, cls: str = "ERROR") -> dict[str, Any]:
    return {"message": message, "i18n": {"key": key}, "class": cls}


AUTH_FAILED = msg("Authentication failed", "errors.E0000004")
NOT_ASSIGNED = msg("User is not assigned to this application.", "idx.error.user.not.assigned.to.app")
INCORRECT_PASSWORD = msg("Password is incorrect", "incorrectPassword")
INVALID_PASSCODE = msg(
    "Your code doesn't match our records. Please try again.", "authfactor.challenge.soft_token.invalid_passcode"
)
USED_PASSCODE = msg(
    "Each code can only be used once. Please wait for a new code and try again.",
    "authfactor.challenge.soft_token.used_passcode",
)
FACTOR_SUSPENDED = msg(
    "This factor is suspended for your account due to too many failed attempts", "authfactor.challenge.suspended_factor"
)
SESSION_EXPIRED = msg(
    "You have been logged out due to inactivity. Refresh or return to the sign in screen.", "idx.session.expired"
)
BLANK = msg("This field cannot be left blank", "model.validation.field.blank")
ACCOUNT_LOCKED = msg("Your account is locked. Please contact your administrator.", "errors.E0000119")
# Answers to the links org settings add, from the widget's own mocks (error-enroll-regisration-unavailable.json,
# error-400-unlock-account.json): the registration and unlock flows themselves are not emulated.
REGISTRATION_UNAVAILABLE = msg("Registration is currently unavailable.", "idx.error.registration.unavailable")
UNLOCK_NOT_ALLOWED = msg(
    "Self Service Unlock is not allowed at this time. Please contact support for assistance.",
    "oie.selfservice.user.unlock.not.allowed",
)
EMAIL_NOT_EMULATED = msg("Verification by email is not emulated by this Okta emulator.", "emulator.email.not.emulated")
RESET_NOT_ALLOWED = msg(
    "Reset password is not allowed at this time. Please contact support for assistance.",
    "oie.selfservice.reset.password.not.allowed",
)


class IdxViews:
    """Builds IDX responses for one org."""

    def __init__(self, org: Org) -> None:
        self.org = org

    @property
    def issuer(self) -> str:
        return self.org.config.issuer

    def _state_handle(self, txn: Transaction) -> dict[str, Any]:
        return {"name": "stateHandle", "required": True, "value": txn.state_handle, "visible": False, "mutable": False}

    def _form(
        self, txn: Transaction, name: str, path: str, fields: list[dict[str, Any]], relates_to: list[str] | None = None
    ) -> dict[str, Any]:
        form: dict[str, Any] = {"rel": ["create-form"], "name": name}
        if relates_to:
            form["relatesTo"] = relates_to
        form.update(
            {
                "href": self.issuer + path,
                "method": "POST",
                "produces": ION,
                "value": [*fields, self._state_handle(txn)],
                "accepts": ACCEPTS,
            }
        )
        return form

    def _envelope(
        self, txn: Transaction, remediations: list[dict[str, Any]] | None, messages: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "version": "1.0.0",
            "stateHandle": txn.state_handle,
            "expiresAt": iso(txn.expires),
            "intent": "LOGIN",
        }
        if remediations is not None:
            body["remediation"] = {"type": "array", "value": remediations}
        if messages:
            body["messages"] = {"type": "array", "value": messages}
        return body

    def _tail(self, txn: Transaction, body: dict[str, Any]) -> dict[str, Any]:
        body["cancel"] = self._form(txn, "cancel", "/idp/idx/cancel", [])
        app = self.org.state.apps.get(txn.client_id)
        if app is not None:
            body["app"] = {"type": "object", "value": {"name": app.name, "label": app.label, "id": app.id}}
        return body

    def _password_authenticator(self, txn: Transaction, enrollment_id: str | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {
            "recover": self._form(txn, "recover", "/idp/idx/recover", []),
            "type": "password",
            "key": PASSWORD,
            "id": self.org.password_authenticator_id,
            "displayName": "Password",
            "methods": [{"type": "password"}],
        }
        if enrollment_id:
            value["id"] = enrollment_id
            value["authenticatorId"] = self.org.password_authenticator_id
        return value

    def _otp_enrollment(self, factor_id: str) -> dict[str, Any]:
        return {
            "type": "app",
            "key": GOOGLE_OTP,
            "id": factor_id,
            "authenticatorId": self.org.totp_authenticator_id,
            "displayName": "Google Authenticator",
            "methods": [{"type": "otp"}],
        }

    # -- views -------------------------------------------------------------------------------------------------
    def identify(
        self,
        txn: Transaction,
        messages: list[dict[str, Any]] | None = None,
        identifier_messages: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        one_page = self.org.runtime.layout == "one-page"
        identifier: dict[str, Any] = {"name": "identifier", "label": "Username", "required": True}
        if identifier_messages:
            identifier["messages"] = {"type": "array", "value": identifier_messages}
        fields: list[dict[str, Any]] = [identifier]
        if one_page:
            fields.append(
                {
                    "name": "credentials",
                    "type": "object",
                    "form": {"value": [{"name": "passcode", "label": "Password", "secret": True}]},
                    "required": True,
                }
            )
        fields.append({"name": "rememberMe", "type": "boolean", "label": "Remember this device"})
        remediations = [self._form(txn, "identify", "/idp/idx/identify", fields)]
        settings = self.org.runtime
        # in the order of the widget's mocks (src/v3/src/mocks/response/idp/idx/identify/error-invalid-username.json)
        if settings.okta_verify_fastpass:
            launch = self._form(txn, "launch-authenticator", "/idp/idx/authenticators/okta-verify/launch", [],
                                ["authenticatorChallenge"])  # fmt: skip
            remediations.append(launch)
        if settings.self_service_registration:
            remediations.append(self._form(txn, "select-enroll-profile", "/idp/idx/enroll", []))
        if settings.self_service_unlock:
            remediations.append(self._form(txn, "unlock-account", "/idp/idx/unlock-account", []))
        body = self._envelope(txn, remediations, messages)
        if one_page:
            body["currentAuthenticator"] = {"type": "object", "value": self._password_authenticator(txn)}
        if settings.okta_verify_fastpass:
            body["authenticatorChallenge"] = {
                "type": "object",
                "value": {
                    "challengeMethod": "CUSTOM_URI",
                    "href": f"com-okta-authenticator:/deviceChallenge?challengeRequest={txn.state_handle[-12:]}",
                    "downloadHref": "https://apps.apple.com/us/app/okta-verify/id490179405",
                },
            }
        return self._tail(txn, body)

    def _enrollments(self, user: User) -> list[dict[str, Any]]:
        items = [self._password_authenticator_enrollment(user)]
        factor = user.active_totp()
        if factor is not None:
            items.append(self._otp_enrollment(factor.id))
        if self.org.runtime.email_authenticator:
            items.append({
                "type": "email",
                "key": EMAIL,
                "id": "eae" + user.id[3:],
                "authenticatorId": self.org.email_authenticator_id,
                "displayName": "Email",
                "methods": [{"type": "email"}],
            })  # fmt: skip
        return items

    def _password_authenticator_enrollment(self, user: User) -> dict[str, Any]:
        return {
            "type": "password",
            "key": PASSWORD,
            "id": self.org.password_enrollment_id(user),
            "authenticatorId": self.org.password_authenticator_id,
            "displayName": "Password",
            "methods": [{"type": "password"}],
        }

    def challenge(
        self,
        txn: Transaction,
        user: User,
        messages: list[dict[str, Any]] | None = None,
        passcode_messages: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        enrollments = self._enrollments(user)
        if txn.current == GOOGLE_OTP:
            passcode: dict[str, Any] = {"name": "passcode", "label": "Enter code", "required": True}
            factor = user.active_totp()
            current = self._otp_enrollment(factor.id if factor else "")
        else:
            passcode = {"name": "passcode", "label": "Password", "secret": True}
            current = self._password_authenticator(txn, self.org.password_enrollment_id(user))
        if passcode_messages:
            passcode["messages"] = {"type": "array", "value": passcode_messages}
        credentials = {"name": "credentials", "type": "object", "form": {"value": [passcode]}, "required": True}
        options = []
        for index, enrollment in enumerate(enrollments):
            if enrollment["key"] in txn.verified:
                continue
            options.append(
                {
                    "label": enrollment["displayName"],
                    "value": {
                        "form": {
                            "value": [
                                {
                                    "name": "id",
                                    "required": True,
                                    "value": enrollment["authenticatorId"],
                                    "mutable": False,
                                },
                                {
                                    "name": "methodType",
                                    "required": False,
                                    "value": enrollment["methods"][0]["type"],
                                    "mutable": False,
                                },
                            ]
                        }
                    },
                    "relatesTo": f"$.authenticatorEnrollments.value[{index}]",
                }
            )
        remediations = [
            self._form(
                txn,
                "challenge-authenticator",
                "/idp/idx/challenge/answer",
                [credentials],
                ["$.currentAuthenticatorEnrollment"],
            ),
            self._form(
                txn,
                "select-authenticator-authenticate",
                "/idp/idx/challenge",
                [{"name": "authenticator", "type": "object", "options": options}],
            ),
        ]
        body = self._envelope(txn, remediations, messages)
        body["currentAuthenticatorEnrollment"] = {"type": "object", "value": current}
        body["authenticatorEnrollments"] = {"type": "array", "value": enrollments}
        body["user"] = self._user(user)
        return self._tail(txn, body)

    def _user(self, user: User) -> dict[str, Any]:
        return {
            "type": "object",
            "value": {
                "id": user.id,
                "identifier": user.login,
                "profile": {"firstName": user.first_name, "lastName": user.last_name, "timeZone": None, "locale": None},
            },
        }

    def success(self, txn: Transaction, user: User) -> dict[str, Any]:
        body = self._envelope(txn, None)
        body["success"] = {
            "name": "success-redirect",
            "href": f"{self.issuer}/login/token/redirect?stateToken={txn.state_token}",
        }
        body["user"] = self._user(user)
        return self._tail(txn, body)

    def current(self, txn: Transaction) -> dict[str, Any]:
        user = self.org.state.users.get(txn.user_id or "") or txn.decoy
        if txn.step == "success" and user is not None:
            return self.success(txn, user)
        if txn.step == "challenge" and user is not None:
            return self.challenge(txn, user)
        return self.identify(txn)


def ion(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status_code=status,
        media_type=ION,
        headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"},
    )


def expired(status: int = 401) -> Response:
    return ion({"version": "1.0.0", "messages": {"type": "array", "value": [SESSION_EXPIRED]}}, status)


async def _body(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(await request.body() or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _txn(org: Org, data: dict[str, Any]) -> Transaction | None:
    handle = data.get("stateHandle")
    txn = org.state.transaction_by_handle(handle) if isinstance(handle, str) else None
    if txn is None or txn.expires <= org.now() or txn.consumed:
        return None
    return txn


def _passcode(data: dict[str, Any]) -> str | None:
    credentials = data.get("credentials")
    if isinstance(credentials, dict) and isinstance(credentials.get("passcode"), str):
        return credentials["passcode"]
    return None


# -- handlers --------------------------------------------------------------------------------------------------
async def introspect(request: Request) -> Response:
    org: Org = request.app.state.org
    data = await _body(request)
    if data is None:
        return expired(400)
    txn = None
    if isinstance(data.get("stateToken"), str):
        txn = org.state.transactions.get(data["stateToken"])
        if txn is not None and (txn.expires <= org.now() or txn.consumed):
            txn = None
    elif isinstance(data.get("stateHandle"), str):
        txn = _txn(org, data)
    if txn is None:
        return expired()
    return ion(IdxViews(org).current(txn))


async def identify(request: Request) -> Response:
    org: Org = request.app.state.org
    views = IdxViews(org)
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None or data is None:
        return expired()
    if txn.step != "identify":
        return ion(views.current(txn), 400)
    one_page = org.runtime.layout == "one-page"
    identifier = str(data.get("identifier") or "").strip()
    passcode = _passcode(data)
    if not identifier:
        return ion(views.identify(txn, identifier_messages=[BLANK]), 400)
    if one_page and not passcode:
        return ion(views.identify(txn, messages=[BLANK]), 400)
    txn.remember_me = bool(data.get("rememberMe"))
    state = org.state
    with state.lock:
        user = state.user_by_login(identifier)
        if user is None or user.status not in ("ACTIVE", "LOCKED_OUT", "PASSWORD_EXPIRED", "RECOVERY"):
            behaviour = org.runtime.unknown_user_behaviour
            if behaviour == "message":
                unknown = msg(f"There is no account with the Username {identifier}.", "idx.unknown.user", "WARNING")
                return ion(views.identify(txn, messages=[unknown]))
            if one_page:
                return ion(views.identify(txn, messages=[AUTH_FAILED]), 401)
            if behaviour == "challenge":  # User Enumeration Prevention: a challenge nobody can pass
                txn.decoy = User(id=okta_id("00u"), login=identifier, email=identifier, first_name="", last_name="",
                                 password=None)  # fmt: skip
                txn.step = "challenge"
                txn.current = PASSWORD
                return ion(views.challenge(txn, txn.decoy))
            return ion(views.identify(txn, messages=[AUTH_FAILED]))
        app = state.apps.get(txn.client_id)
        if not one_page:
            if app is None or user.id not in app.assigned:
                return ion(views.identify(txn, messages=[NOT_ASSIGNED]), 400)
            txn.user_id = user.id
            txn.step = "challenge"
            txn.current = PASSWORD
            return ion(views.challenge(txn, user))
        # one page: the password comes with the username
        if user.status == "LOCKED_OUT" or not _check_password(org, user, passcode or ""):
            return ion(views.identify(txn, messages=[_refusal(org, user)]), 401)
        if app is None or user.id not in app.assigned:
            return ion(views.identify(txn, messages=[NOT_ASSIGNED]), 400)
        txn.user_id = user.id
        txn.verified = [PASSWORD]
        return _advance(org, txn, user)


def _refusal(org: Org, user: User) -> dict[str, Any]:
    """A failed password: "Unable to sign in", or, for a locked user with "Show lock out failures", the lockout."""
    if user.status == "LOCKED_OUT" and org.runtime.show_lockout_failures:
        return ACCOUNT_LOCKED
    return AUTH_FAILED


def _check_password(org: Org, user: User, passcode: str) -> bool:
    """Checks a password and counts failures; the lockout threshold locks the user."""
    ok = user.password is not None and hmac.compare_digest(user.password.encode(), passcode.encode())
    if ok:
        user.failed_password_attempts = 0
        return True
    user.failed_password_attempts += 1
    if user.failed_password_attempts >= org.runtime.password_lockout_attempts and user.status == "ACTIVE":
        user.status = "LOCKED_OUT"
        user.status_changed = org.now()
    return False


def _advance(org: Org, txn: Transaction, user: User) -> Response:
    required = [PASSWORD] + ([GOOGLE_OTP] if user.active_totp() is not None else [])
    remaining = [a for a in required if a not in txn.verified]
    if remaining:
        txn.step = "challenge"
        txn.current = remaining[0]
        return ion(IdxViews(org).challenge(txn, user))
    txn.step = "success"
    txn.current = None
    txn.amr = ["pwd"] if txn.verified == [PASSWORD] else ["pwd", "otp", "mfa"]
    return ion(IdxViews(org).success(txn, user))


async def challenge_answer(request: Request) -> Response:
    org: Org = request.app.state.org
    views = IdxViews(org)
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None or data is None:
        return expired()
    user = org.state.users.get(txn.user_id or "") or txn.decoy
    if txn.step != "challenge" or user is None:
        return ion(views.current(txn), 400)
    passcode = _passcode(data)
    if not passcode:
        return ion(views.challenge(txn, user, passcode_messages=[BLANK]), 400)
    now = org.now()
    with org.state.lock:
        if txn.current == PASSWORD:
            if user.status == "LOCKED_OUT":
                return ion(views.challenge(txn, user, messages=[_refusal(org, user)]), 401)
            if not _check_password(org, user, passcode):
                if user.status == "LOCKED_OUT":
                    return ion(views.challenge(txn, user, messages=[_refusal(org, user)]), 401)
                return ion(views.challenge(txn, user, messages=[INCORRECT_PASSWORD]), 403)
            txn.verified.append(PASSWORD)
            return _advance(org, txn, user)
        factor = user.active_totp()
        if factor is None:
            return ion(views.current(txn), 400)
        cfg = org.runtime
        if totp.is_locked(factor, now, cfg.factor_lockout_attempts, cfg.factor_lockout_window_seconds):
            return ion(views.challenge(txn, user, messages=[FACTOR_SUSPENDED]), 403)
        counter = totp.match_step(factor, passcode, now, cfg.totp_valid_window)
        if counter is None:
            totp.record_failure(factor, now, cfg.factor_lockout_window_seconds)
            return ion(views.challenge(txn, user, passcode_messages=[INVALID_PASSCODE]), 403)
        if totp.is_reused(factor, counter):
            return ion(views.challenge(txn, user, passcode_messages=[USED_PASSCODE]), 403)
        factor.used_steps.add(counter)
        factor.failures.clear()
        txn.verified.append(GOOGLE_OTP)
        return _advance(org, txn, user)


async def challenge(request: Request) -> Response:
    """select-authenticator-authenticate: switch to another enrolled, not yet verified authenticator."""
    org: Org = request.app.state.org
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None or data is None:
        return expired()
    user = org.state.users.get(txn.user_id or "") or txn.decoy
    if txn.step != "challenge" or user is None:
        return ion(IdxViews(org).current(txn), 400)
    wanted = data.get("authenticator") if isinstance(data.get("authenticator"), dict) else {}
    if org.runtime.email_authenticator and str(wanted.get("id")) == org.email_authenticator_id:
        return ion(IdxViews(org).challenge(txn, user, messages=[EMAIL_NOT_EMULATED]), 400)
    by_id = {org.password_authenticator_id: PASSWORD, org.totp_authenticator_id: GOOGLE_OTP}
    key = by_id.get(str(wanted.get("id")))
    if key is None or key in txn.verified or (key == GOOGLE_OTP and user.active_totp() is None):
        return ion(IdxViews(org).challenge(txn, user, messages=[msg("Invalid authenticator.", "errors.E0000001")]), 400)
    txn.current = key
    return ion(IdxViews(org).challenge(txn, user))


async def cancel(request: Request) -> Response:
    org: Org = request.app.state.org
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None:
        return expired()
    txn.step = "identify"
    txn.user_id = None
    txn.decoy = None
    txn.current = None
    txn.verified = []
    return ion(IdxViews(org).identify(txn))


async def recover(request: Request) -> Response:
    org: Org = request.app.state.org
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None:
        return expired()
    body = IdxViews(org).current(txn)
    body["messages"] = {"type": "array", "value": [RESET_NOT_ALLOWED]}
    return ion(body, 403)


async def enroll(request: Request) -> Response:
    """ "Sign up" (select-enroll-profile): registration is not emulated; Okta's own answer when it is unavailable."""
    return await _link_refused(request, "self_service_registration", REGISTRATION_UNAVAILABLE)


async def unlock_account(request: Request) -> Response:
    """ "Unlock account?": Okta's answer when self-service unlock is not allowed (the flow is not emulated)."""
    return await _link_refused(request, "self_service_unlock", UNLOCK_NOT_ALLOWED)


async def _link_refused(request: Request, setting: str, message: dict[str, Any]) -> Response:
    org: Org = request.app.state.org
    data = await _body(request)
    txn = _txn(org, data) if data is not None else None
    if txn is None:
        return expired()
    if not getattr(org.runtime, setting):
        return ion(IdxViews(org).current(txn), 400)  # the remediation was never offered
    return ion(IdxViews(org).identify(txn, messages=[message]), 400)


def routes() -> list[Route]:
    return [
        Route("/idp/idx/enroll", enroll, methods=["POST"]),
        Route("/idp/idx/unlock-account", unlock_account, methods=["POST"]),
        Route("/idp/idx/introspect", introspect, methods=["POST"]),
        Route("/idp/idx/identify", identify, methods=["POST"]),
        Route("/idp/idx/challenge/answer", challenge_answer, methods=["POST"]),
        Route("/idp/idx/challenge", challenge, methods=["POST"]),
        Route("/idp/idx/cancel", cancel, methods=["POST"]),
        Route("/idp/idx/recover", recover, methods=["POST"]),
    ]
