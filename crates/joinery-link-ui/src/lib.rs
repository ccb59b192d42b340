//! Joinery Link's browser assets, compiled into the binary: the Link page (`/link`), its styles and
//! script, the embed script (`/link/initialize.js`, Merge Link's `window.MergeLink`) and the OAuth
//! callback page. The contract they implement is `docs/link.md`.
//!
//! The assets need a strict Content-Security-Policy and work under [`CONTENT_SECURITY_POLICY`]:
//! no inline script, style or event handler; only same-origin scripts, styles, images (plus `data:`)
//! and `fetch`. Their paths are not content-hashed, so serve them with [`etag`] and a revalidating
//! `Cache-Control` (e.g. `no-cache`): a new binary's assets are picked up at once, an unchanged one
//! costs a `304`.

/// One asset: its `Content-Type` and its bytes.
#[derive(Debug)]
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The Content-Security-Policy the pages are written for (`/link` and the OAuth callback page).
/// `frame-ancestors` is not part of it: `/link` is embedded by any customer's page, the callback
/// page by none, so the server adds what fits the route.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'";

// FNV-1a (64 bit) over the body, evaluated at compile time: a cheap content hash for `ETag`.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// `"<16 hex digits>"`, quotes included, as an `ETag` header value is written.
const fn quoted_hex(hash: u64) -> [u8; 18] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'"'; 18];
    let mut i = 0;
    while i < 16 {
        out[1 + i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
        i += 1;
    }
    out
}

const fn as_str(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("an ETag is ASCII"),
    }
}

struct Entry {
    path: &'static str,
    asset: Asset,
    etag: &'static str,
}

macro_rules! entry {
    ($path:literal, $content_type:expr, $file:literal) => {
        Entry {
            path: $path,
            asset: Asset { content_type: $content_type, body: include_bytes!($file) },
            etag: as_str(&const { quoted_hex(fnv1a(include_bytes!($file))) }),
        }
    };
}

static ASSETS: [Entry; 6] = [
    entry!("/link", HTML, "../assets/link.html"),
    entry!("/link/assets/link.css", CSS, "../assets/link.css"),
    entry!("/link/assets/link.js", JS, "../assets/link.js"),
    entry!("/link/initialize.js", JS, "../assets/initialize.js"),
    entry!("/link/assets/oauth-callback.js", JS, "../assets/oauth-callback.js"),
    // Served at `/link/oauth/callback` once the server has handled the authorization code, so it
    // is not looked up by path.
    entry!("/link/oauth/callback", HTML, "../assets/oauth-callback.html"),
];

const CALLBACK: usize = 5;

/// The page `/link/oauth/callback` shows after the server exchanged the code (or recorded the
/// provider's error): it tells the Link page in the opener and closes itself.
pub const OAUTH_CALLBACK_HTML: &Asset = &ASSETS[CALLBACK].asset;

/// The asset served at `path` (`/link`, `/link/initialize.js`, `/link/assets/…`), if any.
/// The OAuth callback page is not among them: see [`OAUTH_CALLBACK_HTML`].
pub fn asset(path: &str) -> Option<&'static Asset> {
    ASSETS[..CALLBACK].iter().find(|e| e.path == path).map(|e| &e.asset)
}

/// Every path [`asset`] answers.
pub fn paths() -> impl Iterator<Item = &'static str> {
    ASSETS[..CALLBACK].iter().map(|e| e.path)
}

