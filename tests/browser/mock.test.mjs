// Joinery Link's UI in chromium against mock-server.mjs (no Joinery binary needed): every step in
// English and German, keyboard-only use, errors, the OAuth popup and its same-window fallback, the
// embed script's options. Screenshots: target/link-screenshots/mock/{en,de}/NN-step.png.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DEMO, startMock } from "./mock-server.mjs";
import { consent, waitForClose, fmt, launchBrowser, loadI18n, shot, startCustomerPage, waitFor, watchProblems } from "./lib.mjs";

const I18N = loadI18n();
const VIEWPORT = { width: 1024, height: 800 };

let browser;
let mock;
let customer;

before(async () => {
  browser = await launchBrowser();
  mock = await startMock();
  customer = await startCustomerPage(mock.origin);
});

after(async () => {
  await browser?.close();
  await customer?.close();
  await mock?.close();
});

async function newContext(lang, opts = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, locale: lang === "de" ? "de-DE" : "en-US", ...opts });
  const problems = watchProblems(context);
  return { context, problems };
}

/** Opens the customer page for `token`, waits for onReady, clicks Connect; returns the Link frame. */
async function openLink(context, token, opts) {
  const page = await context.newPage();
  await page.goto(customer.url(token, opts));
  const connect = page.locator("#connect");
  await waitFor(() => connect.isEnabled(), { what: "onReady enabling Connect" });
  await connect.click();
  const frame = page.frameLocator('iframe[title="Joinery Link"]');
  return { page, frame };
}

const events = (page) => page.evaluate(() => window.events);

