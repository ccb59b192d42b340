// Joinery Link end to end in chromium against the real `joinery serve --demo` (provider emulators
// included): a customer page on another origin embeds Link with Merge's vanilla pattern; an end user
// links BambooHR (API key: wrong key, then the right one) and Gusto (OAuth popup: deny, then allow)
// in English and German; the public tokens are exchanged with Merge's official Python SDK; nothing
// secret reaches the browser. Screenshots: target/link-screenshots/{en,de}/NN-step.png.
//
// Environment: JOINERY_BIN (required), JOINERY_SDK_VENV (default <repo>/target/sdk-venv).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO, consent, waitForClose, fmt, freePort, launchBrowser, loadI18n, shot, startCustomerPage, waitFor, watchProblems } from "./lib.mjs";

const JOINERY_BIN = process.env.JOINERY_BIN;
const SDK_PYTHON = path.join(process.env.JOINERY_SDK_VENV || path.join(REPO, "target/sdk-venv"), "bin/python");
const I18N = loadI18n();
const STARTUP_MS = 30_000;
const STEP_MS = 20_000;

const server = { child: null, stdout: "", stderr: "", origin: "", dataDir: "" };
const demo = {}; // apiKey, bamboohr: {companyDomain, apiKey}, gusto: {email, password}
let browser;
let customer;
const contexts = []; // every browser context, kept open until the leak checks at the end
const responses = []; // {url, body} of every response any page received
const requests = []; // {url, headers, postData} of every request any page sent
const pending = []; // response-body reads in flight
const linked = []; // {lang, integration, publicToken}
const typedSecrets = []; // what the user typed into secret fields

function log(lines = 60) {
  const tail = (s) => s.split("\n").slice(-lines).join("\n");
  return `\n--- joinery stdout ---\n${tail(server.stdout)}\n--- joinery stderr ---\n${tail(server.stderr)}`;
}

async function startServer() {
  assert.ok(JOINERY_BIN, "JOINERY_BIN must point at the built joinery binary");
  assert.ok(fs.existsSync(JOINERY_BIN), `JOINERY_BIN=${JOINERY_BIN} does not exist`);
  const port = await freePort();
  server.origin = `http://127.0.0.1:${port}`;
  server.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "joinery-link-test-"));
  // Inherited JOINERY_* settings (a developer's database URL, public URL …) must not change
  // what is tested: no JOINERY_DATABASE_URL means the embedded SQLite in the data directory.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toUpperCase().startsWith("JOINERY_")));
  env.NO_COLOR = "1";
  const child = spawn(JOINERY_BIN, ["serve", "--demo", "--listen", `127.0.0.1:${port}`, "--data-dir", server.dataDir], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.child = child;
  child.stdout.setEncoding("utf8").on("data", (d) => (server.stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (server.stderr += d));
  const exited = () => child.exitCode !== null || child.signalCode !== null;

  await waitFor(
    async () => {
      if (exited()) throw new Error(`joinery serve --demo exited (${child.exitCode ?? child.signalCode})${log()}`);
      const r = await fetch(`${server.origin}/api/health`).catch(() => null);
      return r && r.status === 200;
    },
    { timeout: STARTUP_MS, interval: 100, what: `GET /api/health = 200${log()}` },
  );
  const m = await waitFor(
    () => {
      const key = /API key: (jny_sk_[0-9A-Za-z]+)/.exec(server.stdout);
      const bamboo = /BambooHR \(demo\): company domain "([^"]+)", API key "([^"]+)"/.exec(server.stdout);
      const gusto = /Gusto \(demo\): email "([^"]+)", password "([^"]+)"/.exec(server.stdout);
      return key && bamboo && gusto && { key, bamboo, gusto };
    },
    { timeout: 10_000, what: `the demo credentials on stdout${log()}` },
  );
  demo.apiKey = m.key[1];
  demo.bamboohr = { companyDomain: m.bamboo[1], apiKey: m.bamboo[2] };
  demo.gusto = { email: m.gusto[1], password: m.gusto[2] };
}

async function stopServer() {
  const child = server.child;
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(timer);
  }
  if (server.dataDir) fs.rmSync(server.dataDir, { recursive: true, force: true });
}

