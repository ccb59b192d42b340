//! The server secret, from which token-hashing keys are derived, and the encryption keys that seal
//! provider credentials. Each is given by configuration, or generated once into the data
//! directory (mode 0600) on the embedded default.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;

use joinery_domain::crypto::{KEY_BYTES, Keyring};

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
    let file = config.secret_key_file.as_deref();
    load_key(config.secret_key.as_deref(), "JOINERY_SECRET_KEY", file, &config.data_dir.join("secret.key"))
}

/// The keyring sealing credentials at rest: the current key (`JOINERY_ENCRYPTION_KEY`, or its
/// file, generated on the embedded default) and retired keys still needed to open old values.
pub fn load_keyring(config: &Config) -> anyhow::Result<Keyring> {
    let file = config.encryption_key_file.as_deref();
    let current = load_key(
        config.encryption_key.as_deref(),
        "JOINERY_ENCRYPTION_KEY",
        file,
        &config.data_dir.join("encryption.key"),
    )?;
    let current = exact_key(&current).context("the encryption key")?;
    let mut retired = Vec::new();
    for (i, text) in config
        .encryption_retired_keys
        .iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .enumerate()
    {
        let bytes = decode(text).with_context(|| format!("JOINERY_ENCRYPTION_RETIRED_KEYS entry {}", i + 1))?;
        retired.push(exact_key(&bytes).with_context(|| format!("JOINERY_ENCRYPTION_RETIRED_KEYS entry {}", i + 1))?);
    }
    Ok(Keyring::new(&current, &retired))
}

fn exact_key(bytes: &[u8]) -> anyhow::Result<[u8; KEY_BYTES]> {
    bytes.try_into().map_err(|_| anyhow::anyhow!("must be exactly {KEY_BYTES} bytes (it has {})", bytes.len()))
}

/// A key given inline (`inline`, named `variable` in errors), or read from `file`, or from
/// `default_file`, which is generated when missing.
fn load_key(inline: Option<&str>, variable: &str, file: Option<&Path>, default_file: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(text) = inline {
        return decode(text).context(variable.to_owned());
    }
    let path = file.unwrap_or(default_file);
    if !path.exists() {
        if file.is_some() {
            bail!("key file {} does not exist", path.display());
        }
        create_key_file(path)?;
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    decode(&text).with_context(|| format!("key file {}", path.display()))
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
            tracing::info!(path = %path.display(), "generated a new key");
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
    fn the_encryption_key_is_generated_apart_from_the_secret_and_retired_keys_open_old_values() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let ring = load_keyring(&config).unwrap();
        let sealed = ring.seal(b"credential", b"ctx");
        assert!(dir.path().join("encryption.key").exists());
        assert_eq!(load_keyring(&config).unwrap().open(&sealed, b"ctx").unwrap(), b"credential");
        assert_ne!(
            std::fs::read(dir.path().join("encryption.key")).unwrap(),
            std::fs::read(dir.path().join("secret.key")).unwrap_or_default()
        );

        // Rotation: a new current key, the old one retired.
        let old = std::fs::read_to_string(dir.path().join("encryption.key")).unwrap();
        let rotated = Config {
            encryption_key: Some("cd".repeat(32)),
            encryption_retired_keys: Some(format!(" {old} ,")),
            ..config.clone()
        };
        let ring = load_keyring(&rotated).unwrap();
        assert_eq!(ring.open(&sealed, b"ctx").unwrap(), b"credential");
        assert!(ring.is_stale(&sealed));

        let too_long = Config { encryption_key: Some("ab".repeat(33)), ..config.clone() };
        assert!(format!("{:#}", load_keyring(&too_long).unwrap_err()).contains("exactly 32 bytes"));
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
