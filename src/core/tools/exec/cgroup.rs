//! A pids cgroup per command, for root: the kernel does not enforce RLIMIT_NPROC for uid 0
//! (not even inside a user namespace with every capability dropped), and a fork bomb outruns
//! any polling, so the process limit is put on a cgroup of its own (`pids.max`) that the child
//! joins before it executes anything. Best effort: when the pids controller cannot be used
//! here (not root, no pids hierarchy, cgroup v2 without pids delegated), there is none and the
//! watchdog in `tree` is the fallback.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A cgroup limiting how many tasks a command runs; removed when dropped (once empty).
#[derive(Debug)]
pub(crate) struct PidsCgroup {
    dir: PathBuf,
    /// `<dir>/cgroup.procs`, ready for the child to open without allocating.
    pub(crate) procs: CString,
}

impl PidsCgroup {
    /// A new cgroup allowing `max` tasks, or `None` when that is not possible here.
    pub(crate) fn create(max: u64) -> Option<PidsCgroup> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = pids_base()?;
        let dir = base.join(format!(
            "warroom-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).ok()?;
        if let Err(e) = std::fs::write(dir.join("pids.max"), max.to_string()) {
            tracing::debug!("exec: cannot limit tasks in {}: {e}", dir.display());
            let _ = std::fs::remove_dir(&dir);
            return None;
        }
        let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_bytes()).ok()?;
        Some(PidsCgroup { dir, procs })
    }
}

impl PidsCgroup {
    /// Removes the cgroup once its killed processes are gone (a bounded wait; past it, the
    /// drop's background retry takes over).
    pub(crate) async fn remove(self) {
        for _ in 0..200 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for PidsCgroup {
    fn drop(&mut self) {
        if !self.dir.exists() || std::fs::remove_dir(&self.dir).is_ok() {
            return;
        }
        // Killed processes leave the cgroup only once the kernel has torn them down.
        let dir = self.dir.clone();
        std::thread::spawn(move || {
            for _ in 0..300 {
                std::thread::sleep(Duration::from_millis(100));
                if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                    return;
                }
            }
            tracing::warn!("exec: cgroup {} is still busy; left behind", dir.display());
        });
    }
}

/// The folder of warroom's own cgroup in a hierarchy with the pids controller, when root.
fn pids_base() -> Option<PathBuf> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    // cgroup v1: a line `N:...,pids,...:/path`.
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if controllers.split(',').any(|c| c == "pids") {
            let (root, mount) = find_mount(&mounts, |fs, opts| {
                fs == "cgroup" && opts.split(',').any(|o| o == "pids")
            })?;
            return Some(join_under(&mount, &root, path));
        }
    }
    // cgroup v2: `0::/path`, with pids enabled for children of warroom's cgroup.
    let path = own.lines().find_map(|l| l.strip_prefix("0::"))?;
    let (root, mount) = find_mount(&mounts, |fs, _| fs == "cgroup2")?;
    let base = join_under(&mount, &root, path);
    let enabled = std::fs::read_to_string(base.join("cgroup.subtree_control")).ok()?;
    enabled
        .split_whitespace()
        .any(|c| c == "pids")
        .then_some(base)
}

/// The (root within the file system, mount point) of the first mount matching `wanted`
/// (file system type, super options).
fn find_mount(mountinfo: &str, wanted: impl Fn(&str, &str) -> bool) -> Option<(String, PathBuf)> {
    mountinfo.lines().find_map(|line| {
        let (mine, theirs) = line.split_once(" - ")?;
        let fields: Vec<&str> = mine.split(' ').collect();
        let mut theirs = theirs.split(' ');
        let (fs, _source, opts) = (theirs.next()?, theirs.next()?, theirs.next()?);
        if !wanted(fs, opts) {
            return None;
        }
        Some((fields.get(3)?.to_string(), PathBuf::from(fields.get(4)?)))
    })
}

/// `path` (as /proc/self/cgroup names it) inside a mount of the hierarchy rooted at `root`.
fn join_under(mount: &Path, root: &str, path: &str) -> PathBuf {
    let relative = path.strip_prefix(root).unwrap_or(path);
    mount.join(relative.trim_start_matches('/'))
}
