//! Configuration: built-in defaults, then a TOML file (`--config`), then `JOINERY_*` environment
//! variables, then command-line flags, each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// PostgreSQL pool size, or SQLite reader connections.
    pub database_max_connections: u32,
    /// `text` or `json` logs on stderr (`JOINERY_LOG_FORMAT`).
    pub log_format: LogFormat,
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
        figment
            .merge(Env::prefixed("JOINERY_").only(KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .context("invalid configuration")
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
    fn bad_values_are_reported() {
        Jail::expect_with(|jail| {
            jail.set_env("JOINERY_LISTEN", "not an address");
            let err = Config::load(None, &Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").to_lowercase().contains("listen"), "{err:#}");
            Ok(())
        });
    }
}