for (const lang of ["en", "de"]) {
  const t = (key, vars) => fmt(I18N[lang][key], vars);
  const dir = `mock/${lang}`;

  describe(`Link UI with the mock (${lang})`, () => {
    test("BambooHR: picker, required fields, wrong key, success, done", async () => {
      const { context, problems } = await newContext(lang);
      const token = mock.mint({ language: lang });
      const { page, frame } = await openLink(context, token);
      await frame.getByRole("heading", { name: t("picker_title_hris") }).waitFor();
      assert.equal(await frame.locator("html").getAttribute("lang"), lang);
      await waitFor(async () => (await frame.locator("h1").evaluate((h) => document.activeElement === h)), { what: "focus on the picker heading" });
      // Body scroll is locked while the modal is open.
      assert.equal(await page.evaluate(() => document.body.style.overflow), "hidden");
      await shot(page, dir, "01-picker");

      await frame.getByRole("searchbox").fill("bam");
      await waitFor(async () => (await frame.locator(".item:visible").count()) === 1, { what: "search to narrow the list" });
      await frame.getByRole("searchbox").fill("zzz");
      await frame.getByText(t("no_results")).waitFor();
      await shot(page, dir, "02-search-empty");
      await frame.getByRole("searchbox").fill("");
      await frame.getByRole("button", { name: "BambooHR" }).click();
      await frame.getByRole("heading", { name: t("form_title", { name: "BambooHR" }) }).waitFor();
      await shot(page, dir, "03-form");

      // Nothing entered: the client names the missing fields and sends nothing.
      const before = mock.requests.length;
      await frame.getByRole("button", { name: t("connect"), exact: true }).click();
      await frame.getByRole("alert").waitFor();
      const domain = frame.locator("#f-company_domain");
      const key = frame.locator("#f-api_key");
      assert.equal(await domain.getAttribute("aria-invalid"), "true");
      const label = lang === "de" ? "Firmen-Domain" : "Company domain";
      assert.match(await frame.locator("#f-company_domain-error").innerText(), new RegExp(t("field_required", { label })));
      assert.equal(mock.requests.length, before, "a request was sent for an incomplete form");
      assert.equal(await key.getAttribute("type"), "password");
      assert.match(await domain.getAttribute("aria-describedby"), /f-company_domain-help/);
      await shot(page, dir, "04-required");

      // A wrong key: the provider's rejection on the key field, onValidationError, no success.
      await domain.fill(DEMO.bamboohr.companyDomain);
      await key.fill("not-the-key");
      const release = mock.hold("connect");
      await key.press("Enter");
      await frame.getByRole("heading", { name: t("validating_title", { name: "BambooHR" }) }).waitFor();
      assert.equal(await frame.locator("#app").getAttribute("aria-busy"), "true");
      await shot(page, dir, "05-validating");
      release();
      await frame.getByText(t("p_INVALID_CREDENTIALS", { name: "BambooHR" })).waitFor();
      assert.equal(await key.getAttribute("aria-invalid"), "true");
      assert.equal(await domain.inputValue(), DEMO.bamboohr.companyDomain, "the form keeps what was entered");
      await waitFor(async () => (await events(page)).some((e) => e.type === "validation_error"), { what: "onValidationError" });
      const ve = (await events(page)).find((e) => e.type === "validation_error");
      assert.equal(ve.errors[0].problem_type, "INVALID_CREDENTIALS");
      await shot(page, dir, "06-invalid-credentials");

      // An unknown company lands on the domain field.
      await domain.fill("globex");
      await key.fill(DEMO.bamboohr.apiKey);
      await key.press("Enter");
      await frame.getByText(t("p_UNKNOWN_INSTANCE", { name: "BambooHR" })).waitFor();
      assert.equal(await domain.getAttribute("aria-invalid"), "true");
      assert.equal(await key.getAttribute("aria-invalid"), null);

      await domain.fill(DEMO.bamboohr.companyDomain);
      await frame.getByRole("button", { name: t("connect"), exact: true }).click();
      await frame.getByRole("heading", { name: t("success_title", { name: "BambooHR" }) }).waitFor();
      await waitFor(async () => (await page.locator("#public-token").innerText()).length > 10, { what: "onSuccess on the customer page" });
      const ok = (await events(page)).find((e) => e.type === "success");
      assert.deepEqual(ok.additionalInfo, { isTokenForOtherPreexistingLinkedAccount: false });
      assert.equal(await page.locator("#public-token").innerText(), ok.publicToken);
      await shot(page, dir, "07-success");

      await frame.getByRole("button", { name: t("done") }).click();
      await waitFor(async () => (await events(page)).some((e) => e.type === "exit"), { what: "onExit" });
      assert.equal(await page.locator('iframe[title="Joinery Link"]').isVisible(), false);
      assert.equal(await page.evaluate(() => document.body.style.overflow), "");
      // Focus goes back to the button that opened Link.
      assert.equal(await page.evaluate(() => document.activeElement.id), "connect");
      // Every JSON API call carried the token in the header, none in the URL.
      for (const r of mock.requests.filter((r) => r.linkToken === token)) assert.ok(!r.path.includes(token));
      assert.deepEqual(problems, []);
      await context.close();
    });

    test("keyboard only: open, search, pick, fill, submit, escape", async () => {
      const { context, problems } = await newContext(lang);
      const page = await context.newPage();
      await page.goto(customer.url(mock.mint({ language: lang })));
      await waitFor(() => page.locator("#connect").isEnabled(), { what: "onReady" });
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement.id), "connect");
      await page.keyboard.press("Enter");
      const frame = page.frameLocator('iframe[title="Joinery Link"]');
      await frame.getByRole("heading", { name: t("picker_title_hris") }).waitFor();
      await waitFor(async () => (await frame.locator("h1").evaluate((h) => document.activeElement === h)), { what: "focus on the heading" });
      // From the heading, Tab goes to the search box.
      await page.keyboard.press("Tab");
      assert.equal(await frame.locator("#search").evaluate((el) => document.activeElement === el), true);
      await page.keyboard.type("bamboo");
      await page.keyboard.press("Enter");
      await frame.getByRole("heading", { name: t("form_title", { name: "BambooHR" }) }).waitFor();
      await waitFor(async () => (await frame.locator("h1").evaluate((h) => document.activeElement === h)), { what: "focus on the form heading" });
      // The focus ring is visible on a keyboard-focused button.
      await page.keyboard.press("Shift+Tab");
      const outline = await frame.locator(".back").evaluate((el) => getComputedStyle(el).outlineStyle);
      assert.equal(outline, "solid", "no visible focus style on the back button");
      await shot(page, dir, "08-keyboard-focus");
      await page.keyboard.press("Tab");
      assert.equal(await frame.locator("#f-company_domain").evaluate((el) => document.activeElement === el), true);
      await page.keyboard.type(DEMO.bamboohr.companyDomain);
      await page.keyboard.press("Tab");
      await page.keyboard.type(DEMO.bamboohr.apiKey);
      await page.keyboard.press("Enter");
      await frame.getByRole("heading", { name: t("success_title", { name: "BambooHR" }) }).waitFor();
      await page.keyboard.press("Escape");
      await waitFor(async () => (await events(page)).some((e) => e.type === "exit"), { what: "Escape to close" });
      assert.deepEqual((await events(page)).map((e) => e.type), ["success", "exit"]);
      assert.deepEqual(problems, []);
      await context.close();
    });

    test("Gusto (OAuth): deny, close the popup, allow", async () => {
      const { context, problems } = await newContext(lang);
      const { page, frame } = await openLink(context, mock.mint({ language: lang }));
      await frame.getByRole("button", { name: "Gusto" }).click();
      const cont = frame.getByRole("button", { name: t("continue_to", { name: "Gusto" }) });
      await cont.waitFor();
      await shot(page, dir, "09-oauth-form");

      // Deny.
      let [popup] = await Promise.all([context.waitForEvent("page"), cont.click()]);
      await frame.getByRole("heading", { name: t("oauth_wait_title", { name: "Gusto" }) }).waitFor();
      await shot(page, dir, "10-oauth-waiting");
      await popup.waitForURL(/\/oauth\/authorize/);
      await consent(popup, { decision: "deny" });
      await waitForClose(popup);
      await frame.getByText(t("p_OAUTH_DENIED")).waitFor();
      await shot(page, dir, "11-oauth-denied");
      assert.ok((await events(page)).some((e) => e.type === "validation_error" && e.errors[0].problem_type === "OAUTH_DENIED"));

      // Closed without an answer.
      [popup] = await Promise.all([context.waitForEvent("page"), cont.click()]);
      await popup.waitForURL(/\/oauth\/authorize/);
      await popup.close();
      await frame.getByText(t("p_OAUTH_PENDING")).waitFor();
      await frame.getByText(t("oauth_not_completed", { name: "Gusto" })).waitFor();
      await shot(page, dir, "12-oauth-not-completed");

      // Allow.
      [popup] = await Promise.all([context.waitForEvent("page"), cont.click()]);
      await popup.waitForURL(/\/oauth\/authorize/);
      await shot(popup, dir, "13-oauth-consent");
      await consent(popup, { email: DEMO.gusto.email, password: DEMO.gusto.password, decision: "allow" });
      await waitForClose(popup);
      await frame.getByRole("heading", { name: t("success_title", { name: "Gusto" }) }).waitFor();
      await waitFor(async () => (await page.locator("#public-token").innerText()).length > 10, { what: "onSuccess" });
      await shot(page, dir, "14-oauth-success");
      assert.deepEqual(problems, []);
      await context.close();
    });

    test("magic link: full page, blocked popup falls back to the same window", async () => {
      const { context, problems } = await newContext(lang);
      const page = await context.newPage();
      await page.addInitScript(() => {
        window.open = () => null;
      });
      const token = mock.mint({ language: lang });
      await page.goto(`${mock.origin}/link?link_token=${token}`);
      await page.getByRole("heading", { name: t("picker_title_hris") }).waitFor();
      assert.equal(new URL(page.url()).search, "", "the token stays in the address bar");
      assert.equal(await page.locator("#close").isVisible(), false, "a close button in full-page mode");
      await shot(page, dir, "15-page-picker");
      await page.getByRole("button", { name: "Gusto" }).click();
      await page.getByRole("button", { name: t("continue_to", { name: "Gusto" }) }).click();
      await page.waitForURL(/\/oauth\/authorize/);
      await consent(page, { email: DEMO.gusto.email, password: DEMO.gusto.password, decision: "allow" });
      await page.getByRole("heading", { name: t("success_title", { name: "Gusto" }) }).waitFor();
      await page.getByText(t("success_close")).waitFor();
      assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, "/link");
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, "the saved OAuth attempt was not removed");
      await shot(page, dir, "16-page-success");
      assert.deepEqual(problems, []);
      await context.close();
    });

    test("link token failures", async () => {
      const { context, problems } = await newContext(lang);
      const page = await context.newPage();
      for (const [token, key, n] of [
        ["expired-token", "p_LINK_TOKEN_EXPIRED", "17-expired"],
        ["used-token", "p_LINK_TOKEN_USED", "18-used"],
        ["nonsense", "p_LINK_TOKEN_INVALID", "19-invalid"],
      ]) {
        await page.goto(`${mock.origin}/link?link_token=${token}`);
        await page.getByRole("heading", { name: t(key) }).waitFor();
        await page.getByText(t("token_text")).waitFor();
        await shot(page, dir, n);
      }
      await page.goto(`${mock.origin}/link`);
      await page.getByRole("heading", { name: t("p_LINK_TOKEN_INVALID") }).waitFor();

      // Embedded: `error` reaches the script, onReady does not fire, openLink still shows why.
      const p2 = await context.newPage();
      await p2.goto(customer.url("expired-token"));
      await p2.evaluate(() => MergeLink.openLink());
      const frame = p2.frameLocator('iframe[title="Joinery Link"]');
      await frame.getByRole("heading", { name: t("p_LINK_TOKEN_EXPIRED") }).waitFor();
      assert.equal(await p2.locator("#connect").isEnabled(), false);
      assert.deepEqual(problems.filter((p) => !p.includes("401")), []);
      await context.close();
    });

    test("pre-selected integration, narrow screen, token sent on exit, inline container", async () => {
      const { context, problems } = await newContext(lang, { viewport: { width: 320, height: 640 } });
      const { page, frame } = await openLink(context, mock.mint({ language: lang, integration: "bamboohr" }), { sendOnExit: true });
      await frame.getByRole("heading", { name: t("form_title", { name: "BambooHR" }) }).waitFor();
      assert.equal(await frame.locator(".back").count(), 0, "a back button although the token names the integration");
      const overflow = await frame.locator("html").evaluate(() => document.scrollingElement.scrollWidth - innerWidth);
      assert.ok(overflow <= 0, `the page scrolls sideways at 320px (${overflow}px)`);
      await shot(page, dir, "20-narrow-form");
      await frame.locator("#f-company_domain").fill(DEMO.bamboohr.companyDomain);
      await frame.locator("#f-api_key").fill(DEMO.bamboohr.apiKey);
      await frame.locator("#f-api_key").press("Enter");
      await frame.getByRole("heading", { name: t("success_title", { name: "BambooHR" }) }).waitFor();
      await shot(page, dir, "21-narrow-success");
      assert.deepEqual(await events(page), [], "onSuccess fired before exit with shouldSendTokenOnSuccessfulLink: false");
      await frame.getByRole("button", { name: t("close") }).click();
      await waitFor(async () => (await events(page)).length === 2, { what: "onSuccess and onExit" });
      assert.deepEqual((await events(page)).map((e) => e.type), ["success", "exit"]);

      // Inline: the iframe lives in the customer's container.
      const inline = await openLink(context, mock.mint({ language: lang }), { container: true });
      await inline.frame.getByRole("heading", { name: t("picker_title_hris") }).waitFor();
      assert.equal(await inline.page.locator("#link-container iframe").isVisible(), true);
      // update() with a new token loads a new session.
      const ats = mock.mint({ language: lang, categories: ["ats"] });
      await inline.page.evaluate((token) => MergeLink.update({ linkToken: token }), ats);
      await inline.frame.getByRole("heading", { name: t("picker_title_ats") }).waitFor();
      assert.deepEqual(problems, []);
      await context.close();
    });
  });
}

