//! Files both binaries write: configuration, keys and certificates, each replaced atomically
//! (a crash never leaves half a file), secrets readable by their owner only.

use std::{io::Write, path::Path};

/// Writes `bytes` to `path` through a temporary file and a rename; `secret` files are created
/// with mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if secret { 0o600 } else { 0o644 });
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    #[test]
    fn secret_files_are_written_with_mode_0600_and_others_0644() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("keys/secret");
        super::write_atomic(&secret, b"x", true).unwrap();
        assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);
        let public = dir.path().join("public.pem");
        super::write_atomic(&public, b"y", false).unwrap();
        assert_eq!(std::fs::read(&public).unwrap(), b"y");
        assert!(!dir.path().join("public.tmp").exists());
    }
}
