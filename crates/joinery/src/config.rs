//! Configuration: built-in defaults, then a TOML file (`--config`), then `JOINERY_*` environment
//! variables, then command-line flags, each overriding the one before.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address the HTTP server binds (`JOINERY_LISTEN`).
    pub listen: SocketAddr,
    /// `sqlite:…` or `postgres://…` (`JOINERY_DATABASE_URL`); default: `<data_dir>/joinery.db`.
    pub database_url: Option<String>,
    /// Externally visible base URL used in links (`JOINERY_PUBLIC_URL`); default
    /// `http://<listen address>`.
    pub public_url: Option<Url>,
    /// Where the embedded database and generated secrets live (`JOINERY_DATA_DIR`).
    pub data_dir: PathBuf,
    /// The server secret, base64 or hex, at least 32 bytes (`JOINERY_SECRET_KEY`). Every process
    /// sharing a database must use the same one.
    pub secret_key: Option<String>,
    /// A file holding the server secret (`JOINERY_SECRET_KEY_FILE`); default
    /// `<data_dir>/secret.key`, generated on first start.
    pub secret_key_file: Option<PathBuf>,
    /// The key sealing provider credentials at rest (AES-256-GCM), 32 bytes in base64 or hex
    /// (`JOINERY_ENCRYPTION_KEY`). Every process sharing a database must use the same one.
    pub encryption_key: Option<String>,
    /// A file holding the encryption key (`JOINERY_ENCRYPTION_KEY_FILE`); default
    /// `<data_dir>/encryption.key`, generated on first start.
    pub encryption_key_file: Option<PathBuf>,
    /// Former encryption keys, comma-separated, still needed to open values sealed before a
    /// rotation (`JOINERY_ENCRYPTION_RETIRED_KEYS`).
    pub encryption_retired_keys: Option<String>,
    /// Per-provider settings (`[providers.<slug>]` in TOML, or
    /// `JOINERY_PROVIDER_<SLUG>_BASE_URL|CLIENT_ID|CLIENT_SECRET`).
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Run the local provider emulators and seed a demo organization (`serve --demo`); a flag only.
    #[serde(skip)]
    pub demo: bool,
    /// Do not run the embedded sync worker in `serve` (`serve --no-worker`); a flag only.
    #[serde(skip)]
    pub no_worker: bool,
    /// Hours between periodic syncs of a linked account, unless its organization sets its own
    /// (`JOINERY_SYNC_INTERVAL_HOURS`; `joinery sync-interval` per organization).
    pub sync_interval_hours: u32,
    /// Seconds a worker holds a sync job without renewing its lease (`JOINERY_SYNC_LEASE_SECS`):
    /// after a worker dies, another resumes its job this much later.
    pub sync_lease_secs: u32,
    /// PostgreSQL pool size, or SQLite reader connections.
    pub database_max_connections: u32,
    /// `text` or `json` logs on stderr (`JOINERY_LOG_FORMAT`).
    pub log_format: LogFormat,
}

impl std::fmt::Debug for Config {
    /// Secrets and database passwords never reach a log line through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        let database_url = self.database_url.as_deref().map(|u| match Url::parse(u) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("<redacted>"));
                url.to_string()
            }
            _ => u.to_owned(),
        });
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &database_url)
            .field("public_url", &self.public_url.as_ref().map(Url::as_str))
            .field("data_dir", &self.data_dir)
            .field("secret_key", &redacted(&self.secret_key))
            .field("secret_key_file", &self.secret_key_file)
            .field("encryption_key", &redacted(&self.encryption_key))
            .field("encryption_key_file", &self.encryption_key_file)
            .field("encryption_retired_keys", &redacted(&self.encryption_retired_keys))
            .field("providers", &self.providers)
            .field("demo", &self.demo)
            .field("no_worker", &self.no_worker)
            .field("sync_interval_hours", &self.sync_interval_hours)
            .field("sync_lease_secs", &self.sync_lease_secs)
            .field("database_max_connections", &self.database_max_connections)
            .field("log_format", &self.log_format)
            .finish()
    }
}

