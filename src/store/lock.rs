//! The owner lock: at most one process per database runs the orchestrator and writes events.
//!
//! `<repo>/.warroom/owner.lock` is held with `flock` (the kernel drops it when the owner dies,
//! even on kill -9) and carries the owner's pid and a heartbeat timestamp that a thread rewrites
//! in place, so viewers can name the owner and tell a hung one from a live one. Knows nothing of
//! SQLite.

use std::fs::File;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::protocol::Millis;

use super::StoreError;

/// Held by the owner process for as long as it runs; dropping it releases the lock.
#[derive(Debug)]
pub struct OwnerLock {
    path: PathBuf,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<JoinHandle<()>>,
}

/// What a viewer can learn about the owner of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerState {
    /// No process holds the lock.
    NoOwner,
    /// A process holds the lock; `heartbeat_age_ms` is how long ago it last wrote its heartbeat.
    Alive {
        /// The owner's process id.
        pid: u32,
        /// Milliseconds since its last heartbeat.
        heartbeat_age_ms: i64,
    },
}

impl OwnerLock {
    /// Takes the lock at `path`, or says which process holds it.
    pub fn acquire(path: &Path, db: &Path, heartbeat: Duration) -> Result<Self, StoreError> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                action: "open the owner lock",
                source,
            })?;
        // An owner killed a moment ago may leave the lock to a child it was forking (the
        // child holds a copy of every descriptor until it execs): give it a moment when the
        // pid in the file is gone.
        let mut waited = Duration::ZERO;
        while !try_flock(&file, libc::LOCK_EX) {
            let pid = read_lock_line(path).map(|(pid, _)| pid).unwrap_or(0);
            if pid_alive(pid) || waited >= DEAD_OWNER_GRACE {
                return Err(StoreError::Owned {
                    path: db.to_path_buf(),
                    pid,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
            waited += Duration::from_millis(20);
        }
        file.set_len(0).map_err(|source| StoreError::Io {
            path: path.to_path_buf(),
            action: "write the owner lock",
            source,
        })?;
        let pid = std::process::id();
        write_line(&file, pid);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("warroom-heartbeat".into())
            .spawn(move || {
                // The file stays open (and locked) for as long as this thread runs.
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(heartbeat) {
                    write_line(&file, pid);
                }
            })
            .map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                action: "start the heartbeat thread",
                source,
            })?;
        Ok(OwnerLock {
            path: path.to_path_buf(),
            stop: Some(stop),
            heartbeat: Some(thread),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.heartbeat.take() {
            let _ = thread.join();
        }
    }
}

/// Looks at the lock at `path` without taking it.
pub fn probe(path: &Path) -> OwnerState {
    let Ok(file) = File::open(path) else {
        return OwnerState::NoOwner;
    };
    if try_flock(&file, libc::LOCK_SH) {
        // Nobody holds it; release at once so an owner can start.
        unsafe_unlock(&file);
        return OwnerState::NoOwner;
    }
    match read_lock_line(path) {
        Some((pid, beat)) => OwnerState::Alive {
            pid,
            heartbeat_age_ms: Millis::now().0 - beat,
        },
        None => OwnerState::Alive {
            pid: 0,
            heartbeat_age_ms: 0,
        },
    }
}

/// How long a lock whose owner's pid is gone may stay held before it counts as owned.
const DEAD_OWNER_GRACE: Duration = Duration::from_secs(3);

/// Whether a process with this pid exists (0: unknown, counted as alive).
fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid == 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists; no memory is involved.
    let sent = unsafe { libc::kill(pid, 0) };
    sent == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

fn try_flock(file: &File, kind: libc::c_int) -> bool {
    // SAFETY: flock on a valid, open descriptor has no memory-safety preconditions.
    unsafe { libc::flock(file.as_raw_fd(), kind | libc::LOCK_NB) == 0 }
}

fn unsafe_unlock(file: &File) {
    // SAFETY: as above.
    unsafe {
        libc::flock(file.as_raw_fd(), libc::LOCK_UN);
    }
}

/// Fixed width, written at offset 0 in one call, so a reader never sees half a line.
fn write_line(file: &File, pid: u32) {
    let line = format!("pid={pid:010} heartbeat={:016}\n", Millis::now().0);
    let _ = file.write_all_at(line.as_bytes(), 0);
}

fn read_lock_line(path: &Path) -> Option<(u32, i64)> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    let mut pid = None;
    let mut beat = None;
    for part in text.split_whitespace() {
        if let Some(v) = part.strip_prefix("pid=") {
            pid = v.parse().ok();
        } else if let Some(v) = part.strip_prefix("heartbeat=") {
            beat = v.parse().ok();
        }
    }
    Some((pid?, beat?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_with_the_pid_and_the_lock_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("owner.lock");
        let db = dir.path().join("state.db");
        assert_eq!(probe(&lock), OwnerState::NoOwner);
        let first = OwnerLock::acquire(&lock, &db, Duration::from_millis(20)).unwrap();
        let err = OwnerLock::acquire(&lock, &db, Duration::from_secs(1)).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&std::process::id().to_string()),
            "{message}"
        );
        assert!(message.contains("warroom watch"), "{message}");
        match probe(&lock) {
            OwnerState::Alive {
                pid,
                heartbeat_age_ms,
            } => {
                assert_eq!(pid, std::process::id());
                assert!(heartbeat_age_ms < 60_000);
            }
            other => panic!("expected an owner, got {other:?}"),
        }
        drop(first);
        assert_eq!(probe(&lock), OwnerState::NoOwner);
        OwnerLock::acquire(&lock, &db, Duration::from_secs(1)).unwrap();
    }
}
