// A stand-in for Joinery's Link routes (docs/link.md) with canned data, for working on the Link UI
// without the real server: it serves the assets straight from crates/joinery-link-ui/assets (edit,
// reload), the JSON API /api/link/v1/*, a link-token endpoint, and a fake OAuth provider on a
// second origin. mock.test.mjs drives it; run it by hand with
//
//   node tests/browser/mock-server.mjs [port]
//
// Canned behaviour: BambooHR accepts company domain "acme" with API key "demo-key" (another domain
// is UNKNOWN_INSTANCE, another key INVALID_CREDENTIALS); other credential integrations accept any
// secret except "wrong"; the OAuth provider's consent page takes any email and password.
// Tokens "expired-token" and "used-token" fail as their names say.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { ASSETS, closeServer, listen, startCustomerPage } from "./lib.mjs";

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

export const DEMO = { bamboohr: { companyDomain: "acme", apiKey: "demo-key" }, gusto: { email: "ada@example.com", password: "demo" } };

const f = (name, en, de, { secret = false, required = true, placeholder = null, help = null } = {}) => ({
  name,
  label: { en, de },
  secret,
  required,
  placeholder,
  help,
});

const CATALOGUE = [
  {
    slug: "bamboohr",
    name: "BambooHR",
    categories: ["hris"],
    auth_type: "API_KEY",
    color: "#5F9D2B",
    fields: [
      f("company_domain", "Company domain", "Firmen-Domain", {
        placeholder: "acme",
        help: {
          en: "The part before .bamboohr.com in your BambooHR address.",
          de: "Der Teil vor .bamboohr.com in Ihrer BambooHR-Adresse.",
        },
      }),
      f("api_key", "API key", "API-Schlüssel", {
        secret: true,
        help: {
          en: "In BambooHR, open your account menu, then API Keys, then Add New Key.",
          de: "Öffnen Sie in BambooHR Ihr Kontomenü, dann API-Schlüssel, dann Neuen Schlüssel hinzufügen.",
        },
      }),
    ],
  },
  { slug: "gusto", name: "Gusto", categories: ["hris"], auth_type: "OAUTH2", color: "#C2410C", fields: [] },
  {
    slug: "hibob",
    name: "HiBob",
    categories: ["hris"],
    auth_type: "BASIC",
    color: "#C8336A",
    fields: [f("service_user_id", "Service user ID", "Service-User-ID"), f("token", "Token", "Token", { secret: true })],
  },
  { slug: "humaans", name: "Humaans", categories: ["hris"], auth_type: "API_KEY", color: "#1F2937", fields: [f("api_token", "API token", "API-Token", { secret: true })] },
  {
    slug: "personio",
    name: "Personio",
    categories: ["hris"],
    auth_type: "CLIENT_CREDENTIALS",
    color: "#1D1D1B",
    fields: [f("client_id", "Client ID", "Client-ID"), f("client_secret", "Client secret", "Client-Secret", { secret: true })],
  },
  { slug: "rippling", name: "Rippling", categories: ["hris"], auth_type: "OAUTH2", color: "#7A1F4E", fields: [] },
  {
    slug: "workday",
    name: "Workday",
    categories: ["hris"],
    auth_type: "BASIC",
    color: "#0B5FA5",
    fields: [
      f("host", "Workday host", "Workday-Host", { placeholder: "wd2-impl-services1.workday.com" }),
      f("tenant", "Tenant", "Tenant"),
      f("username", "Integration user", "Integrationsbenutzer"),
      f("password", "Password", "Passwort", { secret: true }),
    ],
  },
  { slug: "ashby", name: "Ashby", categories: ["ats"], auth_type: "API_KEY", color: "#4338CA", fields: [f("api_key", "API key", "API-Schlüssel", { secret: true })] },
  { slug: "greenhouse", name: "Greenhouse", categories: ["ats"], auth_type: "API_KEY", color: "#24A47F", fields: [f("api_key", "API key", "API-Schlüssel", { secret: true })] },
  { slug: "lever", name: "Lever", categories: ["ats"], auth_type: "API_KEY", color: "#1B2A3A", fields: [f("api_key", "API key", "API-Schlüssel", { secret: true })] },
];

function initials(name) {
  return name.slice(0, 2);
}

function squareLogo(i) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128" role="img" aria-label="${i.name}"><rect width="128" height="128" rx="24" fill="${i.color}"/><text x="64" y="80" font-family="system-ui,sans-serif" font-size="48" font-weight="700" fill="#fff" text-anchor="middle">${initials(i.name)}</text></svg>`;
}

