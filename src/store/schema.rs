//! Opening a database file and bringing its schema up to date.
//!
//! Owns the list of migrations (append-only SQL files, applied in order and counted in
//! `PRAGMA user_version`) and the checks that turn a foreign, corrupt or newer file into a
//! `StoreError` a person can act on. Knows nothing of events or threads.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::StoreError;

/// The migrations, in order. `user_version` counts how many have been applied.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_event_log.sql"),
    include_str!("migrations/0002_approvals_memory_commands.sql"),
    include_str!("migrations/0003_llm_cache.sql"),
    include_str!("migrations/0004_patches.sql"),
    include_str!("migrations/0005_grants.sql"),
    include_str!("migrations/0006_memory_watch.sql"),
    include_str!("migrations/0007_errors_index.sql"),
];

/// The schema version this build reads and writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens `path` for writing (creating it with mode 0600), switches it to WAL and applies every
/// pending migration.
pub fn open_rw(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    create_private_file(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| classify(path, e))?;
    let version = read_version(path, &conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| classify(path, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(|e| classify(path, e))?;
    migrate_from(path, &conn, version, MIGRATIONS.len())?;
    // Proves the file (and its folder, for the WAL) is writable now rather than at the first
    // batch of events: SQLite silently opens an unwritable file read-only.
    if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(true) {
        return Err(StoreError::ReadOnly {
            path: path.to_path_buf(),
        });
    }
    let version = current_version();
    conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; PRAGMA user_version = {version}; COMMIT;"
    ))
    .map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK;");
        classify(path, e)
    })?;
    Ok(conn)
}

/// Opens `path` read-only (for `warroom watch` and other viewers). The file must exist and
/// carry a schema this build understands.
pub fn open_ro(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    if !path.exists() {
        return Err(StoreError::Missing {
            path: path.to_path_buf(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| classify(path, e))?;
    conn.busy_timeout(busy_timeout)
        .map_err(|e| classify(path, e))?;
    let version = read_version(path, &conn)?;
    if version < current_version() {
        return Err(StoreError::OlderSchema {
            path: path.to_path_buf(),
            found: version,
            supported: current_version(),
        });
    }
    Ok(conn)
}

/// Applies migrations `from..to` in one transaction each. Public to the crate so tests can
/// build an older schema.
pub(crate) fn migrate_from(
    path: &Path,
    conn: &Connection,
    from: i64,
    to: usize,
) -> Result<(), StoreError> {
    for (index, sql) in MIGRATIONS.iter().enumerate().take(to).skip(from as usize) {
        let version = index as i64 + 1;
        let batch = format!("BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;");
        if let Err(e) = conn.execute_batch(&batch) {
            let _ = conn.execute_batch("ROLLBACK;");
            return Err(StoreError::Migration {
                path: path.to_path_buf(),
                version,
                message: e.to_string(),
            });
        }
    }
    Ok(())
}

/// Reads `user_version`, refusing files that are not SQLite or that come from a newer build.
fn read_version(path: &Path, conn: &Connection) -> Result<i64, StoreError> {
    // Reading the schema forces SQLite to look at the file header.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(|e| classify(path, e))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| classify(path, e))?;
    if version > current_version() {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: current_version(),
        });
    }
    Ok(version)
}

/// Creates an empty file with mode 0600 so SQLite never creates it with the umask's mode.
fn create_private_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    if path.exists() {
        return Ok(());
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(|_| ())
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Ok(()),
            _ => Err(StoreError::Io {
                path: path.to_path_buf(),
                action: "create the database file",
                source: e,
            }),
        })
}

/// Turns a rusqlite error into the kind a person can act on.
pub(crate) fn classify(path: &Path, error: rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path,
            message: error.to_string(),
        },
        Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) if !is_writable(&path) => {
            StoreError::ReadOnly { path }
        }
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => {
            StoreError::Busy { path }
        }
        _ => StoreError::Sqlite {
            path,
            message: error.to_string(),
        },
    }
}

fn is_writable(path: &Path) -> bool {
    std::fs::OpenOptions::new().write(true).open(path).is_ok()
}