// Never leave the server running, whatever happens to the test process.
process.on("exit", () => server.child && server.child.exitCode === null && server.child.kill("SIGKILL"));

async function mintLinkToken(language, originId) {
  const r = await fetch(`${server.origin}/api/hris/v1/link-token`, {
    method: "POST",
    headers: { Authorization: `Bearer ${demo.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      end_user_email_address: `${originId}@example.com`,
      end_user_organization_name: "Acme Inc.",
      end_user_origin_id: originId,
      categories: ["hris"],
      language,
    }),
  });
  const body = await r.json();
  assert.equal(r.status, 200, `link-token: ${JSON.stringify(body)}`);
  assert.ok(body.link_token, JSON.stringify(body));
  return body.link_token;
}

/** The session as the page sees it (reading it does not consume the token). */
async function linkSession(token) {
  const r = await fetch(`${server.origin}/api/link/v1/session`, { headers: { "X-Link-Token": token } });
  const body = await r.json();
  assert.equal(r.status, 200, `session: ${JSON.stringify(body)}`);
  return body;
}

async function newContext(lang) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, locale: lang === "de" ? "de-DE" : "en-US" });
  context.setDefaultTimeout(STEP_MS);
  contexts.push(context);
  const problems = watchProblems(context);
  context.on("request", (req) => requests.push({ url: req.url(), headers: req.headers(), postData: req.postData() || "" }));
  context.on("response", (res) => {
    pending.push(
      res
        .text()
        .then((body) => responses.push({ url: res.url(), status: res.status(), body }))
        .catch(() => responses.push({ url: res.url(), status: res.status(), body: "" })),
    );
  });
  return { context, problems };
}

async function openLink(context, token) {
  const page = await context.newPage();
  await page.goto(customer.url(token));
  const connect = page.locator("#connect");
  await waitFor(() => connect.isEnabled(), { timeout: STEP_MS, what: "onReady to enable Connect" });
  await connect.click();
  return { page, frame: page.frameLocator('iframe[title="Joinery Link"]') };
}

const events = (page) => page.evaluate(() => window.events);
const waitEvent = (page, type) =>
  waitFor(async () => (await events(page)).find((e) => e.type === type), { timeout: STEP_MS, what: `the customer page's ${type} callback` });

function sdk(...args) {
  return new Promise((resolve) => {
    execFile(
      SDK_PYTHON,
      [path.join(REPO, "tests/browser/exchange.py"), "--base-url", server.origin, "--api-key", demo.apiKey, ...args],
      { timeout: 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("Joinery Link against joinery serve --demo", () => {
  before(async () => {
    await startServer();
    browser = await launchBrowser();
    customer = await startCustomerPage(server.origin);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await customer?.close();
    await stopServer();
  });

  for (const lang of ["en", "de"]) {
    const t = (key, vars) => fmt(I18N[lang][key], vars);
    const dir = lang;

    test(`${lang}: BambooHR with an API key (wrong key, then the right one)`, { timeout: 120_000 }, async () => {
      const { context, problems } = await newContext(lang);
      const token = await mintLinkToken(lang, `browser-bamboohr-${lang}-${Date.now()}`);
      const integration = (await linkSession(token)).integrations.find((i) => i.slug === "bamboohr");
      assert.ok(integration, "the demo session offers no BambooHR");
      const secretField = integration.fields.find((f) => f.secret);
      const plainFields = integration.fields.filter((f) => !f.secret && f.required);
      assert.ok(secretField && plainFields.length === 1, `unexpected BambooHR fields: ${JSON.stringify(integration.fields)}`);

      const { page, frame } = await openLink(context, token);
      const pick = frame.getByRole("button", { name: "BambooHR" });
      await pick.waitFor();
      assert.equal(await frame.locator("html").getAttribute("lang"), lang);
      await shot(page, dir, "01-picker");
      await pick.click();
      await frame.getByRole("heading", { name: t("form_title", { name: "BambooHR" }) }).waitFor();
      const domainInput = frame.locator(`#f-${plainFields[0].name}`);
      const keyInput = frame.locator(`#f-${secretField.name}`);
      assert.equal(await keyInput.getAttribute("type"), "password");
      await domainInput.fill(demo.bamboohr.companyDomain);
      const wrongKey = `wrong-${demo.bamboohr.apiKey.slice(0, 4)}-${Date.now()}`;
      typedSecrets.push(wrongKey, demo.bamboohr.apiKey);
      await keyInput.fill(wrongKey);
      await shot(page, dir, "02-form");

      await keyInput.press("Enter");
      const alert = frame.getByRole("alert");
      await alert.waitFor();
      await frame.getByText(t("p_INVALID_CREDENTIALS", { name: "BambooHR" })).waitFor();
      const rejected = await waitEvent(page, "validation_error");
      assert.ok(Array.isArray(rejected.errors) && rejected.errors.length > 0, JSON.stringify(rejected));
      assert.equal(rejected.errors[0].problem_type, "INVALID_CREDENTIALS", JSON.stringify(rejected.errors));
      await shot(page, dir, "03-wrong-key");
      assert.equal((await events(page)).some((e) => e.type === "success"), false, "onSuccess after a wrong key");

      await keyInput.fill(demo.bamboohr.apiKey);
      await frame.getByRole("button", { name: t("connect"), exact: true }).click();
      await frame.getByRole("heading", { name: t("success_title", { name: "BambooHR" }) }).waitFor();
      const ok = await waitEvent(page, "success");
      await waitFor(async () => (await page.locator("#public-token").innerText()) === ok.publicToken, { what: "the public token in #public-token" });
      assert.ok(ok.publicToken, JSON.stringify(ok));
      assert.equal(typeof ok.additionalInfo.isTokenForOtherPreexistingLinkedAccount, "boolean", JSON.stringify(ok.additionalInfo));
      await shot(page, dir, "04-success");
      linked.push({ lang, integration: "bamboohr", publicToken: ok.publicToken, linkToken: token });

      await frame.getByRole("button", { name: t("done") }).click();
      await waitEvent(page, "exit");
      assert.equal(await page.locator('iframe[title="Joinery Link"]').isVisible(), false);
      assert.deepEqual(problems, []);
    });

    test(`${lang}: Gusto with OAuth in a popup (deny, then allow)`, { timeout: 120_000 }, async () => {
      const { context, problems } = await newContext(lang);
      const token = await mintLinkToken(lang, `browser-gusto-${lang}-${Date.now()}`);
      const { page, frame } = await openLink(context, token);
      await frame.getByRole("button", { name: "Gusto" }).click();
      const cont = frame.getByRole("button", { name: t("continue_to", { name: "Gusto" }) });
      await cont.waitFor();
      await shot(page, dir, "05-oauth-form");

      let [popup] = await Promise.all([context.waitForEvent("page"), cont.click()]);
      await frame.getByRole("heading", { name: t("oauth_wait_title", { name: "Gusto" }) }).waitFor();
      await waitFor(() => popup.url().startsWith("http"), { what: "the popup to load the consent page" });
      await popup.waitForLoadState();
      await shot(popup, dir, "06-consent");
      await consent(popup, { email: demo.gusto.email, password: demo.gusto.password, decision: "deny" });
      await waitForClose(popup);
      await frame.getByText(t("p_OAUTH_DENIED")).waitFor();
      await shot(page, dir, "07-oauth-denied");
      assert.equal((await events(page)).some((e) => e.type === "success"), false, "onSuccess after denying");

      [popup] = await Promise.all([context.waitForEvent("page"), cont.click()]);
      await waitFor(() => popup.url().startsWith("http"), { what: "the popup to load the consent page" });
      await popup.waitForLoadState();
      await consent(popup, { email: demo.gusto.email, password: demo.gusto.password, decision: "allow" });
      await waitForClose(popup);
      await frame.getByRole("heading", { name: t("success_title", { name: "Gusto" }) }).waitFor();
      const ok = await waitEvent(page, "success");
      await waitFor(async () => (await page.locator("#public-token").innerText()) === ok.publicToken, { what: "the public token in #public-token" });
      await shot(page, dir, "08-oauth-success");
      linked.push({ lang, integration: "gusto", publicToken: ok.publicToken, linkToken: token });
      assert.deepEqual(problems, []);
    });
  }

  test("public tokens exchange once for account tokens with Merge's Python SDK", { timeout: 180_000 }, async () => {
    assert.ok(fs.existsSync(SDK_PYTHON), `no Python SDK venv at ${SDK_PYTHON} (tests/sdk/run.sh creates it; or set JOINERY_SDK_VENV)`);
    assert.equal(linked.length, 4, `expected 4 linked accounts, got ${JSON.stringify(linked)}`);
    for (const l of linked) {
      const first = await sdk(l.publicToken);
      assert.equal(first.code, 0, `exchange of ${l.integration} (${l.lang}) failed: ${first.stdout}${first.stderr}`);
      const out = JSON.parse(first.stdout);
      assert.ok(out.account_token, first.stdout);
      assert.equal(out.integration_slug, l.integration);
      assert.ok(out.id, first.stdout);
      l.accountToken = out.account_token;
      l.id = out.id;
      const again = await sdk(l.publicToken);
      assert.notEqual(again.code, 0, `a public token exchanged twice: ${again.stdout}`);
    }
    const list = await sdk("--list-linked-accounts");
    assert.equal(list.code, 0, list.stdout + list.stderr);
    const { ids, integrations } = JSON.parse(list.stdout);
    for (const l of linked) {
      assert.ok(ids.includes(l.id), `linked account ${l.id} (${l.integration}) is not listed: ${list.stdout}`);
      assert.equal(integrations[l.id], l.integration);
    }
  });

  test("nothing secret reaches the browser", { timeout: 60_000 }, async () => {
    await Promise.all(pending);
    assert.ok(responses.length > 0);
    const linkApi = requests.filter((r) => new URL(r.url).pathname.startsWith("/api/link/v1/"));
    assert.ok(linkApi.length > 0, "no JSON API requests seen");
    for (const l of linked) {
      for (const r of requests) {
        // The link token travels only in the X-Link-Token header (and the iframe URL's fragment).
        assert.ok(!new URL(r.url).search.includes(encodeURIComponent(l.linkToken)) && !new URL(r.url).pathname.includes(l.linkToken), `link token in ${r.url}`);
        assert.ok(!(r.headers.referer || "").includes(l.linkToken), `link token in the Referer of ${r.url}`);
      }
    }
    for (const r of linkApi) assert.ok(r.headers["x-link-token"], `no X-Link-Token on ${r.url}`);

    // The keys the user typed come back in no response.
    for (const secret of typedSecrets) {
      for (const r of responses) assert.ok(!r.body.includes(secret), `a typed API key came back in ${r.url}`);
    }

    // Account tokens appear nowhere: responses, requests, documents, storage, callbacks.
    const seen = [...responses.map((r) => `${r.url}\n${r.body}`), ...requests.map((r) => `${r.url}\n${JSON.stringify(r.headers)}\n${r.postData}`)];
    for (const context of contexts) {
      for (const page of context.pages()) {
        for (const frame of page.frames()) {
          seen.push(
            await frame
              .evaluate(() => {
                const dump = (s) => {
                  try {
                    return JSON.stringify(Object.entries(s));
                  } catch (e) {
                    return "";
                  }
                };
                return [document.documentElement.outerHTML, dump(sessionStorage), dump(localStorage), JSON.stringify(window.events || [])].join("\n");
              })
              .catch(() => ""),
          );
        }
      }
      seen.push(JSON.stringify(await context.cookies()));
    }
    for (const l of linked) {
      assert.ok(l.accountToken, "no account token to look for");
      for (const text of seen) assert.ok(!text.includes(l.accountToken), `the ${l.integration} account token reached the browser`);
    }
  });
});