const random = () => crypto.randomBytes(24).toString("base64url");

function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": typeof body === "string" ? "text/html; charset=utf-8" : "application/json",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

const problem = (problem_type, detail, field) => ({ errors: [{ detail, problem_type, ...(field ? { field } : {}) }] });

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? JSON.parse(text) : {};
}

const ASSET_TYPES = { ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

function serveAsset(res, file) {
  const body = fs.readFileSync(path.join(ASSETS, file));
  const headers = { "content-type": ASSET_TYPES[path.extname(file)], "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  if (file.endsWith(".html")) {
    headers["content-security-policy"] = CSP + (file === "oauth-callback.html" ? "; frame-ancestors 'none'" : "");
    headers["referrer-policy"] = "no-referrer";
  }
  res.writeHead(200, headers);
  res.end(body);
}

export async function startMock({ port = 0 } = {}) {
  const tokens = new Map(); // token → {language, categories, integration, org, used}
  const attempts = new Map(); // state → {token, integration, status: pending|ok|denied}
  const holds = new Map(); // route → Promise that delays its answers (see hold())
  const requests = []; // {method, path, linkToken, body}
  let providerOrigin = "";
  let origin = "";

  const session = (t) => {
    const allowed = CATALOGUE.filter((i) => (t.integration ? i.slug === t.integration : i.categories.some((c) => t.categories.includes(c))));
    return allowed.map((i) => ({
      slug: i.slug,
      name: i.name,
      categories: i.categories,
      auth_type: i.auth_type,
      image: `${origin}/assets/integrations/${i.slug}/image.svg`,
      square_image: `${origin}/assets/integrations/${i.slug}/square_image.svg`,
      color: i.color,
      fields: i.fields.map((x) => ({
        name: x.name,
        label: x.label[t.language],
        secret: x.secret,
        required: x.required,
        placeholder: x.placeholder,
        help: x.help ? x.help[t.language] : null,
      })),
    }));
  };

  const accounts = new Map(); // public token → linked account (deleted when exchanged)
  const allAccounts = [];
  const linked = (t, integration) => {
    t.used = true;
    const publicToken = random();
    const account = { id: crypto.randomUUID(), account_token: random(), integration, t };
    accounts.set(publicToken, account);
    allAccounts.push(account);
    return { public_token: publicToken, integration, additional_info: { isTokenForOtherPreexistingLinkedAccount: false } };
  };
  const integrationJson = (slug) => {
    const i = CATALOGUE.find((x) => x.slug === slug);
    return { name: i.name, slug: i.slug, categories: i.categories, color: i.color, image: null, square_image: null };
  };

  function authorize(req, res) {
    const value = req.headers["x-link-token"] || "";
    const fail = (problem_type, detail) => (send(res, 401, { detail, problem_type }), null);
    if (value === "expired-token") return fail("LINK_TOKEN_EXPIRED", "This link token has expired.");
    if (value === "used-token") return fail("LINK_TOKEN_USED", "This link token has already been used.");
    const t = tokens.get(value);
    if (!t) return fail("LINK_TOKEN_INVALID", "Invalid link token.");
    if (t.used) return fail("LINK_TOKEN_USED", "This link token has already been used.");
    return t;
  }

  function check(t, body, res) {
    const allowed = session(t);
    const integration = allowed.find((i) => i.slug === body.integration);
    if (!integration) return (send(res, 400, problem("INTEGRATION_NOT_AVAILABLE", `"${body.integration}" is not offered by this link token.`, "integration")), null);
    const creds = body.credentials || {};
    for (const fld of integration.fields) {
      if (fld.required && !creds[fld.name]) {
        send(res, 400, problem("MISSING_FIELD", "This field is required.", `credentials.${fld.name}`));
        return null;
      }
    }
    return integration;
  }

  async function api(req, res, route) {
    requests.push({ method: req.method, path: route, linkToken: req.headers["x-link-token"] || null });
    if (holds.has(route)) await holds.get(route);
    const t = authorize(req, res);
    if (!t) return;
    if (route === "session" && req.method === "GET") {
      return send(res, 200, { integrations: session(t), integration: t.integration, language: t.language, end_user_organization_name: t.org, is_relink: t.relink });
    }
    if (req.method !== "POST") return send(res, 405, { detail: "Method not allowed." });
    const body = await readJson(req);
    requests[requests.length - 1].body = body;
    if (route === "connect") {
      const integration = check(t, body, res);
      if (!integration) return;
      if (integration.auth_type === "OAUTH2") return send(res, 400, problem("INVALID_FIELD", "Use the OAuth flow for this integration.", "integration"));
      const c = body.credentials;
      if (integration.slug === "bamboohr") {
        if (c.company_domain !== DEMO.bamboohr.companyDomain)
          return send(res, 400, problem("UNKNOWN_INSTANCE", `BambooHR has no company "${c.company_domain}".`, "credentials.company_domain"));
        if (c.api_key !== DEMO.bamboohr.apiKey)
          return send(res, 400, problem("INVALID_CREDENTIALS", "BambooHR rejected the API key (401 Unauthorized).", "credentials.api_key"));
      } else if (Object.values(c).includes("wrong")) {
        return send(res, 400, problem("INVALID_CREDENTIALS", `${integration.name} rejected the credentials.`));
      } else if (Object.values(c).includes("ratelimit")) {
        return send(res, 400, problem("RATE_LIMITED", `${integration.name} answered 429 Too Many Requests.`));
      }
      return send(res, 200, linked(t, integration.slug));
    }
    if (route === "oauth/start") {
      const integration = check(t, body, res);
      if (!integration) return;
      if (integration.auth_type !== "OAUTH2") return send(res, 400, problem("INVALID_FIELD", "Not an OAuth integration.", "integration"));
      const state = random();
      attempts.set(state, { token: t, integration: integration.slug, status: "pending" });
      const q = new URLSearchParams({ response_type: "code", client_id: "joinery-mock", redirect_uri: `${origin}/link/oauth/callback`, state });
      return send(res, 200, { authorize_url: `${providerOrigin}/oauth/authorize?${q}`, state });
    }
    if (route === "oauth/complete") {
      const a = attempts.get(body.state);
      if (!a || a.token !== t) return send(res, 404, problem("OAUTH_STATE_UNKNOWN", "No OAuth attempt with this state.", "state"));
      if (a.status === "pending") return send(res, 409, problem("OAUTH_PENDING", "The OAuth callback has not arrived yet."));
      if (a.status === "denied") {
        attempts.delete(body.state);
        return send(res, 400, problem("OAUTH_DENIED", "The user declined access (access_denied)."));
      }
      attempts.delete(body.state);
      return send(res, 200, linked(t, a.integration));
    }
    send(res, 404, { detail: "Not found." });
  }

  const app = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://mock");
      const p = url.pathname;
      if (p === "/link") return serveAsset(res, "link.html");
      if (p === "/link/initialize.js") return serveAsset(res, "initialize.js");
      if (p === "/link/assets/link.css" || p === "/link/assets/link.js" || p === "/link/assets/oauth-callback.js") return serveAsset(res, path.basename(p));
      if (p === "/link/oauth/callback") {
        const a = attempts.get(url.searchParams.get("state") || "");
        if (a && a.status === "pending") a.status = url.searchParams.get("code") ? "ok" : "denied";
        return serveAsset(res, "oauth-callback.html");
      }
      const logo = /^\/assets\/integrations\/([a-z]+)\/(square_)?image\.svg$/.exec(p);
      if (logo) {
        const i = CATALOGUE.find((x) => x.slug === logo[1]);
        if (!i) return send(res, 404, { detail: "Not found." });
        res.writeHead(200, { "content-type": "image/svg+xml" });
        return res.end(squareLogo(i));
      }
      if (p === "/api/health") return send(res, 200, { status: "ok" });
      const lt = /^\/api\/(hris|ats)\/v1\/link-token$/.exec(p);
      if (lt && req.method === "POST") {
        const body = await readJson(req);
        const token = mint({ language: body.language, categories: body.categories, integration: body.integration, org: body.end_user_organization_name });
        return send(res, 200, { link_token: token, integration_name: body.integration || null, magic_link_url: `${origin}/link?link_token=${token}` });
      }
      // The customer backend's side, enough for exchange.py: public token → account token, once.
      const at = /^\/api\/(hris|ats)\/v1\/account-token\/([^/]+)$/.exec(p);
      if (at && req.method === "GET") {
        const account = accounts.get(decodeURIComponent(at[2]));
        if (!account) return send(res, 404, { detail: "Not found." });
        accounts.delete(decodeURIComponent(at[2]));
        return send(res, 200, { account_token: account.account_token, integration: integrationJson(account.integration), id: account.id });
      }
      if (/^\/api\/(hris|ats)\/v1\/linked-accounts$/.test(p)) {
        const results = allAccounts.map((a) => ({
          id: a.id,
          category: "hris",
          status: "COMPLETE",
          end_user_origin_id: null,
          end_user_organization_name: a.t.org,
          end_user_email_address: "ada@example.com",
          webhook_listener_url: "",
          integration: integrationJson(a.integration),
          account_type: "PRODUCTION",
          completed_at: new Date().toISOString(),
        }));
        return send(res, 200, { next: null, previous: null, results });
      }
      const m = /^\/api\/link\/v1\/(session|connect|oauth\/start|oauth\/complete)$/.exec(p);
      if (m) return await api(req, res, m[1]);
      send(res, 404, { detail: "Not found." });
    } catch (e) {
      send(res, 500, { detail: String(e) });
    }
  });

  // The fake provider: a consent page on another origin.
  const provider = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://provider");
    if (url.pathname === "/oauth/authorize") {
      const q = url.searchParams;
      const hidden = ["state", "redirect_uri"].map((k) => `<input type="hidden" name="${k}" value="${(q.get(k) || "").replace(/"/g, "&quot;")}">`).join("");
      return send(
        res,
        200,
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Mock provider: authorize Joinery</title>
<style>body{font-family:system-ui,sans-serif;background:#fff7ed;margin:0;padding:32px}form{max-width:360px;margin:auto;background:#fff;padding:24px;border-radius:12px;box-shadow:0 4px 16px #0002}
label{display:block;margin:12px 0 4px}input[type=email],input[type=password]{width:100%;padding:8px;box-sizing:border-box}.row{display:flex;gap:8px;margin-top:16px}button{flex:1;padding:10px}</style></head>
<body><form method="post" action="/oauth/decide"><h1>Mock provider</h1><p>Joinery wants to read your company's employees.</p>${hidden}
<label for="email">Email</label><input id="email" name="email" type="email" required>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<div class="row"><button name="decision" value="deny" formnovalidate>Deny</button><button name="decision" value="allow">Allow</button></div></form></body></html>`,
      );
    }
    if (url.pathname === "/oauth/decide" && req.method === "POST") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const back = new URL(form.get("redirect_uri"));
      back.searchParams.set("state", form.get("state"));
      if (form.get("decision") === "allow") back.searchParams.set("code", random());
      else back.searchParams.set("error", "access_denied");
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    res.writeHead(404).end();
  });

  function mint({ language = "en", categories = ["hris"], integration = null, org = "Acme Inc.", relink = false } = {}) {
    const token = random();
    tokens.set(token, { language: language || "en", categories: categories || ["hris"], integration: integration || null, org, relink, used: false });
    return token;
  }

  // hold("connect") delays that route's answers until the returned function is called.
  function hold(route) {
    let release;
    holds.set(route, new Promise((r) => (release = r)));
    return () => {
      holds.delete(route);
      release();
    };
  }

  const appPort = await listen(app, port);
  const providerPort = await listen(provider);
  origin = `http://127.0.0.1:${appPort}`;
  providerOrigin = `http://127.0.0.1:${providerPort}`;
  return {
    origin,
    providerOrigin,
    mint,
    hold,
    requests,
    close: () => Promise.all([closeServer(app), closeServer(provider)]),
  };
}

// By hand: start the mock and a customer page, print where to go. Or, with the arguments of the
// real binary (`serve --demo --listen 127.0.0.1:PORT …`), stand in for `joinery serve --demo` and
// print its demo lines, to dry-run link.test.mjs: JOINERY_BIN=<a script running this file>.
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === "serve") {
  const listenAt = process.argv[process.argv.indexOf("--listen") + 1];
  const mock = await startMock({ port: Number(listenAt.split(":")[1]) });
  console.log(`Joinery (mock) is listening on ${mock.origin}`);
  console.log(`API key: jny_sk_mock${crypto.randomBytes(8).toString("hex")}`);
  console.log(`BambooHR (demo): company domain "${DEMO.bamboohr.companyDomain}", API key "${DEMO.bamboohr.apiKey}"`);
  console.log(`Gusto (demo): email "${DEMO.gusto.email}", password "${DEMO.gusto.password}"`);
  process.on("SIGTERM", () => mock.close().then(() => process.exit(0)));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const mock = await startMock({ port: Number(process.argv[2] || 0) });
  const customer = await startCustomerPage(mock.origin);
  const en = mock.mint({ language: "en" });
  const de = mock.mint({ language: "de" });
  console.log(`mock Joinery:   ${mock.origin}`);
  console.log(`magic link en:  ${mock.origin}/link?link_token=${en}`);
  console.log(`magic link de:  ${mock.origin}/link?link_token=${de}`);
  console.log(`customer page:  ${customer.url(mock.mint({ language: "en" }))}`);
  console.log(`BambooHR: company domain "${DEMO.bamboohr.companyDomain}", API key "${DEMO.bamboohr.apiKey}"`);
}