/// The asset's strong `ETag` value, quotes included (`"0123456789abcdef"`): a hash of its body,
/// computed at compile time. An [`Asset`] built outside this crate gets its hash computed and
/// leaked once per call, so call it with this crate's assets.
pub fn etag(asset: &Asset) -> &'static str {
    ASSETS.iter().find(|e| std::ptr::eq(e.asset.body, asset.body)).map(|e| e.etag).unwrap_or_else(|| {
        let bytes: &'static [u8] = Box::leak(Box::new(quoted_hex(fnv1a(asset.body))));
        as_str(bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn text(asset: &Asset) -> &'static str {
        std::str::from_utf8(asset.body).expect("assets are UTF-8")
    }

    fn link_js() -> &'static str {
        text(asset("/link/assets/link.js").unwrap())
    }

    const PATHS: [&str; 5] = [
        "/link",
        "/link/assets/link.css",
        "/link/assets/link.js",
        "/link/initialize.js",
        "/link/assets/oauth-callback.js",
    ];

    #[test]
    fn every_asset_is_present_and_typed() {
        for path in PATHS {
            let a = asset(path).unwrap_or_else(|| panic!("{path} missing"));
            assert!(!a.body.is_empty(), "{path} is empty");
            let ext_type = if path == "/link" {
                HTML
            } else if path.ends_with(".css") {
                CSS
            } else {
                JS
            };
            assert_eq!(a.content_type, ext_type, "{path}");
            text(a);
        }
        assert_eq!(paths().collect::<Vec<_>>(), PATHS);
        assert!(!OAUTH_CALLBACK_HTML.body.is_empty());
        assert_eq!(OAUTH_CALLBACK_HTML.content_type, HTML);
        assert!(asset("/link/oauth/callback").is_none());
        assert!(asset("/link/assets/missing.js").is_none());
        assert!(asset("/link/").is_none());
    }

    #[test]
    fn etags_are_quoted_content_hashes() {
        let mut seen = BTreeSet::new();
        for path in PATHS {
            let a = asset(path).unwrap();
            let tag = etag(a);
            assert_eq!(tag.len(), 18, "{tag}");
            assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
            assert!(tag[1..17].bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
            // The same as hashing the body at run time.
            assert_eq!(tag.as_bytes(), quoted_hex(fnv1a(a.body)));
            assert!(seen.insert(tag), "two assets share {tag}");
        }
        assert_eq!(etag(OAUTH_CALLBACK_HTML).as_bytes(), quoted_hex(fnv1a(OAUTH_CALLBACK_HTML.body)));
        let foreign = Asset { content_type: CSS, body: b"body{}" };
        assert_eq!(etag(&foreign).as_bytes(), quoted_hex(fnv1a(b"body{}")));
        // FNV-1a's published test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn small_enough_to_load_fast() {
        let total: usize =
            PATHS.iter().map(|p| asset(p).unwrap().body.len()).sum::<usize>() + OAUTH_CALLBACK_HTML.body.len();
        assert!(total < 60 * 1024, "Link assets grew to {total} bytes");
        // What /link loads.
        let page: usize = ["/link", "/link/assets/link.css", "/link/assets/link.js"]
            .iter()
            .map(|p| asset(p).unwrap().body.len())
            .sum();
        assert!(page < 48 * 1024, "the Link page grew to {page} bytes");
    }

    /// `(attribute, value)` pairs of every `src=` and `href=` in an HTML text.
    fn references(html: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for attr in ["src", "href"] {
            let pat = format!(" {attr}=\"");
            let mut rest = html;
            while let Some(i) = rest.find(&pat) {
                rest = &rest[i + pat.len()..];
                let end = rest.find('"').expect("closed attribute");
                out.push((attr.to_owned(), rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
        out
    }

    fn assert_csp_safe_html(name: &str, html: &str) {
        let lower = html.to_ascii_lowercase();
        let refs = references(&lower);
        assert!(!refs.is_empty(), "{name} loads nothing?");
        for (attr, value) in &refs {
            assert!(value.starts_with("/link/assets/"), "{name}: {attr}=\"{value}\" is not a /link/assets/ resource");
            assert!(!value.contains("//") && !value.contains(".."), "{name}: {value}");
        }
        // Every <script> has a src and an empty body.
        let mut rest = lower.as_str();
        while let Some(i) = rest.find("<script") {
            let tag_end = rest[i..].find('>').unwrap() + i;
            assert!(rest[i..tag_end].contains(" src=\"/link/assets/"), "{name}: inline <script>");
            assert!(rest[tag_end + 1..].starts_with("</script>"), "{name}: <script> with a body");
            rest = &rest[tag_end..];
        }
        assert!(!lower.contains("<style"), "{name}: <style> element");
        assert!(!lower.contains(" style="), "{name}: style attribute");
        assert!(!lower.contains("javascript:"), "{name}: javascript: URL");
        // No on*= event handler attribute anywhere in a tag.
        for tag in lower.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap();
            for word in tag.split_whitespace().skip(1) {
                let attr = word.split('=').next().unwrap();
                assert!(!(attr.starts_with("on") && word.contains('=')), "{name}: event handler attribute {word}");
            }
        }
        assert!(lower.starts_with("<!doctype html>"), "{name}");
        assert!(lower.contains("<html lang=\"en\">"), "{name}");
        assert!(lower.contains("<meta name=\"referrer\" content=\"no-referrer\">"), "{name}");
        let referrer = lower.find("name=\"referrer\"").unwrap();
        let first_load = refs.iter().map(|(_, v)| lower.find(v.as_str()).unwrap()).min().unwrap();
        assert!(referrer < first_load, "{name}: the referrer policy must come before the first request");
    }

    #[test]
    fn html_is_csp_safe_and_same_origin() {
        assert_csp_safe_html("link.html", text(asset("/link").unwrap()));
        assert_csp_safe_html("oauth-callback.html", text(OAUTH_CALLBACK_HTML));
        assert!(text(OAUTH_CALLBACK_HTML).contains("src=\"/link/assets/oauth-callback.js\""));
        // Both pages' resources exist.
        for html in [text(asset("/link").unwrap()), text(OAUTH_CALLBACK_HTML)] {
            for (_, value) in references(html) {
                assert!(asset(&value).is_some(), "{value} is referenced but not served");
            }
        }
    }

    #[test]
    fn scripts_build_no_markup_from_strings() {
        for path in ["/link/assets/link.js", "/link/initialize.js", "/link/assets/oauth-callback.js"] {
            let js = text(asset(path).unwrap());
            for banned in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
                "setAttribute(\"style\"",
                "setAttribute(\"on",
            ] {
                assert!(!js.contains(banned), "{path} uses {banned}");
            }
            assert!(js.contains("\"use strict\""), "{path}");
        }
    }

    /// The dictionaries of link.js: `const I18N = {`, then per language `    xx: {` … `    },`
    /// holding `      key: "text",` lines.
    fn dictionaries() -> BTreeMap<String, BTreeMap<String, String>> {
        let js = link_js();
        let start = js.find("const I18N = {\n").expect("const I18N in link.js");
        let mut langs = BTreeMap::new();
        let mut current: Option<(String, BTreeMap<String, String>)> = None;
        for line in js[start..].lines().skip(1) {
            if line == "  };" {
                break;
            }
            if let Some((lang, entries)) = current.take() {
                if line == "    }," {
                    langs.insert(lang, entries);
                    continue;
                }
                let entry = line.strip_prefix("      ").unwrap_or_else(|| panic!("malformed i18n line {line:?}"));
                let (key, value) = entry.split_once(": ").unwrap_or_else(|| panic!("malformed i18n line {line:?}"));
                assert!(key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "key {key:?}");
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix("\","))
                    .unwrap_or_else(|| panic!("value of {key} is not one \"string\","));
                assert!(!value.contains('"') && !value.trim().is_empty(), "value of {key}: {value:?}");
                let mut entries = entries;
                assert!(entries.insert(key.to_owned(), value.to_owned()).is_none(), "{key} twice");
                current = Some((lang, entries));
            } else {
                let lang = line
                    .strip_prefix("    ")
                    .and_then(|l| l.strip_suffix(": {"))
                    .unwrap_or_else(|| panic!("expected `    xx: {{`, got {line:?}"));
                current = Some((lang.to_owned(), BTreeMap::new()));
            }
        }
        assert!(current.is_none(), "unterminated dictionary");
        langs
    }

    fn placeholders(s: &str) -> BTreeSet<&str> {
        s.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_text_is_in_english_and_german() {
        let langs = dictionaries();
        assert_eq!(langs.keys().map(String::as_str).collect::<Vec<_>>(), ["de", "en"]);
        let (en, de) = (&langs["en"], &langs["de"]);
        let en_keys: BTreeSet<_> = en.keys().collect();
        let de_keys: BTreeSet<_> = de.keys().collect();
        assert_eq!(en_keys.difference(&de_keys).collect::<Vec<_>>(), Vec::<&&String>::new(), "missing in de");
        assert_eq!(de_keys.difference(&en_keys).collect::<Vec<_>>(), Vec::<&&String>::new(), "missing in en");
        for (key, text) in en {
            assert_eq!(placeholders(text), placeholders(&de[key]), "placeholders of {key} differ");
        }

        // Every problem type of docs/link.md has a title.
        for problem in [
            "MISSING_FIELD",
            "INVALID_FIELD",
            "INTEGRATION_NOT_AVAILABLE",
            "INVALID_CREDENTIALS",
            "MISSING_PERMISSION",
            "UNKNOWN_INSTANCE",
            "OAUTH_DENIED",
            "PROVIDER_ERROR",
            "RATE_LIMITED",
            "PROVIDER_UNREACHABLE",
            "RELINK_INTEGRATION_MISMATCH",
            "OAUTH_PENDING",
            "OAUTH_STATE_UNKNOWN",
            "LINK_TOKEN_INVALID",
            "LINK_TOKEN_EXPIRED",
            "LINK_TOKEN_USED",
        ] {
            assert!(en.contains_key(&format!("p_{problem}")), "no text for {problem}");
        }

        // Every key the script looks up literally, t("key"…), exists.
        let js = link_js();
        let mut used = 0;
        let parts: Vec<&str> = js.split("t(\"").collect();
        for (before, part) in parts.iter().zip(&parts[1..]) {
            // `post("ready")` is no lookup.
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let key = part.split('"').next().unwrap();
            assert!(en.contains_key(key), "t(\"{key}\") has no text");
            used += 1;
        }
        assert!(used > 30, "found only {used} lookups");
    }

    #[test]
    fn callback_page_text_is_in_english_and_german() {
        let js = text(asset("/link/assets/oauth-callback.js").unwrap());
        assert!(js.contains("en: \"You can close this window.\""));
        assert!(js.contains("de: \"Sie können dieses Fenster schließen.\""));
        assert!(js.contains("type: \"oauth_complete\""));
        assert!(js.contains("location.origin"));
    }

    #[test]
    fn embed_script_defines_merge_link() {
        let js = text(asset("/link/initialize.js").unwrap());
        assert!(js.contains("window.MergeLink = { initialize: initialize, openLink: openLink, update: update }"));
        assert!(js.contains("e.source !== frame.contentWindow || e.origin !== ORIGIN"));
        assert!(js.contains("\"/link?embedded=1#link_token=\""));
    }
}
