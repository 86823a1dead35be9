//! The SQLite file holds password hashes, session records and billing data, so Tollgate
//! creates it readable and writable by its owner only (0600) before SQLite opens it. SQLite
//! gives the `-wal` and `-shm` files it creates next to it the same mode.

/// Creates the database file at `path` with mode 0600 unless it exists already; warns
/// when an existing file is open to other users (the operator's choice, not changed).
pub fn create_private(path: &str) -> Result<(), String> {
    if path.is_empty() || path.contains(":memory:") || path.starts_with("file:") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            warn_if_shared(path);
            Ok(())
        }
        Err(e) => Err(format!("cannot create the database file {path}: {e}")),
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        log::warn!("the database file {path} is readable by other users; `chmod 600` it");
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &str) {}