/// One provider's settings.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderConfig {
    /// Replaces scheme, host and port of every request to the provider (the path is kept).
    pub base_url: Option<Url>,
    /// The OAuth client registered with the provider (OAuth integrations).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("base_url", &self.base_url.as_ref().map(Url::as_str))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            database_url: None,
            public_url: None,
            data_dir: PathBuf::from("joinery-data"),
            secret_key: None,
            secret_key_file: None,
            encryption_key: None,
            encryption_key_file: None,
            encryption_retired_keys: None,
            providers: BTreeMap::new(),
            demo: false,
            no_worker: false,
            sync_interval_hours: 24,
            sync_lease_secs: 60,
            database_max_connections: 8,
            log_format: LogFormat::Text,
        }
    }
}

/// Values given as command-line flags; `None` leaves the lower layers' value.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Loads the layers. Environment variables that are not settings (say,
    /// `JOINERY_TEST_POSTGRES_URL`) are ignored.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            anyhow::ensure!(file.exists(), "configuration file {} does not exist", file.display());
            figment = figment.merge(Toml::file_exact(file));
        }
        let mut config: Config = figment
            .merge(Env::prefixed("JOINERY_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .context("invalid configuration")?;
        config.merge_provider_env(std::env::vars())?;
        config.check_providers()?;
        Ok(config)
    }

    /// Applies `JOINERY_PROVIDER_<SLUG>_<SETTING>` variables over the file's `[providers.*]`.
    fn merge_provider_env(&mut self, vars: impl Iterator<Item = (String, String)>) -> anyhow::Result<()> {
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("JOINERY_PROVIDER_") else { continue };
            let (slug, setting) = ["_BASE_URL", "_CLIENT_ID", "_CLIENT_SECRET"]
                .iter()
                .find_map(|suffix| rest.strip_suffix(suffix).map(|slug| (slug, &suffix[1..])))
                .with_context(|| {
                    format!("{name}: expected JOINERY_PROVIDER_<SLUG>_BASE_URL, _CLIENT_ID or _CLIENT_SECRET")
                })?;
            let entry = self.providers.entry(slug.to_ascii_lowercase()).or_default();
            match setting {
                "BASE_URL" => {
                    entry.base_url = Some(Url::parse(value.trim()).with_context(|| format!("{name} is not a URL"))?)
                }
                "CLIENT_ID" => entry.client_id = Some(value),
                _ => entry.client_secret = Some(value),
            }
        }
        Ok(())
    }

    /// Provider settings must name known integrations (a typo would silently do nothing), and a
    /// base URL override must be an http(s) URL without query or credentials.
    fn check_providers(&self) -> anyhow::Result<()> {
        for (slug, provider) in &self.providers {
            anyhow::ensure!(
                joinery_domain::integrations::find(slug).is_some(),
                "provider settings for unknown integration {slug:?}"
            );
            if let Some(url) = &provider.base_url {
                anyhow::ensure!(
                    matches!(url.scheme(), "http" | "https")
                        && url.has_host()
                        && url.query().is_none()
                        && url.username().is_empty()
                        && url.password().is_none(),
                    "base URL of {slug} must be an http(s) URL without query or credentials"
                );
            }
        }
        Ok(())
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("joinery.db").display()))
    }

    /// The public URL, defaulting to the address actually bound (which differs from `listen`
    /// when port 0 was asked for).
    pub fn public_url(&self, bound: SocketAddr) -> Url {
        self.public_url
            .clone()
            .unwrap_or_else(|| Url::parse(&format!("http://{bound}")).expect("a socket address makes a valid URL"))
    }
}

