/* Joinery Link: the page an end user connects an HR or recruiting system with.
   Contract: docs/link.md. Vanilla JS, no external resources, CSP-safe (no inline script or style,
   no HTML parsing: server text is only ever set as textContent). */
(() => {
  "use strict";

  // UI text. One `key: "text",` per line: the crate's tests check that both languages have the same
  // keys and placeholders. `p_<PROBLEM_TYPE>` titles the errors of the JSON API.
  const I18N = {
    en: {
      title: "Joinery Link",
      close: "Close",
      footer: "Secured by Joinery",
      loading: "Loading…",
      picker_title: "Connect your software",
      picker_title_hris: "Connect your HR software",
      picker_title_ats: "Connect your recruiting software",
      picker_intro: "Choose the system {org} uses.",
      search_label: "Search integrations",
      search_placeholder: "Search",
      results_one: "1 integration",
      results: "{n} integrations",
      no_results: "No integration matches your search.",
      no_integrations: "No integrations are available for this link.",
      back: "Back",
      form_title: "Connect to {name}",
      relink_title: "Reconnect {name}",
      form_intro: "Enter the details of your {name} account.",
      oauth_intro: "You will sign in to {name} in a new window and allow access.",
      required_note: "Fields marked * are required.",
      required_sr: "(required)",
      connect: "Connect",
      continue_to: "Continue to {name}",
      field_required: "{label} is required.",
      fix_fields: "Please fill in the required fields",
      validating_title: "Connecting to {name}…",
      validating_text: "Checking your credentials with {name}. This can take a few seconds.",
      oauth_wait_title: "Continue in the {name} window",
      oauth_wait_text: "Sign in to {name} and allow access in the window that opened. This page updates by itself.",
      oauth_show: "Show window",
      oauth_redirect: "Taking you to {name}…",
      oauth_not_completed: "The {name} window was closed before access was allowed. Please try again.",
      cancel: "Cancel",
      success_title: "Connected to {name}",
      success_text: "Your {name} account is now connected.",
      success_close: "You can close this window now.",
      done: "Done",
      token_text: "Please ask the app that sent you here for a new link.",
      network_title: "Joinery could not be reached",
      network_text: "Check your internet connection and try again.",
      retry: "Try again",
      error_generic: "Something went wrong",
      p_MISSING_FIELD: "A required field is missing",
      p_INVALID_FIELD: "A field is not valid",
      p_INTEGRATION_NOT_AVAILABLE: "This integration is not available",
      p_INVALID_CREDENTIALS: "{name} did not accept these credentials",
      p_MISSING_PERMISSION: "A permission is missing",
      p_UNKNOWN_INSTANCE: "{name} does not know this company",
      p_OAUTH_DENIED: "Access was not allowed",
      p_PROVIDER_ERROR: "{name} reported an error",
      p_RATE_LIMITED: "{name} is busy right now",
      p_PROVIDER_UNREACHABLE: "{name} could not be reached",
      p_RELINK_INTEGRATION_MISMATCH: "Another system is already connected",
      p_OAUTH_PENDING: "Consent not completed",
      p_OAUTH_STATE_UNKNOWN: "The sign-in attempt has expired",
      p_LINK_TOKEN_INVALID: "This link is not valid",
      p_LINK_TOKEN_EXPIRED: "This link has expired",
      p_LINK_TOKEN_USED: "This link has already been used",
      p_LINK_TOKEN_LOCKED: "Too many failed attempts with this link",
    },
    de: {
      title: "Joinery Link",
      close: "Schließen",
      footer: "Gesichert durch Joinery",
      loading: "Wird geladen …",
      picker_title: "Software verbinden",
      picker_title_hris: "HR-Software verbinden",
      picker_title_ats: "Recruiting-Software verbinden",
      picker_intro: "Wählen Sie das System, das {org} nutzt.",
      search_label: "Integrationen durchsuchen",
      search_placeholder: "Suchen",
      results_one: "1 Integration",
      results: "{n} Integrationen",
      no_results: "Keine Integration passt zu Ihrer Suche.",
      no_integrations: "Für diesen Link sind keine Integrationen verfügbar.",
      back: "Zurück",
      form_title: "Mit {name} verbinden",
      relink_title: "{name} erneut verbinden",
      form_intro: "Geben Sie die Zugangsdaten Ihres {name}-Kontos ein.",
      oauth_intro: "Sie melden sich in einem neuen Fenster bei {name} an und erlauben den Zugriff.",
      required_note: "Mit * markierte Felder sind Pflichtfelder.",
      required_sr: "(Pflichtfeld)",
      connect: "Verbinden",
      continue_to: "Weiter zu {name}",
      field_required: "{label} ist ein Pflichtfeld.",
      fix_fields: "Bitte füllen Sie die Pflichtfelder aus",
      validating_title: "Verbindung mit {name} …",
      validating_text: "Ihre Zugangsdaten werden bei {name} geprüft. Das kann einige Sekunden dauern.",
      oauth_wait_title: "Weiter im {name}-Fenster",
      oauth_wait_text: "Melden Sie sich im geöffneten Fenster bei {name} an und erlauben Sie den Zugriff. Diese Seite aktualisiert sich von selbst.",
      oauth_show: "Fenster anzeigen",
      oauth_redirect: "Weiterleitung zu {name} …",
      oauth_not_completed: "Das {name}-Fenster wurde geschlossen, bevor der Zugriff erlaubt wurde. Bitte versuchen Sie es erneut.",
      cancel: "Abbrechen",
      success_title: "Mit {name} verbunden",
      success_text: "Ihr {name}-Konto ist jetzt verbunden.",
      success_close: "Sie können dieses Fenster jetzt schließen.",
      done: "Fertig",
      token_text: "Bitten Sie die Anwendung, die Sie hierher geschickt hat, um einen neuen Link.",
      network_title: "Joinery ist nicht erreichbar",
      network_text: "Prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.",
      retry: "Erneut versuchen",
      error_generic: "Etwas ist schiefgelaufen",
      p_MISSING_FIELD: "Ein Pflichtfeld fehlt",
      p_INVALID_FIELD: "Ein Feld ist ungültig",
      p_INTEGRATION_NOT_AVAILABLE: "Diese Integration ist nicht verfügbar",
      p_INVALID_CREDENTIALS: "{name} hat diese Zugangsdaten nicht akzeptiert",
      p_MISSING_PERMISSION: "Eine Berechtigung fehlt",
      p_UNKNOWN_INSTANCE: "{name} kennt dieses Unternehmen nicht",
      p_OAUTH_DENIED: "Der Zugriff wurde nicht erlaubt",
      p_PROVIDER_ERROR: "{name} hat einen Fehler gemeldet",
      p_RATE_LIMITED: "{name} ist gerade ausgelastet",
      p_PROVIDER_UNREACHABLE: "{name} ist nicht erreichbar",
      p_RELINK_INTEGRATION_MISMATCH: "Es ist bereits ein anderes System verbunden",
      p_OAUTH_PENDING: "Zustimmung nicht abgeschlossen",
      p_OAUTH_STATE_UNKNOWN: "Der Anmeldeversuch ist abgelaufen",
      p_LINK_TOKEN_INVALID: "Dieser Link ist ungültig",
      p_LINK_TOKEN_EXPIRED: "Dieser Link ist abgelaufen",
      p_LINK_TOKEN_USED: "Dieser Link wurde bereits verwendet",
      p_LINK_TOKEN_LOCKED: "Zu viele fehlgeschlagene Versuche mit diesem Link",
    },
  };

  const API = "/api/link/v1";
  const STORE = "joinery-link-oauth";
  const SOURCE = "joinery-link";
  const ICONS = {
    ok: ["M4 12.5l5 5L20 6.5"],
    bad: ["M12 7v6", "M12 17h.01"],
    warn: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18Z", "M12 8v4.5", "M12 16h.01"],
    back: ["M15 18l-6-6 6-6"],
    next: ["M9 6l6 6-6 6"],
  };
  const $ = (id) => document.getElementById(id);
  const [app, view, live, closeBtn, foot] = ["app", "view", "live", "close", "foot"].map($);

  let embedded = false;
  let token = "";
  let resume = null; // {state, integration}: OAuth attempt to complete after a same-window redirect
  let lang = pickLang(navigator.language);
  let session = null;
  let values = {}; // entered values by field name, kept when the form is shown again
  let oauth = null; // the running OAuth attempt

  function pickLang(code) {
    return String(code || "").toLowerCase().startsWith("de") ? "de" : "en";
  }

  function t(key, vars) {
    const s = (I18N[lang] && I18N[lang][key]) || I18N.en[key] || key;
    return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
  }

  // h("tag", {attr, class, text, onclick: fn}, ...children); listeners via addEventListener.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
    return el;
  }

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    for (const d of ICONS[name]) {
      const p = document.createElementNS(ns, "path");
      p.setAttribute("d", d);
      svg.append(p);
    }
    return svg;
  }

  const button = (text, onclick, cls = "primary") => h("button", { type: "button", class: "btn " + cls, text, onclick });

  function say(text) {
    live.textContent = "";
    requestAnimationFrame(() => (live.textContent = text));
  }

  // To the embed script. Target "*": the page cannot know its embedder's origin, and nothing
  // posted is of use without the organization's API key.
  function post(type, extra) {
    if (embedded && window.parent !== window) window.parent.postMessage(Object.assign({ source: SOURCE, type }, extra), "*");
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-Link-Token": token };
    if (body) headers["Content-Type"] = "application/json";
    const res = await fetch(API + path, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
    const data = await res.json().catch(() => null);
    return { status: res.status, ok: res.ok, data: data || {} };
  }

  // The integration's color as accent, darkened until white text on it has 4.5:1 contrast.
  function setAccent(color) {
    const root = document.documentElement.style;
    const m = /^#([0-9a-f]{6})$/i.exec(color || "");
    if (!m) return root.removeProperty("--accent");
    let rgb = [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16));
    const lum = (c) => c.map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    for (let i = 0; i < 20 && 1.05 / (lum(rgb) + 0.05) < 4.5; i++) rgb = rgb.map((v) => Math.round(v * 0.9));
    root.setProperty("--accent", `rgb(${rgb})`);
  }

  // ---- rendering

  function show(section, busy) {
    view.replaceChildren(section);
    app.setAttribute("aria-busy", busy ? "true" : "false");
    focusHeading();
  }

  // Focus follows the step, but a hidden iframe that loads must not take focus from its embedder.
  function focusHeading() {
    const heading = view.querySelector("h1");
    if (heading && document.hasFocus()) heading.focus();
  }

  const heading = (text) => h("h1", { tabindex: "-1", text });
  const muted = (text) => h("p", { class: "muted", text });

  function logo(integration, cls) {
    const tile = () => {
      const div = h("div", { class: "tile " + cls, "aria-hidden": "true", text: integration.name.slice(0, 2) });
      div.style.backgroundColor = integration.color || "#4b5563";
      return div;
    };
    if (!integration.square_image) return tile();
    const img = h("img", { class: cls, src: integration.square_image, alt: "" });
    img.addEventListener("error", () => img.replaceWith(tile()));
    return img;
  }

  const status = (kind, title, texts, actions) =>
    h("section", { class: "center" }, h("div", { class: "badge " + kind }, icon(kind)), heading(title), texts.map(muted), actions && actions.length ? h("div", { class: "actions" }, actions) : null);

  const spinner = (title, text) => h("section", { class: "center" }, h("div", { class: "spinner" }), heading(title), text ? muted(text) : null);

  function chrome() {
    document.documentElement.lang = lang;
    document.title = t("title");
    closeBtn.setAttribute("aria-label", t("close"));
    closeBtn.title = t("close");
    closeBtn.hidden = !embedded;
    foot.textContent = t("footer");
  }

  // ---- steps

  async function start() {
    chrome();
    show(spinner(t("loading")), true);
    if (!token) return fatal("LINK_TOKEN_INVALID");
    let r;
    try {
      r = await api("GET", "/session");
    } catch (e) {
      return failed(t("network_title"), t("network_text"));
    }
    if (r.status === 401) return fatal(r.data.problem_type, r.data.detail);
    if (!r.ok || !Array.isArray(r.data.integrations)) return failed(t("error_generic"), apiErrors(r)[0].detail);
    session = r.data;
    lang = pickLang(session.language || lang);
    chrome();
    post("ready");
    const find = (slug) => session.integrations.find((i) => i.slug === slug);
    if (resume) {
      const { state, integration } = resume;
      resume = null;
      const i = find(integration) || find(session.integration);
      if (i) return completeResumed(i, state);
    }
    if (find(session.integration)) return form(find(session.integration));
    picker();
  }

  function fatal(problemType, detail) {
    const known = ["LINK_TOKEN_EXPIRED", "LINK_TOKEN_USED", "LINK_TOKEN_LOCKED"];
    const key = "p_" + (known.includes(problemType) ? problemType : "LINK_TOKEN_INVALID");
    post("error", { detail: detail || t(key) });
    setAccent(null);
    show(status("bad", t(key), [t("token_text")]));
  }

  function failed(title, text) {
    setAccent(null);
    show(status("bad", title, [text], [button(t("retry"), start)]));
  }

  function picker() {
    setAccent(null);
    const list = h("ul", { class: "list", id: "integrations" });
    const items = session.integrations.map((i) => {
      const li = h("li", null, h("button", { type: "button", class: "item", onclick: () => choose(i) }, logo(i, "logo"), h("span", { text: i.name }), icon("next")));
      list.append(li);
      return { i, li };
    });
    const empty = h("p", { class: "muted empty", hidden: true, text: t("no_results") });
    const search = h("input", {
      id: "search",
      class: "input",
      type: "search",
      placeholder: t("search_placeholder"),
      autocomplete: "off",
      spellcheck: "false",
      "aria-controls": "integrations",
    });
    const filter = () => {
      const q = search.value.trim().toLowerCase();
      for (const { i, li } of items) li.hidden = !!q && !i.name.toLowerCase().includes(q) && !i.slug.includes(q);
      const hits = items.filter((x) => !x.li.hidden);
      empty.hidden = hits.length > 0;
      say(hits.length === 1 ? t("results_one") : t("results", { n: hits.length }));
      return hits;
    };
    search.addEventListener("input", filter);
    search.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // Enter picks the only match
      const hits = filter();
      if (hits.length === 1) choose(hits[0].i);
    });
    const cats = new Set(session.integrations.flatMap((i) => i.categories || []));
    const only = cats.size === 1 ? [...cats][0] : "";
    const title = only === "hris" ? t("picker_title_hris") : only === "ats" ? t("picker_title_ats") : t("picker_title");
    const org = session.end_user_organization_name;
    show(
      h(
        "section",
        null,
        heading(title),
        org ? muted(t("picker_intro", { org })) : null,
        session.integrations.length ? [h("label", { for: "search", class: "sr-only", text: t("search_label") }), search, list, empty] : muted(t("no_integrations")),
      ),
    );
  }

  function choose(integration) {
    values = {};
    form(integration);
  }

  // The credentials form; `errors` from the JSON API are shown above it and on their fields.
  function form(integration, errors) {
    setAccent(integration.color);
    const fields = Array.isArray(integration.fields) ? integration.fields : [];
    const oauthFlow = integration.auth_type === "OAUTH2";
    const name = integration.name;
    const inputs = {};
    const alert = h("div", { class: "alert", role: "alert", tabindex: "-1", hidden: true });
    const showAlert = (title, details) => {
      alert.replaceChildren(icon("warn"), h("div", null, h("strong", { text: title }), details.map((d) => h("p", { text: d }))));
      alert.hidden = false;
    };

    const rows = fields.map((f) => {
      const id = "f-" + f.name;
      const err = h("p", { class: "field-error", id: id + "-error", hidden: true });
      const help = f.help ? h("p", { class: "help", id: id + "-help", text: f.help }) : null;
      const input = h("input", {
        id,
        name: f.name,
        class: "input",
        type: f.secret ? "password" : "text",
        autocomplete: f.secret ? "new-password" : "off",
        autocapitalize: "off",
        spellcheck: "false",
        placeholder: f.placeholder || null,
        required: !!f.required,
        "aria-required": f.required ? "true" : null,
        "aria-describedby": id + "-error" + (help ? " " + id + "-help" : ""),
      });
      input.value = values[f.name] || "";
      input.addEventListener("input", () => {
        values[f.name] = input.value;
        input.removeAttribute("aria-invalid");
        err.hidden = true;
      });
      inputs[f.name] = { input, err };
      const req = f.required ? [h("span", { class: "req", "aria-hidden": "true", text: " *" }), h("span", { class: "sr-only", text: " " + t("required_sr") })] : null;
      return h("div", { class: "field" }, h("label", { for: id }, f.label || f.name, req), input, err, help);
    });

    // Marks a field invalid; returns its input, or null when there is no such field.
    const mark = (fieldName, text) => {
      const x = inputs[fieldName];
      if (!x) return null;
      x.input.setAttribute("aria-invalid", "true");
      x.err.textContent = text;
      x.err.hidden = false;
      return x.input;
    };

    const submit = (e) => {
      e.preventDefault();
      alert.hidden = true;
      for (const [n, x] of Object.entries(inputs)) {
        values[n] = x.input.value;
        x.input.removeAttribute("aria-invalid");
        x.err.hidden = true;
      }
      const missing = fields.filter((f) => f.required && !String(values[f.name] || "").trim());
      if (missing.length) {
        const texts = missing.map((f) => t("field_required", { label: f.label || f.name }));
        missing.forEach((f, i) => mark(f.name, texts[i]));
        showAlert(t("fix_fields"), []);
        return inputs[missing[0].name].input.focus();
      }
      const credentials = {};
      for (const f of fields) {
        const v = f.secret ? values[f.name] || "" : String(values[f.name] || "").trim();
        if (v !== "") credentials[f.name] = v;
      }
      // Synchronously, for OAuth: the popup must open within the user's click or Enter.
      (oauthFlow ? startOAuth : connect)(integration, credentials);
    };

    const title = t(session.is_relink ? "relink_title" : "form_title", { name });
    const back = session.integrations.some((i) => i.slug === session.integration)
      ? null
      : h("button", { type: "button", class: "back", onclick: picker }, icon("back"), t("back"));
    show(
      h(
        "section",
        null,
        back,
        h("div", { class: "head" }, logo(integration, "logo-lg"), heading(title)),
        muted(t(oauthFlow ? "oauth_intro" : "form_intro", { name })),
        h(
          "form",
          { novalidate: true, onsubmit: submit, "aria-label": title },
          alert,
          fields.some((f) => f.required) ? h("p", { class: "note", text: t("required_note") }) : null,
          rows,
          h("button", { type: "submit", class: "btn primary", text: oauthFlow ? t("continue_to", { name }) : t("connect") }),
        ),
      ),
    );

    if (errors && errors.length) {
      let first = null;
      const unplaced = [];
      for (const err of errors) {
        const m = /^credentials\.(.+)$/.exec(err.field || "");
        const input = m ? mark(m[1], err.detail || "") : null;
        if (!input && err.detail) unplaced.push(err.detail);
        first = first || input;
      }
      const key = "p_" + errors[0].problem_type;
      showAlert(I18N.en[key] ? t(key, { name }) : t("error_generic"), unplaced);
      if (document.hasFocus()) (first || alert).focus();
    }
  }

  function apiErrors(r) {
    if (Array.isArray(r.data.errors) && r.data.errors.length) return r.data.errors;
    return [{ problem_type: r.data.problem_type || "", detail: r.data.detail || "HTTP " + r.status }];
  }

  // A connect or OAuth-completion answer: success, a dead link token, or errors on the form.
  function settle(integration, r) {
    if (r.ok && r.data.public_token) return success(integration, r.data);
    if (r.status === 401 && /^LINK_TOKEN_/.test(r.data.problem_type || "")) return fatal(r.data.problem_type, r.data.detail);
    if (r.status < 500 && Array.isArray(r.data.errors)) post("validation_error", { errors: r.data.errors });
    form(integration, apiErrors(r));
  }

  const networkError = (integration) => form(integration, [{ problem_type: "", detail: t("network_title") + ". " + t("network_text") }]);
  const notCompleted = (integration) => form(integration, [{ problem_type: "OAUTH_PENDING", detail: t("oauth_not_completed", { name: integration.name }) }]);

  function validating(integration) {
    const vars = { name: integration.name };
    show(spinner(t("validating_title", vars), t("validating_text", vars)), true);
    say(t("validating_title", vars));
  }

  async function connect(integration, credentials) {
    validating(integration);
    try {
      settle(integration, await api("POST", "/connect", { integration: integration.slug, credentials }));
    } catch (e) {
      networkError(integration);
    }
  }

  function success(integration, data) {
    post("success", { publicToken: data.public_token, additionalInfo: data.additional_info || { isTokenForOtherPreexistingLinkedAccount: false } });
    const title = t("success_title", { name: integration.name });
    const texts = [t("success_text", { name: integration.name })];
    if (!embedded) texts.push(t("success_close"));
    show(status("ok", title, texts, embedded ? [button(t("done"), exit)] : []));
    say(title);
  }

  // ---- OAuth 2.0

  // Runs within the submit event: the popup opens before anything is awaited, so it counts as
  // user-initiated; it gets the consent page's address once /oauth/start answered.
  async function startOAuth(integration, credentials) {
    endOAuth();
    let popup = null;
    try {
      popup = window.open("", "joinery-oauth", "popup,width=520,height=720");
    } catch (e) {
      popup = null;
    }
    const attempt = { integration, popup, state: null, timer: 0, busy: false, done: false };
    oauth = attempt;
    const name = integration.name;
    if (popup) {
      try {
        popup.document.title = name;
        popup.document.body.textContent = t("oauth_redirect", { name });
      } catch (e) {
        // not ours to write
      }
      waiting(attempt);
    } else show(spinner(t("oauth_redirect", { name })), true);
    let r;
    try {
      r = await api("POST", "/oauth/start", { integration: integration.slug, credentials });
    } catch (e) {
      if (oauth === attempt) endOAuth(), networkError(integration);
      return;
    }
    if (oauth !== attempt) return; // cancelled meanwhile
    const url = r.ok && /^https?:\/\//i.test(r.data.authorize_url) ? r.data.authorize_url : "";
    if (!url || !r.data.state) return endOAuth(), settle(integration, r);
    attempt.state = r.data.state;
    if (!popup) {
      // Blocked popup: the consent page in this window; /link?oauth_state= resumes from here.
      try {
        sessionStorage.setItem(STORE, JSON.stringify({ token, state: attempt.state, embedded, integration: integration.slug }));
      } catch (e) {
        // without storage the resumed page says the link is not valid
      }
      return location.assign(url);
    }
    if (popup.closed) return finishOAuth(attempt, true);
    popup.location.href = url;
    attempt.timer = setInterval(() => attempt.popup.closed && finishOAuth(attempt, true), 500);
  }

  function waiting(attempt) {
    const name = attempt.integration.name;
    const focusPopup = () => attempt.popup && !attempt.popup.closed && attempt.popup.focus();
    const cancel = () => (endOAuth(), form(attempt.integration));
    show(
      h(
        "section",
        { class: "center" },
        h("div", { class: "spinner" }),
        heading(t("oauth_wait_title", { name })),
        muted(t("oauth_wait_text", { name })),
        h("div", { class: "actions" }, button(t("oauth_show"), focusPopup), button(t("cancel"), cancel, "secondary")),
      ),
      true,
    );
    say(t("oauth_wait_title", { name }));
  }

  function endOAuth() {
    const attempt = oauth;
    oauth = null;
    if (!attempt) return;
    attempt.done = true;
    clearInterval(attempt.timer);
    try {
      if (attempt.popup && !attempt.popup.closed) attempt.popup.close();
    } catch (e) {
      // gone already
    }
  }

  // The callback page reported back, or the popup closed (`closed`).
  async function finishOAuth(attempt, closed) {
    if (attempt.busy || oauth !== attempt || !attempt.state) return;
    attempt.busy = true;
    let r;
    try {
      r = await api("POST", "/oauth/complete", { state: attempt.state });
    } catch (e) {
      r = null;
    }
    attempt.busy = false;
    if (oauth !== attempt) return;
    const stillOpen = !closed && !attempt.popup.closed;
    if (!r) return stillOpen ? undefined : (endOAuth(), networkError(attempt.integration));
    if (r.status === 409 && apiErrors(r)[0].problem_type === "OAUTH_PENDING") {
      if (stillOpen) return; // at the consent page still: keep waiting
      return endOAuth(), notCompleted(attempt.integration);
    }
    endOAuth();
    settle(attempt.integration, r);
  }

  // Back from a same-window OAuth redirect: complete the attempt saved before leaving.
  async function completeResumed(integration, state) {
    setAccent(integration.color);
    validating(integration);
    try {
      const r = await api("POST", "/oauth/complete", { state });
      if (r.status === 409) notCompleted(integration);
      else settle(integration, r);
    } catch (e) {
      networkError(integration);
    }
  }

  window.addEventListener("message", (e) => {
    const d = e.data;
    if (e.origin !== location.origin || !d || d.source !== SOURCE || d.type !== "oauth_complete") return;
    if (oauth && oauth.state && d.state === oauth.state) finishOAuth(oauth, false);
  });

  // ---- closing and starting

  function exit() {
    endOAuth();
    post("exit");
  }

  closeBtn.addEventListener("click", exit);
  document.addEventListener("keydown", (e) => e.key === "Escape" && embedded && exit());
  // The embed script focuses the iframe when it shows Link: focus the step's heading then.
  window.addEventListener("focus", () => (!document.activeElement || document.activeElement === document.body) && focusHeading());

  function readToken() {
    const query = new URLSearchParams(location.search);
    embedded = query.get("embedded") === "1";
    token = new URLSearchParams(location.hash.slice(1)).get("link_token") || query.get("link_token") || "";
    const state = query.get("oauth_state");
    if (state) {
      let saved = null;
      try {
        saved = JSON.parse(sessionStorage.getItem(STORE) || "null");
        sessionStorage.removeItem(STORE);
      } catch (e) {
        saved = null;
      }
      if (saved && saved.state === state) {
        token = token || saved.token || "";
        embedded = embedded || !!saved.embedded;
        resume = { state, integration: saved.integration };
      }
    }
    // The token must not stay in the address bar, the history or a bookmark.
    history.replaceState(null, "", location.pathname + (embedded ? "?embedded=1" : ""));
    document.body.classList.toggle("embedded", embedded);
  }

  // Another token loaded into the same iframe by changing the fragment: start over.
  window.addEventListener("hashchange", () => {
    if (!new URLSearchParams(location.hash.slice(1)).get("link_token")) return;
    endOAuth();
    values = {};
    session = null;
    readToken();
    start();
  });

  readToken();
  start();
})();
