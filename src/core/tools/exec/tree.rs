//! A command's process tree: its resource limits (set in the child between fork and exec),
//! its own session and process group, killing the whole group, and counting its processes
//! where the kernel will not enforce the process limit (for root).

use std::collections::{HashMap, HashSet};
use std::ffi::CStr;

use super::Limits;

/// Sets up the child between fork and exec: its own session (so its own process group, and no
/// controlling terminal to read from or signal), its pids cgroup (`cgroup_procs`, the cgroup's
/// `cgroup.procs` file, when there is one), and the resource limits.
///
/// It runs in the forked child, so it makes only async-signal-safe calls (setsid, open, write,
/// close, setrlimit) and allocates nothing.
pub(crate) fn child_setup(limits: RawLimits, cgroup_procs: Option<&CStr>) -> std::io::Result<()> {
    // SAFETY: async-signal-safe system calls on plain values and a NUL-terminated path that
    // outlives the calls.
    unsafe {
        if libc::setsid() < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if let Some(procs) = cgroup_procs {
            // "0" moves the writing process; everything it starts stays in the cgroup.
            let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            let written = libc::write(fd, b"0".as_ptr().cast(), 1);
            libc::close(fd);
            if written != 1 {
                return Err(std::io::Error::last_os_error());
            }
        }
        let pairs = [
            (
                libc::RLIMIT_CPU,
                limits.cpu_secs,
                limits.cpu_secs.saturating_add(1),
            ),
            (libc::RLIMIT_AS, limits.memory_bytes, limits.memory_bytes),
            (
                libc::RLIMIT_FSIZE,
                limits.file_size_bytes,
                limits.file_size_bytes,
            ),
            (libc::RLIMIT_NPROC, limits.processes, limits.processes),
            (libc::RLIMIT_CORE, 0, 0),
        ];
        for (resource, soft, hard) in pairs {
            let limit = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            if libc::setrlimit(resource, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The numbers `child_setup` needs, computed before the fork.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLimits {
    cpu_secs: u64,
    memory_bytes: u64,
    file_size_bytes: u64,
    processes: u64,
}

impl RawLimits {
    /// The raw limits for `limits`. RLIMIT_NPROC counts every process of the user, not only
    /// the command's, so for an ordinary user the command gets its budget on top of what the
    /// user already runs. (For root the kernel does not enforce it at all, even inside a user
    /// namespace with no capabilities: the exemption is tied to uid 0 itself. A pids cgroup,
    /// or failing that `Watchdog`, covers that case.)
    pub(crate) fn new(limits: &Limits) -> RawLimits {
        let processes = if is_root() {
            limits.processes
        } else {
            user_process_count().saturating_add(limits.processes)
        };
        RawLimits {
            cpu_secs: limits.cpu_secs,
            memory_bytes: limits.memory_bytes,
            file_size_bytes: limits.file_size_bytes,
            processes,
        }
    }
}

/// Kills the process group `pgid` (the command's, as it leads its own session) with SIGKILL
/// when told to or when dropped, so that a cancelled `run` leaves nothing behind. With
/// bubblewrap the group holds bwrap and the sandbox's init; killing the init ends every process
/// in the sandbox's pid namespace.
#[derive(Debug)]
pub(crate) struct GroupKiller {
    pgid: libc::pid_t,
}

impl GroupKiller {
    /// Guards the group led by `pid`.
    pub(crate) fn new(pid: u32) -> GroupKiller {
        GroupKiller {
            pgid: pid as libc::pid_t,
        }
    }

    /// SIGKILLs every process of the group, repeating while any is left (a process in the
    /// middle of forking can add one more).
    pub(crate) fn kill(&self) {
        if self.pgid <= 1 {
            return;
        }
        for _ in 0..16 {
            // SAFETY: killpg on our own child's group id; no memory is involved.
            let rc = unsafe { libc::killpg(self.pgid, libc::SIGKILL) };
            if rc != 0 {
                return;
            }
            if group_members(self.pgid) == 0 {
                return;
            }
            std::thread::yield_now();
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Counts the command's processes, for root, where RLIMIT_NPROC does not hold and no pids
/// cgroup could be made. Polling cannot outrun a fork bomb for long; it ends one.
#[derive(Debug)]
pub(crate) struct Watchdog {
    root: u32,
    max: u64,
}

impl Watchdog {
    /// A watchdog over the tree under `root`, or none when the kernel enforces the limit
    /// (RLIMIT_NPROC for an ordinary user, or a pids cgroup: `kernel_enforced`).
    pub(crate) fn new(root: u32, limits: &Limits, kernel_enforced: bool) -> Option<Watchdog> {
        (is_root() && !kernel_enforced).then_some(Watchdog {
            root,
            max: limits.processes,
        })
    }

    /// Resolves once the tree holds more processes than allowed, with the count seen.
    pub(crate) async fn over_limit(&self) -> u64 {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
        loop {
            tick.tick().await;
            let root = self.root;
            let count = tokio::task::spawn_blocking(move || descendants(root))
                .await
                .unwrap_or(0);
            if count > self.max {
                return count;
            }
        }
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// The processes of the user warroom runs as.
fn user_process_count() -> u64 {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    proc_pids()
        .filter(|pid| std::fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| m.uid() == uid))
        .count() as u64
}

/// How many processes are in group `pgid`.
fn group_members(pgid: libc::pid_t) -> usize {
    proc_pids()
        .filter_map(stat_fields)
        .filter(|s| s.pgrp == pgid as u32 && !s.dead)
        .count()
}

/// How many processes belong to the tree under `root` (itself excluded): its descendants,
/// and members of its session whose parent has exited (orphans are adopted by init, outside
/// the tree; in the sandbox they are adopted by the sandbox's init, inside it).
fn descendants(root: u32) -> u64 {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut in_session = HashSet::new();
    for pid in proc_pids() {
        if let Some(stat) = stat_fields(pid) {
            children.entry(stat.ppid).or_default().push(pid);
            if stat.session == root && pid != root {
                in_session.insert(pid);
            }
        }
    }
    let mut tree = HashSet::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        for &kid in children.get(&pid).into_iter().flatten() {
            if tree.insert(kid) {
                stack.push(kid);
            }
        }
    }
    tree.union(&in_session).count() as u64
}

fn proc_pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
}

/// What `/proc/<pid>/stat` says about a process.
struct Stat {
    ppid: u32,
    pgrp: u32,
    session: u32,
    /// A zombie (or exiting) process: already killed, waiting to be reaped.
    dead: bool,
}

fn stat_fields(pid: u32) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    Some(Stat {
        dead: matches!(state, "Z" | "X"),
        ppid: fields.next()?.parse().ok()?,
        pgrp: fields.next()?.parse().ok()?,
        session: fields.next()?.parse().ok()?,
    })
}
