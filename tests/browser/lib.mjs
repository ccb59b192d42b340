// Helpers shared by the browser tests (link.test.mjs against `joinery serve --demo`,
// mock.test.mjs against mock-server.mjs): the browser, polling with deadlines, the customer page.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, "../..");
export const ASSETS = path.join(REPO, "crates/joinery-link-ui/assets");
export const SHOTS = path.join(REPO, "target/link-screenshots");
export const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    timeout: 30_000,
  });
}

/** Polls `fn` until it returns a truthy value (returned) or the deadline passes (throws). */
export async function waitFor(fn, { timeout = 10_000, interval = 50, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function listen(server, port = 0) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server.address().port));
  });
}

export function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** Screenshot to target/link-screenshots/<dir>/<name>.png. */
export async function shot(target, dir, name) {
  const file = path.join(SHOTS, dir, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await target.screenshot({ path: file });
  return file;
}

/** link.js's dictionaries ({en: {key: text}, de: {...}}), parsed as the crate's unit test does. */
export function loadI18n() {
  const js = fs.readFileSync(path.join(ASSETS, "link.js"), "utf8");
  const start = js.indexOf("const I18N = {\n");
  const out = {};
  let lang = null;
  for (const line of js.slice(start).split("\n").slice(1)) {
    if (line === "  };") break;
    const open = /^ {4}(\w+): \{$/.exec(line);
    if (open) {
      lang = open[1];
      out[lang] = {};
      continue;
    }
    if (line === "    },") continue;
    const m = /^ {6}(\w+): "(.*)",$/.exec(line);
    if (m && lang) out[lang][m[1]] = m[2];
  }
  return out;
}

/** Fills {placeholders} as link.js does. */
export function fmt(text, vars = {}) {
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/**
 * The customer's page, on its own origin: Merge-style vanilla code around Joinery's embed script.
 * `url(token, {sendOnExit, container})` registers a page for that link token (the token is not in
 * the page's URL, so no Referer or log carries it); the page records every callback in
 * `window.events`. `/bare` has the embed script alone.
 */
export async function startCustomerPage(joineryOrigin) {
  const pages = new Map();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://customer");
    if (url.pathname === "/bare") {
      // The embed script and nothing else: for calls made from the test.
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="en"><title>bare</title><script src="${joineryOrigin}/link/initialize.js"></script></html>`);
      return;
    }
    const linkToken = pages.get(url.searchParams.get("page"));
    if (url.pathname !== "/" || linkToken === undefined) {
      res.writeHead(404).end();
      return;
    }
    const token = JSON.stringify(linkToken).replace(/</g, "\\u003c");
    const sendOnExit = url.searchParams.get("send_on_exit") === "1";
    const inline = url.searchParams.get("container") === "1";
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Acme Payroll</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #fafafa; color: #1f2937; }
  header { background: #1e293b; color: #fff; padding: 16px 32px; font-weight: 700; }
  main { padding: 32px; max-width: 640px; }
  button { font: inherit; padding: 10px 20px; border-radius: 6px; border: 0; background: #4f46e5; color: #fff; }
  button:disabled { background: #9ca3af; }
  #link-container { width: 448px; height: 640px; border: 1px solid #e5e7eb; margin-top: 16px; }
</style>
<script src="${joineryOrigin}/link/initialize.js"></script>
</head>
<body>
<header>Acme Payroll</header>
<main>
<h1>Integrations</h1>
<p>Connect your HR system to import employees.</p>
<button id="connect" type="button" disabled>Connect</button>
<p>Public token: <code id="public-token"></code></p>
${inline ? '<div id="link-container"></div>' : ""}
</main>
<script>
  window.events = [];
  const button = document.getElementById("connect");
  MergeLink.initialize({
    linkToken: ${token},
    onSuccess: (publicToken, additionalInfo) => {
      events.push({ type: "success", publicToken, additionalInfo });
      document.getElementById("public-token").textContent = publicToken;
    },
    onReady: () => (button.disabled = false),
    onValidationError: (errors) => events.push({ type: "validation_error", errors }),
    onExit: () => events.push({ type: "exit" }),
    ${sendOnExit ? "shouldSendTokenOnSuccessfulLink: false," : ""}
    ${inline ? 'parentContainerID: "link-container",' : ""}
  });
  button.onclick = () => MergeLink.openLink();
</script>
</body>
</html>`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
  });
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (token, opts = {}) => {
      const page = String(pages.size + 1);
      pages.set(page, token);
      const q = new URLSearchParams({ page });
      if (opts.sendOnExit) q.set("send_on_exit", "1");
      if (opts.container) q.set("container", "1");
      return `${origin}/?${q}`;
    },
    close: () => closeServer(server),
  };
}

/** Records page errors and CSP violations of every page of a browser context. */
export function watchProblems(context) {
  const problems = [];
  const attach = (page) => {
    page.on("pageerror", (e) => problems.push(`pageerror on ${page.url()}: ${e.message}`));
    page.on("console", (m) => {
      const text = m.text();
      if (m.type() === "error" && /Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
    });
  };
  context.pages().forEach(attach);
  context.on("page", attach);
  return problems;
}

/** Completes a provider's consent page (an emulator's or the mock's): sign in, then allow or deny. */
export async function consent(popup, { email, password, decision, timeout = 15_000 }) {
  const decisionButton =
    decision === "allow"
      ? popup.getByRole("button", { name: /allow|authori[sz]e|accept|approve|grant|erlauben|zulassen/i })
      : popup.getByRole("button", { name: /deny|decline|reject|refuse|cancel|ablehnen/i });
  const emailInput = popup.locator('input[type="email"], input[name*="email" i], input[name="username"]').first();
  const passwordInput = popup.locator('input[type="password"]').first();
  const signIn = popup.getByRole("button", { name: /sign in|log in|login|continue|next|anmelden|weiter/i }).first();
  await waitFor(
    async () => {
      if (popup.isClosed()) throw new Error("the consent window closed early");
      if (email && (await emailInput.isVisible()) && !(await emailInput.inputValue())) await emailInput.fill(email);
      if (password && (await passwordInput.isVisible()) && !(await passwordInput.inputValue())) await passwordInput.fill(password);
      if (await decisionButton.first().isVisible()) {
        await decisionButton.first().click();
        return true;
      }
      // A separate sign-in step before the consent question.
      if ((await signIn.isVisible()) && (!email || (await emailInput.inputValue()))) await signIn.click();
      return false;
    },
    { timeout, interval: 100, what: `the ${decision} button on the consent page (${popup.url()})` },
  );
}

// The callback page closes the popup; on a timeout, say where the popup got stuck.
export async function waitForClose(popup, timeout = 20_000) {
  await waitFor(() => popup.isClosed(), { timeout, what: "the OAuth popup to close" }).catch(async (e) => {
    const text = await popup.locator("body").innerText().catch(() => "");
    throw new Error(`${e.message}; the popup shows ${popup.url()}: ${text.slice(0, 500)}`);
  });
}
