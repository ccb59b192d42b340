//! The server secret, from which token-hashing keys are derived. Given by configuration, or
//! generated once into the data directory (mode 0600) on the embedded default.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use crate::Config;

pub const MIN_SECRET_BYTES: usize = 32;

fn decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let text = text.trim();
    let bytes = if text.len().is_multiple_of(2) && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16)).collect::<Result<Vec<_>, _>>()?
    } else {
        STANDARD.decode(text).context("the secret key is neither hex nor base64")?
    };
    if bytes.len() < MIN_SECRET_BYTES {
        bail!("the secret key must be at least {MIN_SECRET_BYTES} bytes (it has {})", bytes.len());
    }
    Ok(bytes)
}

/// Reads the server secret, generating the default key file when nothing is configured.
pub fn load_or_create(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(text) = &config.secret_key {
        return decode(text).context("JOINERY_SECRET_KEY");
    }
    let path = config.secret_key_file.clone().unwrap_or_else(|| config.data_dir.join("secret.key"));
    if !path.exists() {
        if config.secret_key_file.is_some() {
            bail!("secret key file {} does not exist", path.display());
        }
        create_key_file(&path)?;
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    decode(&text).with_context(|| format!("secret key file {}", path.display()))
}

fn create_key_file(path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        // The data directory holds the secret and the embedded database: owner only.
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let secret: [u8; 32] = rand::rng().random();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(STANDARD.encode(secret).as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new server secret");
            Ok(())
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_then_reused_with_private_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let first = load_or_create(&config).unwrap();
        let second = load_or_create(&config).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let parent = tempfile::tempdir().unwrap();
        let config = Config { data_dir: parent.path().join("data"), ..Config::default() };
        load_or_create(&config).unwrap();
        let mode = std::fs::metadata(parent.path().join("data")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn configured_keys_must_be_long_enough() {
        let hex = "ab".repeat(32);
        let config = Config { secret_key: Some(hex), ..Config::default() };
        assert_eq!(load_or_create(&config).unwrap(), vec![0xab; 32]);
        let config = Config { secret_key: Some("c2hvcnQ=".into()), ..Config::default() };
        assert!(load_or_create(&config).is_err());
        let config = Config { secret_key_file: Some("/nonexistent/secret".into()), ..Config::default() };
        assert!(load_or_create(&config).is_err());
    }
}