const KEYS: &[&str] = &[
    "listen",
    "database_url",
    "public_url",
    "data_dir",
    "secret_key",
    "secret_key_file",
    "encryption_key",
    "encryption_key_file",
    "encryption_retired_keys",
    "sync_interval_hours",
    "sync_lease_secs",
    "database_max_connections",
    "log_format",
];

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return figment::Error
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn layers_override_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "j.toml",
                "listen = \"127.0.0.1:9000\"\ndata_dir = \"from-file\"\npublic_url = \"https://file.example\"\n",
            )?;
            jail.set_env("JOINERY_DATA_DIR", "from-env");
            jail.set_env("JOINERY_TEST_POSTGRES_URL", "postgres://ignored");
            let overrides =
                Overrides { public_url: Some(Url::parse("https://flag.example").unwrap()), ..Default::default() };
            let c = Config::load(Some(Path::new("j.toml")), &overrides).map_err(|e| e.to_string())?;
            assert_eq!(c.listen, "127.0.0.1:9000".parse().unwrap());
            assert_eq!(c.data_dir, PathBuf::from("from-env"));
            assert_eq!(c.public_url.unwrap().as_str(), "https://flag.example/");
            assert_eq!(c.database_max_connections, 8);
            Ok(())
        });
    }

    #[test]
    fn defaults_derive_database_and_public_url() {
        Jail::expect_with(|_| {
            let c = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.database_url(), "sqlite://joinery-data/joinery.db");
            assert_eq!(c.public_url("127.0.0.1:4321".parse().unwrap()).as_str(), "http://127.0.0.1:4321/");
            Ok(())
        });
    }

    #[test]
    fn provider_settings_come_from_the_file_and_the_environment() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "j.toml",
                "[providers.gusto]\nclient_id = \"from-file\"\nclient_secret = \"s\"\n[providers.bamboohr]\nbase_url = \"http://file:1\"\n",
            )?;
            jail.set_env("JOINERY_PROVIDER_BAMBOOHR_BASE_URL", "http://127.0.0.1:9001");
            jail.set_env("JOINERY_PROVIDER_GUSTO_CLIENT_ID", "from-env");
            let c = Config::load(Some(Path::new("j.toml")), &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(c.providers["bamboohr"].base_url.as_ref().unwrap().as_str(), "http://127.0.0.1:9001/");
            assert_eq!(c.providers["gusto"].client_id.as_deref(), Some("from-env"));
            assert_eq!(c.providers["gusto"].client_secret.as_deref(), Some("s"));
            assert!(!format!("{c:?}").contains("client_secret: Some(\"s\")"));
            Ok(())
        });
    }

    #[test]
    fn bad_provider_settings_are_reported() {
        for (var, value, expected) in [
            ("JOINERY_PROVIDER_BAMBOO_BASE_URL", "http://x", "unknown integration"),
            ("JOINERY_PROVIDER_BAMBOOHR_BASEURL", "http://x", "expected JOINERY_PROVIDER_<SLUG>"),
            ("JOINERY_PROVIDER_BAMBOOHR_BASE_URL", "not a url", "not a URL"),
            ("JOINERY_PROVIDER_BAMBOOHR_BASE_URL", "ftp://x", "http(s)"),
        ] {
            Jail::expect_with(|jail| {
                jail.set_env(var, value);
                let err = Config::load(None, &Overrides::default()).unwrap_err();
                assert!(format!("{err:#}").contains(expected), "{var}: {err:#}");
                Ok(())
            });
        }
    }

    #[test]
    fn debug_redacts_secrets() {
        let c = Config {
            secret_key: Some("topsecret1".into()),
            encryption_key: Some("topsecret2".into()),
            encryption_retired_keys: Some("topsecret3".into()),
            database_url: Some("postgres://u:topsecret4@h/db".into()),
            ..Config::default()
        };
        let text = format!("{c:?}");
        assert!(!text.contains("topsecret"), "{text}");
        assert!(text.contains("postgres://u:"), "{text}");
    }

    #[test]
    fn bad_values_are_reported() {
        Jail::expect_with(|jail| {
            jail.set_env("JOINERY_LISTEN", "not an address");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").to_lowercase().contains("listen"), "{err:#}");
            Ok(())
        });
    }
}
