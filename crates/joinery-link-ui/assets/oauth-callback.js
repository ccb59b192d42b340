/* Joinery Link OAuth callback. The server has already exchanged the authorization code; this page
   only tells the Link page that opened it (or, without an opener, sends this window back to Link,
   which resumes from sessionStorage). Contract: docs/link.md. */
(() => {
  "use strict";
  const TEXT = {
    en: "You can close this window.",
    de: "Sie können dieses Fenster schließen.",
  };
  const lang = String(navigator.language || "").toLowerCase().startsWith("de") ? "de" : "en";
  document.documentElement.lang = lang;
  document.getElementById("msg").textContent = TEXT[lang];

  const state = new URLSearchParams(location.search).get("state");
  // The code and state must not linger in the address bar or history.
  history.replaceState(null, "", location.pathname);
  if (!state) return;

  let opener = null;
  try {
    opener = window.opener && !window.opener.closed ? window.opener : null;
  } catch (e) {
    opener = null;
  }
  if (opener) {
    try {
      opener.postMessage({ source: "joinery-link", type: "oauth_complete", state: state }, location.origin);
    } catch (e) {
      // The opener navigated elsewhere: it polls `closed`, so closing is enough.
    }
    window.close();
  } else {
    location.replace("/link?oauth_state=" + encodeURIComponent(state));
  }
})();
