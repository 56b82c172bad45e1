//! `keygen`, and reading key files for the other commands.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use docket_ledger::SecretKey;
use docket_model::PublicKey;
use serde_json::json;

use crate::args::{Cli, KeygenArgs};
use crate::exit::{OK, UsageError};
use crate::output::print_json;

fn with_extension(prefix: &Path, extension: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Creates `path` for writing, refusing to replace an existing file; the
/// secret key file is readable by its owner only.
fn create_new(path: &Path, secret: bool) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    options.open(path).with_context(|| {
        format!(
            "cannot create {} (an existing key is never overwritten)",
            path.display()
        )
    })
}

pub fn keygen(cli: &Cli, args: &KeygenArgs) -> anyhow::Result<u8> {
    let key = SecretKey::generate()?;
    let (secret_path, public_path) = (
        with_extension(&args.out, "key"),
        with_extension(&args.out, "pub"),
    );
    if public_path.exists() {
        return Err(UsageError(format!(
            "{} already exists; choose another --out",
            public_path.display()
        ))
        .into());
    }
    let mut secret = create_new(&secret_path, true)?;
    secret.write_all(key.to_text().as_bytes())?;
    secret.sync_all()?;
    let mut public = create_new(&public_path, false)?;
    writeln!(public, "{}", key.public())?;
    public.sync_all()?;
    if cli.json {
        print_json(
            &json!({"secret": secret_path, "public": public_path, "key": key.public().to_string()}),
        )?;
    } else {
        say!("secret key: {} (keep it private)", secret_path.display());
        say!("public key: {} = {}", public_path.display(), key.public());
    }
    Ok(OK)
}

/// Reads a public key file (`ed25519:<hex>` on its first line).
pub fn read_public(path: &Path) -> anyhow::Result<PublicKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let first = text.lines().next().unwrap_or("").trim();
    PublicKey::new(first).map_err(|e| UsageError(format!("{}: {e}", path.display())).into())
}

/// Reads a secret key file.
pub fn read_secret(path: &Path) -> anyhow::Result<Arc<SecretKey>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key =
        SecretKey::from_text(&text).map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    Ok(Arc::new(key))
}
