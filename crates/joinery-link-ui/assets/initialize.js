/* Joinery Link embed script: window.MergeLink with Merge Link's interface (docs/link.md).
   A page written for Merge's script works by pointing its <script src> here. Styles are set through
   the CSSOM, which a strict Content-Security-Policy on the customer's page does not block. */
(() => {
  "use strict";

  const SOURCE = "joinery-link";
  // Joinery's origin is the one this script was loaded from (`tenantConfig` is ignored).
  const ORIGIN = (() => {
    const candidates = [document.currentScript, document.querySelector('script[src*="/link/initialize.js"]')];
    for (const s of candidates) {
      try {
        if (s && s.src) return new URL(s.src, location.href).origin;
      } catch (e) {
        // try the next
      }
    }
    return location.origin;
  })();

  let config = {};
  let frame = null; // the iframe
  let overlay = null; // the modal around it; null when inline (parentContainerID)
  let loaded = false; // the iframe reported `ready` or `error`
  let readyCalled = false;
  let wantOpen = false;
  let isOpen = false;
  let pendingSuccess = null; // [publicToken, additionalInfo] when shouldSendTokenOnSuccessfulLink is false
  let restore = null; // {overflow, focus} to put back when the modal closes

  function call(name, ...args) {
    const fn = config[name];
    if (typeof fn !== "function") return;
    try {
      fn(...args);
    } catch (e) {
      // A throwing callback must not break Link; report it like an uncaught error.
      setTimeout(() => {
        throw e;
      });
    }
  }

  function css(el, styles) {
    for (const [k, v] of Object.entries(styles)) el.style.setProperty(k, v);
    return el;
  }

  function whenBody(fn) {
    if (document.body) fn();
    else document.addEventListener("DOMContentLoaded", fn, { once: true });
  }

  function frameSrc() {
    return ORIGIN + "/link?embedded=1#link_token=" + encodeURIComponent(String(config.linkToken));
  }

  function teardown() {
    if (isOpen) hide();
    if (overlay) overlay.remove();
    else if (frame) frame.remove();
    frame = overlay = null;
    loaded = readyCalled = wantOpen = false;
    pendingSuccess = null;
  }

  function build() {
    frame = css(document.createElement("iframe"), {
      display: "block",
      border: "0",
      "background-color": "#fff",
      "color-scheme": "light",
    });
    frame.title = "Joinery Link";
    frame.src = frameSrc();
    const parent = config.parentContainerID ? document.getElementById(config.parentContainerID) : null;
    if (parent) {
      css(frame, { width: "100%", height: "100%", "min-height": "560px", display: "none" });
      parent.appendChild(frame);
      return;
    }
    if (config.parentContainerID) console.warn("MergeLink: no element with id " + config.parentContainerID + "; using a modal");
    css(frame, {
      width: "min(448px, 100%)",
      height: "min(720px, 100%)",
      "border-radius": "12px",
      "box-shadow": "0 24px 48px rgba(17, 24, 39, 0.25)",
    });
    overlay = css(document.createElement("div"), {
      position: "fixed",
      inset: "0",
      "z-index": "2147483000",
      display: "none",
      "align-items": "center",
      "justify-content": "center",
      padding: "min(24px, 3vw)",
      "background-color": "rgba(17, 24, 39, 0.6)",
    });
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Joinery Link");
    // Tabbing out of the iframe lands on these and goes back into it: focus stays in the modal.
    const guard = () => {
      const g = document.createElement("span");
      g.tabIndex = 0;
      g.addEventListener("focus", () => frame && frame.focus());
      return g;
    };
    overlay.append(guard(), frame, guard());
    document.body.appendChild(overlay);
  }

  function show() {
    if (!frame || isOpen) return;
    isOpen = true;
    wantOpen = false;
    restore = { overflow: document.body.style.overflow, focus: document.activeElement };
    if (overlay) {
      document.body.style.overflow = "hidden";
      overlay.style.display = "flex";
    }
    frame.style.display = "block";
    frame.focus();
  }

  function hide() {
    if (!isOpen) return;
    isOpen = false;
    if (overlay) {
      overlay.style.display = "none";
      document.body.style.overflow = restore ? restore.overflow : "";
    } else if (frame) {
      frame.style.display = "none";
    }
    const back = restore && restore.focus;
    restore = null;
    if (back && typeof back.focus === "function" && document.contains(back)) back.focus();
  }

  function exited() {
    hide();
    if (pendingSuccess) {
      const [publicToken, info] = pendingSuccess;
      pendingSuccess = null;
      call("onSuccess", publicToken, info);
    }
    call("onExit");
  }

  window.addEventListener("message", (e) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== ORIGIN) return;
    const d = e.data;
    if (!d || typeof d !== "object" || d.source !== SOURCE) return;
    switch (d.type) {
      case "ready":
        loaded = true;
        if (!readyCalled) {
          readyCalled = true;
          call("onReady");
        }
        if (wantOpen) show();
        break;
      case "error":
        // Link shows why (expired, used, invalid); opening shows that page.
        loaded = true;
        console.warn("MergeLink: " + (d.detail || "the link token was rejected"));
        if (wantOpen) show();
        break;
      case "success": {
        const info = d.additionalInfo || { isTokenForOtherPreexistingLinkedAccount: false };
        if (config.shouldSendTokenOnSuccessfulLink === false) pendingSuccess = [d.publicToken, info];
        else call("onSuccess", d.publicToken, info);
        break;
      }
      case "validation_error":
        call("onValidationError", Array.isArray(d.errors) ? d.errors : []);
        break;
      case "exit":
        if (isOpen) exited();
        break;
    }
  });

  document.addEventListener("keydown", (e) => {
    if (isOpen && overlay && e.key === "Escape") exited();
  });

  function initialize(cfg) {
    if (!cfg || !cfg.linkToken) {
      console.error("MergeLink.initialize: linkToken is required");
      return;
    }
    teardown();
    config = Object.assign({}, cfg);
    whenBody(() => {
      if (!frame) build();
    });
  }

  function update(cfg) {
    if (!cfg) return;
    const tokenChanged = cfg.linkToken && cfg.linkToken !== config.linkToken;
    const containerChanged = "parentContainerID" in cfg && cfg.parentContainerID !== config.parentContainerID;
    Object.assign(config, cfg);
    if (!frame || !(tokenChanged || containerChanged)) return;
    // A new iframe for the new token: a fresh session, `ready` again.
    const reopen = isOpen || wantOpen;
    teardown();
    build();
    wantOpen = reopen;
  }

  function openLink(cfg) {
    if (!frame && !config.linkToken) {
      initialize(cfg || {});
    } else if (cfg) {
      update(cfg);
    }
    if (!config.linkToken) return;
    wantOpen = true;
    if (loaded) show();
  }

  window.MergeLink = { initialize: initialize, openLink: openLink, update: update };
})();