test("messages from other windows are ignored by the embed script", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(customer.url(mock.mint()));
  await waitFor(() => page.locator("#connect").isEnabled(), { what: "onReady" });
  await page.evaluate(() => {
    window.postMessage({ source: "joinery-link", type: "success", publicToken: "forged" }, "*");
    window.postMessage({ source: "joinery-link", type: "exit" }, "*");
  });
  // A real message round trip afterwards proves the forged ones were processed (and dropped).
  await page.locator("#connect").click();
  const frame = page.frameLocator('iframe[title="Joinery Link"]');
  await frame.getByRole("button", { name: "Close" }).click();
  await waitFor(async () => (await events(page)).length > 0, { what: "onExit" });
  assert.deepEqual(await events(page), [{ type: "exit" }]);

  // initialize() again replaces the iframe; openLink(config) overrides callbacks.
  await page.evaluate((token) => {
    window.second = [];
    MergeLink.initialize({ linkToken: token, onReady: () => second.push("ready") });
    MergeLink.openLink({ onExit: () => second.push("exit") });
  }, mock.mint());
  await waitFor(async () => (await page.evaluate(() => window.second)).includes("ready"), { what: "onReady of the second initialize" });
  assert.equal(await page.locator("iframe").count(), 1);
  await frame.getByRole("heading", { name: "Connect your HR software" }).waitFor();
  await frame.getByRole("button", { name: "Close" }).click();
  await waitFor(async () => (await page.evaluate(() => window.second)).includes("exit"), { what: "onExit given to openLink" });
  await context.close();
});

test("openLink before initialize opens once Link is ready", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const token = mock.mint();
  await page.goto(`${customer.origin}/bare`);
  await page.evaluate((linkToken) => MergeLink.openLink({ linkToken }), token);
  const frame = page.frameLocator('iframe[title="Joinery Link"]');
  await frame.getByRole("heading", { name: "Connect your HR software" }).waitFor();
  assert.equal(await page.locator('iframe[title="Joinery Link"]').isVisible(), true);
  await context.close();
});
