/* The sign-in experience's behaviour, reproduced from Logto's SPA as the captures record it. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var origin = window.location.origin;
  var ss = window.sessionStorage;
  var K = {
    ssoEmail: "logto:" + origin + ":sso-email",
    ssoConnectors: "logto:" + origin + ":sso-connectors",
    vids: "logto:" + origin + ":verification-ids",
    identifier: "logto:" + origin + ":identifier-input-value",
    toast: "logto-emulator:pending-toast",
  };
  var TEXT = {
    ssoEnabled: "Single Sign-On is enabled for this account",
    ssoNotEnabled: "Single Sign-On is not enabled for this email account.",
    invalidAuth: "The authorization is invalid",
    invalidSession: "Session not found. Please go back and sign in again.",
    passwordRequired: "Password is required",
    invalidEmail: "The email is invalid",
    unknown: "Unknown error.",
    timeout: "Request timeout. Please try again later.",
  };
  // ky 1.2.3's defaults, which Logto's experience app keeps (packages/experience/src/apis/api.ts extends ky with
  // hooks only): each attempt times out after 10 s (a TimeoutError, never retried); GET, PUT, HEAD, DELETE are
  // retried twice on a network error or 408, 413, 429, 500, 502, 503, 504, after 0.3 s then 0.6 s, or after
  // Retry-After on 413, 429, 503 (ky: core/Ky.js, utils/normalize.js, utils/timeout.js). POSTs are never retried.
  var KY = {
    timeoutMs: 10000,
    limit: 2,
    methods: ["GET", "PUT", "HEAD", "DELETE", "OPTIONS", "TRACE"],
    statusCodes: [408, 413, 429, 500, 502, 503, 504],
    afterStatusCodes: [413, 429, 503],
  };
  var EMAIL_LOOKS_COMPLETE = /^\S+@\S+\.\S+$/;

  // ---- helpers -------------------------------------------------------------------------------------
  // The result of one API call: {ok, status, json}; status 0 with `timeout` (ky's TimeoutError) or `network`.
  function api(method, path, body) {
    var retries = 0;
    function attempt() {
      var controller = new AbortController();
      var init = { method: method, credentials: "same-origin", headers: {}, signal: controller.signal };
      if (body !== undefined) {
        init.headers["content-type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return new Promise(function (resolve) {
        var timedOut = false;
        var timer = setTimeout(function () {
          timedOut = true;
          controller.abort();
          resolve({ ok: false, status: 0, json: null, timeout: true });
        }, KY.timeoutMs);
        fetch(path, init).then(
          function (response) {
            clearTimeout(timer);
            return response.text().then(function (text) {
              var json = null;
              try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
              resolve({ ok: response.ok, status: response.status, json: json,
                        retryAfter: response.headers.get("Retry-After") });
            });
          },
          function () {
            clearTimeout(timer);
            if (!timedOut) resolve({ ok: false, status: 0, json: null, network: true });
          }
        );
      }).then(function (result) {
        var delay = retryDelay(result);
        if (delay === null) return result;
        return new Promise(function (resume) { setTimeout(resume, delay); }).then(attempt);
      });
    }
    function retryDelay(result) {
      if (result.ok || result.timeout || KY.methods.indexOf(method) < 0) return null;
      retries += 1;
      if (retries > KY.limit) return null;
      if (result.status > 0) {
        if (KY.statusCodes.indexOf(result.status) < 0) return null;
        if (result.retryAfter && KY.afterStatusCodes.indexOf(result.status) >= 0) {
          var after = Number(result.retryAfter);
          return isNaN(after) ? Date.parse(result.retryAfter) - Date.now() : after * 1000;
        }
        if (result.status === 413) return null;
      }
      return 0.3 * Math.pow(2, retries - 1) * 1000;
    }
    return attempt();
  }
  function messageOf(result) {
    if (result.timeout) return TEXT.timeout;
    return (result.json && typeof result.json === "object" && result.json.message) || TEXT.unknown;
  }
  // ky throws HTTPError only for an answer; a timeout, a network failure or an answer that is not JSON reach
  // Logto's error handler as something else, which only toasts (use-error-handler.ts): no page handler runs.
  function isHandledError(result) {
    return result.status > 0 && result.json !== null && typeof result.json === "object";
  }
  function codeOf(result) {
    return result.json && typeof result.json === "object" ? result.json.code : undefined;
  }
  function toast(message) {
    var portal = document.createElement("div");
    portal.className = "ReactModalPortal";
    var overlay = document.createElement("div");
    overlay.className = "ReactModal__Overlay ReactModal__Overlay--after-open";
    var content = document.createElement("div");
    content.className = "ReactModal__Content ReactModal__Content--after-open";
    content.setAttribute("role", "toast");
    content.setAttribute("aria-modal", "true");
    content.tabIndex = -1;
    content.textContent = message;
    overlay.appendChild(content);
    portal.appendChild(overlay);
    document.body.appendChild(portal);
    document.body.classList.add("ReactModal__Body--open");
    // react-modal hides the app from assistive technology while the toast is open (as captured)
    var app = document.getElementById("app");
    if (app) app.setAttribute("aria-hidden", "true");
    setTimeout(function () {
      portal.remove();
      document.body.classList.remove("ReactModal__Body--open");
      if (app && !document.querySelector("[role=toast]")) app.removeAttribute("aria-hidden");
    }, 3000);
  }
  function toastAfterNavigation(message) { ss.setItem(K.toast, message); }
  function appQuery() {
    var appId = ss.getItem("app_id");
    return appId ? "?app_id=" + encodeURIComponent(appId) : "";
  }
  function goSignIn() { window.location.replace("/sign-in" + appQuery()); }
  function randomState() {
    var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    var bytes = new Uint8Array(11);
    window.crypto.getRandomValues(bytes);
    var out = "";
    for (var i = 0; i < bytes.length; i++) out += alphabet[bytes[i] % 64];
    return out;
  }
  function clearFlowStorage() {
    [K.ssoEmail, K.ssoConnectors, K.vids, K.identifier].forEach(function (key) { ss.removeItem(key); });
  }
  function knownConnectors(ids) {
    var byId = {};
    (data.connectors || []).forEach(function (c) { byId[c.id] = c; });
    return ids.filter(function (id) { return byId[id]; }).map(function (id) { return byId[id]; });
  }
  function lookup(email) {
    return api("GET", "/api/experience/sso-connectors?email=" + encodeURIComponent(email)).then(function (r) {
      if (!r.ok || !r.json || !Array.isArray(r.json.connectorIds)) return null;
      return knownConnectors(r.json.connectorIds);
    });
  }
  function rememberSso(email, connectors) {
    ss.setItem(K.ssoEmail, email);
    ss.setItem(K.ssoConnectors, JSON.stringify(connectors));
  }
  function startSso(connectorId) {
    return api("PUT", "/api/experience", { interactionEvent: "SignIn" }).then(function (r1) {
      if (!r1.ok) { toast(messageOf(r1)); return; }
      var state = randomState();
      ss.setItem("social_auth_state:" + connectorId, state);
      var path = "/api/experience/verification/sso/" + encodeURIComponent(connectorId) + "/authorization-uri";
      return api("POST", path, { state: state, redirectUri: origin + "/callback/" + connectorId }).then(function (r2) {
        if (!r2.ok) { toast(messageOf(r2)); return; }
        ss.setItem(K.vids, JSON.stringify({ EnterpriseSso: r2.json.verificationId }));
        window.location.assign(r2.json.authorizationUri);
      });
    });
  }
  function fieldError(field, text) {
    clearFieldError(field);
    var alert = document.createElement("div");
    alert.className = "error errorMessage";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    field.appendChild(alert);
  }
  function clearFieldError(field) {
    var old = field && field.querySelector("[role=alert]");
    if (old) old.remove();
  }
  function wireField(field) {
    if (!field) return;
    var input = field.querySelector("input");
    var suffix = field.querySelector("[data-suffix]");
    function sync() {
      field.classList.toggle("filled", input.value !== "");
      if (suffix && suffix.getAttribute("data-suffix") === "clear") suffix.hidden = input.value === "";
    }
    input.addEventListener("input", sync);
    input.addEventListener("focus", function () {
      if (suffix && suffix.getAttribute("data-suffix") === "toggle") suffix.hidden = false;
    });
    if (suffix) {
      suffix.addEventListener("click", function () {
        if (suffix.getAttribute("data-suffix") === "clear") {
          input.value = "";
          input.dispatchEvent(new Event("input", { bubbles: true }));
          input.focus();
        } else {
          input.type = input.type === "password" ? "text" : "password";
        }
      });
    }
    sync();
  }
  function wireBack() {
    var back = document.querySelector("[data-action=back]");
    if (back) back.addEventListener("click", function () { window.history.back(); });
  }
  function showPendingToast() {
    var pending = ss.getItem(K.toast);
    if (pending) {
      ss.removeItem(K.toast);
      toast(pending);
    }
  }

  // ---- /sign-in ------------------------------------------------------------------------------------
  function initSignIn() {
    var form = document.querySelector("form[data-form=sign-in]");
    var idField = form.querySelector("[data-field=identifier]");
    var input = idField.querySelector("input");
    var pwField = form.querySelector("[data-field=password]");
    var button = form.querySelector("button[name=submit]");
    var label = button.querySelector(".content");
    var wrapper = form.parentNode;
    var footers = Array.prototype.slice.call(wrapper.querySelectorAll("[data-footer]"));
    var footerAnchor = document.createComment("footers");
    wrapper.appendChild(footerAnchor);
    var pwAnchor = document.createComment("password");
    if (pwField) pwField.parentNode.insertBefore(pwAnchor, pwField);
    var hint = document.createElement("div");
    hint.className = "message";
    hint.textContent = TEXT.ssoEnabled;
    var matched = null;
    var timer = null;
    var seq = 0;
    wireField(idField);
    wireField(pwField);

    function flip(connectors, email) {
      matched = connectors;
      rememberSso(email, connectors);
      if (pwField && pwField.parentNode) pwField.remove();
      footers.forEach(function (f) { f.remove(); });
      if (!hint.parentNode) idField.parentNode.insertBefore(hint, idField.nextSibling);
      label.textContent = "Single Sign-On";
      button.classList.add("sso");
    }
    function unflip() {
      if (!matched) return;
      matched = null;
      ss.removeItem(K.ssoEmail);
      ss.removeItem(K.ssoConnectors);
      hint.remove();
      if (pwField && !pwField.parentNode) pwAnchor.parentNode.insertBefore(pwField, pwAnchor.nextSibling);
      footers.forEach(function (f) { wrapper.insertBefore(f, footerAnchor); });
      label.textContent = "Sign in";
      button.classList.remove("sso");
    }
    function emailIdentifier(value) {
      return data.emailEnabled && value.indexOf("@") > 0;
    }
    function check(value) {
      var mine = ++seq;
      return lookup(value).then(function (found) {
        if (mine !== seq || input.value.trim() !== value) return;
        if (found && found.length) flip(found, value);
        else if (found) unflip();
      });
    }
    function watch() {
      clearTimeout(timer);
      var value = input.value.trim();
      if (!data.ssoEnabled || !emailIdentifier(value) || !EMAIL_LOOKS_COMPLETE.test(value)) {
        seq++;
        unflip();
        return;
      }
      timer = setTimeout(function () { check(value); }, 300);
    }
    input.addEventListener("input", function () {
      clearFieldError(idField);
      watch();
    });
    if (pwField) {
      pwField.querySelector("input").addEventListener("input", function () { clearFieldError(pwField); });
    }
    var ssoLink = wrapper.querySelector("[data-action=single-sign-on]");
    if (ssoLink) {
      ssoLink.addEventListener("click", function () {
        window.location.assign("/single-sign-on/email" + appQuery());
      });
    }

    var busy = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var formError = form.querySelector(".formErrors");
      if (formError) formError.remove();
      var value = input.value.trim();
      if (matched) {
        ss.setItem(K.identifier, JSON.stringify({ type: "email", value: value }));
        if (matched.length === 1) {
          busy = true;
          startSso(matched[0].id).then(function () { busy = false; });
        } else {
          window.location.assign("/single-sign-on/connectors" + appQuery());
        }
        return;
      }
      if (!value) { fieldError(idField, data.identifierLabel + " is required"); return; }
      var password = pwField ? pwField.querySelector("input").value : "";
      if (pwField && !password) { fieldError(pwField, TEXT.passwordRequired); return; }
      var type = emailIdentifier(value) ? "email" : "username";
      busy = true;
      var done = function () { busy = false; };
      var ssoCheck = type === "email" && data.ssoEnabled ? lookup(value) : Promise.resolve(null);
      ssoCheck.then(function (found) {
        if (found && found.length) return; // the watcher shows the SSO state; a second submit is needed
        ss.setItem(K.identifier, JSON.stringify({ type: type, value: value }));
        if (!pwField) {
          window.location.assign("/sign-in/password" + appQuery());
          return;
        }
        return signInWithPassword(type, value, password, form);
      }).then(done, done);
    });

    var stored = null;
    try { stored = JSON.parse(ss.getItem(K.identifier) || "null"); } catch (e) { stored = null; }
    if (stored && typeof stored.value === "string" && !input.value) {
      input.value = stored.value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      clearTimeout(timer);
      var v = input.value.trim();
      if (data.ssoEnabled && emailIdentifier(v) && EMAIL_LOOKS_COMPLETE.test(v)) check(v);
    }
  }

  function signInWithPassword(type, value, password, form) {
    return api("PUT", "/api/experience", { interactionEvent: "SignIn" }).then(function (r1) {
      if (!r1.ok) { toast(messageOf(r1)); return; }
      return api("POST", "/api/experience/verification/password", {
        identifier: { type: type, value: value },
        password: password,
      }).then(function (r2) {
        if (!r2.ok) {
          if (codeOf(r2) === "session.invalid_credentials") {
            var alert = document.createElement("div");
            alert.className = "error formErrors";
            alert.setAttribute("role", "alert");
            alert.textContent = messageOf(r2);
            form.insertBefore(alert, form.querySelector("button[name=submit]"));
          } else {
            toast(messageOf(r2));
          }
          return;
        }
        return api("POST", "/api/experience/identification", { verificationId: r2.json.verificationId }).then(function (r3) {
          if (!r3.ok) { toast(messageOf(r3)); return; }
          return finish();
        });
      });
    });
  }

  function finish() {
    return api("POST", "/api/experience/submit").then(function (r) {
      if (!r.ok || !r.json || !r.json.redirectTo) { toast(messageOf(r)); return false; }
      clearFlowStorage();
      window.location.replace(r.json.redirectTo);
      return true;
    });
  }

  // ---- /sign-in/password (identifier-first flows) ----------------------------------------------------
  function initPassword() {
    var form = document.querySelector("form[data-form=password]");
    var pwField = form.querySelector("[data-field=password]");
    wireField(pwField);
    var stored = null;
    try { stored = JSON.parse(ss.getItem(K.identifier) || "null"); } catch (e) { stored = null; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var password = pwField.querySelector("input").value;
      if (!password) { fieldError(pwField, TEXT.passwordRequired); return; }
      if (!stored) { toast(TEXT.invalidSession); return; }
      signInWithPassword(stored.type, stored.value, password, form);
    });
  }

  // ---- /single-sign-on/email -------------------------------------------------------------------------
  function initSsoEmail() {
    var form = document.querySelector("form[data-form=sso-email]");
    var field = form.querySelector("[data-field=identifier]");
    var input = field.querySelector("input");
    wireField(field);
    var storedEmail = ss.getItem(K.ssoEmail);
    if (storedEmail) {
      input.value = storedEmail;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    input.focus();
    input.addEventListener("input", function () { clearFieldError(field); });
    var busy = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      var value = input.value.trim();
      if (!value) { fieldError(field, "email is required"); return; }
      if (!EMAIL_LOOKS_COMPLETE.test(value)) { fieldError(field, TEXT.invalidEmail); return; }
      busy = true;
      api("GET", "/api/experience/sso-connectors?email=" + encodeURIComponent(value)).then(function (r) {
        if (!r.ok) { busy = false; toast(messageOf(r)); return; }
        var found = knownConnectors(r.json.connectorIds || []);
        if (!found.length) { busy = false; fieldError(field, TEXT.ssoNotEnabled); return; }
        rememberSso(value, found);
        if (found.length === 1) return startSso(found[0].id).then(function () { busy = false; });
        window.location.assign("/single-sign-on/connectors" + appQuery());
      });
    });
  }

  // ---- /single-sign-on/connectors --------------------------------------------------------------------
  function initSsoConnectors() {
    var email = ss.getItem(K.ssoEmail);
    var connectors = null;
    try { connectors = JSON.parse(ss.getItem(K.ssoConnectors) || "null"); } catch (e) { connectors = null; }
    if (!email || !Array.isArray(connectors) || !connectors.length) {
      window.location.replace("/single-sign-on/email" + appQuery());
      return;
    }
    document.querySelector("[data-description]").textContent =
      "Your enterprise has enabled Single Sign-On for the email account " + email +
      ". You can continue to sign in with the following SSO providers.";
    var list = document.querySelector("[data-connectors]");
    var latest = {};
    (data.connectors || []).forEach(function (c) { latest[c.id] = c; });
    connectors.forEach(function (stored) {
      var connector = latest[stored.id] || stored;
      var name = connector.connectorName;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary large socialLinkButton";
      var img = document.createElement("img");
      img.alt = name;
      img.src = connector.logo;
      var span = document.createElement("span");
      span.className = "name";
      span.textContent = "Continue with " + name;
      button.appendChild(img);
      button.appendChild(span);
      button.addEventListener("click", function () { startSso(connector.id); });
      list.appendChild(button);
    });
  }

  // ---- /callback/<connectorId> -----------------------------------------------------------------------
  function initCallback() {
    var connectorId = data.connectorId;
    var params = new URLSearchParams(window.location.search);
    if (window.location.hash.length > 1) {
      new URLSearchParams(window.location.hash.slice(1)).forEach(function (v, k) { params.set(k, v); });
    }
    var appId = ss.getItem("app_id");
    var withApp = new URLSearchParams(params);
    if (appId) withApp.set("app_id", appId);
    window.history.replaceState(null, "", "/callback/social/" + connectorId + "?" + withApp.toString());
    var state = params.get("state");
    var storedState = ss.getItem("social_auth_state:" + connectorId);
    window.history.replaceState(null, "", "/callback/social/" + connectorId);
    if (!state || state !== storedState) {
      toastAfterNavigation(TEXT.invalidAuth);
      goSignIn();
      return;
    }
    ss.removeItem("social_auth_state:" + connectorId);
    var vids = {};
    try { vids = JSON.parse(ss.getItem(K.vids) || "{}") || {}; } catch (e) { vids = {}; }
    var verificationId = vids.EnterpriseSso;
    if (!verificationId) {
      toastAfterNavigation(TEXT.invalidSession);
      goSignIn();
      return;
    }
    var connectorData = {};
    withApp.forEach(function (v, k) { if (k !== "state") connectorData[k] = v; });
    connectorData.redirectUri = origin + "/callback/" + connectorId;
    function fail(result) {
      if (!isHandledError(result)) {
        // A timeout or unknown error: Logto toasts and renders nothing, staying on the callback URL
        // (SocialSignInWebCallback/SingleSignOn.tsx: loading false → null).
        var app = document.getElementById("app");
        app.textContent = "";
        toast(messageOf(result));
        return;
      }
      toastAfterNavigation(messageOf(result));
      goSignIn();
    }
    var verifyPath = "/api/experience/verification/sso/" + encodeURIComponent(connectorId) + "/verify";
    api("POST", verifyPath, { verificationId: verificationId, connectorData: connectorData }).then(function (r1) {
      if (!r1.ok) return fail(r1);
      return api("POST", "/api/experience/identification", { verificationId: verificationId }).then(function (r2) {
        if (r2.status === 404 && codeOf(r2) === "user.sso_identity_not_exist") {
          if (data.signInMode === "SignIn") return fail(r2);
          return api("PUT", "/api/experience/interaction-event", { interactionEvent: "Register" }).then(function (r3) {
            if (!r3.ok) return fail(r3);
            return api("POST", "/api/experience/identification", { verificationId: verificationId });
          });
        }
        return r2;
      }).then(function (r4) {
        if (!r4) return;
        if (!r4.ok) return fail(r4);
        return api("POST", "/api/experience/submit").then(function (r5) {
          if (!r5.ok || !r5.json || !r5.json.redirectTo) return fail(r5);
          clearFlowStorage();
          window.location.replace(r5.json.redirectTo);
        });
      });
    });
  }

  // ---- /direct/sso/<connectorId> ---------------------------------------------------------------------
  function initDirectSso() { startSso(data.connectorId); }

  // ---- boot ------------------------------------------------------------------------------------------
  var appId = new URLSearchParams(window.location.search).get("app_id");
  if (appId) ss.setItem("app_id", appId);
  wireBack();
  var pages = {
    "sign-in": initSignIn,
    password: initPassword,
    "sso-email": initSsoEmail,
    "sso-connectors": initSsoConnectors,
    callback: initCallback,
    "direct-sso": initDirectSso,
  };
  if (pages[data.page]) pages[data.page]();
  if (data.page !== "callback") showPendingToast();
  document.getElementById("app").hidden = false;
})();
