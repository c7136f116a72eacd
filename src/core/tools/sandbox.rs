//! The sandbox that agents' commands run in: finding a working bubblewrap (`bwrap`) and
//! building its argument list (read-only system, writable worktree, private `/tmp`, no network,
//! own pid and user namespaces, no capabilities). Running the command, its limits and its
//! output belong to `exec`; nothing here spawns anything but the one-off probe in [`Sandbox::detect`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether commands can run inside a sandbox on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// bubblewrap is installed and a probe sandbox started and exited cleanly.
    Bubblewrap {
        /// The `bwrap` executable.
        path: PathBuf,
    },
    /// No sandbox: every command runs directly (still with limits and a timeout).
    Unavailable {
        /// What is missing or what failed, and what to do about it.
        why: String,
    },
}

/// What a sandboxed command may touch.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// The worktree: writable, and the command's working directory.
    pub worktree: &'a Path,
    /// More folders or files the command may write (they must exist).
    pub writable: &'a [PathBuf],
    /// Whether the command shares the host's network (otherwise it has only a loopback of its
    /// own).
    pub network: bool,
    /// A folder to create inside the private `/tmp` (the command's `HOME`), if any.
    pub home: Option<&'a Path>,
}

impl Sandbox {
    /// Looks for `bwrap` on PATH and checks that it can actually build a sandbox here (some
    /// containers forbid the user namespaces it needs) by running `true` in one.
    pub fn detect() -> Sandbox {
        let Some(path) = crate::paths::find_program("bwrap") else {
            return Sandbox::Unavailable {
                why: "bubblewrap is not installed (Debian package `bubblewrap`)".into(),
            };
        };
        match probe(&path) {
            Ok(()) => Sandbox::Bubblewrap { path },
            Err(failure) => Sandbox::Unavailable {
                why: format!(
                    "bubblewrap at {} cannot build a sandbox here ({failure}); user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone, or a container without them)",
                    path.display()
                ),
            },
        }
    }

    /// Whether commands will run sandboxed.
    pub fn is_available(&self) -> bool {
        matches!(self, Sandbox::Bubblewrap { .. })
    }

    /// One line for a person: what isolates commands, or why nothing does.
    pub fn describe(&self) -> String {
        match self {
            Sandbox::Bubblewrap { path } => format!(
                "bubblewrap at {}: commands see a read-only system, write only their worktree and a private /tmp, have no network unless approved, and no capabilities",
                path.display()
            ),
            Sandbox::Unavailable { why } => {
                format!("no sandbox: {why}; without bubblewrap every command needs approval")
            }
        }
    }
}

/// The arguments for `bwrap` that run `command` (program and arguments) under `policy`.
///
/// The environment is not set here: the caller starts `bwrap` itself with a cleared
/// environment, which bwrap passes on. (Putting variables on bwrap's command line with
/// `--setenv` would make their values readable by every user in `/proc/<pid>/cmdline`.)
pub fn bubblewrap_args(policy: &Policy<'_>, command: &[OsString]) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&[
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
    ]);
    // A user namespace with every capability dropped: even when warroom runs as root, the
    // command cannot remount, change limits back, or reach anything capabilities would open.
    push(&["--unshare-user", "--cap-drop", "ALL"]);
    push(&["--unshare-pid", "--unshare-ipc", "--unshare-uts"]);
    if !policy.network {
        push(&["--unshare-net"]);
    }
    push(&["--die-with-parent", "--new-session"]);
    // Binds come after `--tmpfs /tmp` so that a worktree under /tmp shows through it.
    for path in std::iter::once(policy.worktree).chain(policy.writable.iter().map(PathBuf::as_path))
    {
        args.push("--bind".into());
        args.push(path.into());
        args.push(path.into());
    }
    if let Some(home) = policy.home {
        args.push("--dir".into());
        args.push(home.into());
    }
    args.push("--chdir".into());
    args.push(policy.worktree.into());
    args.push("--".into());
    args.extend(command.iter().cloned());
    args
}

/// How long the probe may take before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `true` in the same kind of sandbox commands get; the reason when that fails.
fn probe(bwrap: &Path) -> Result<(), String> {
    let policy = Policy {
        worktree: Path::new("/"),
        writable: &[],
        network: false,
        home: None,
    };
    let args = bubblewrap_args(&policy, &["true".into()]);
    let mut child = Command::new(bwrap)
        .args(&args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut message = String::new();
                if let Some(mut stderr) = child.stderr.take() {
                    use std::io::Read;
                    let _ = stderr.read_to_string(&mut message);
                }
                let first = message.lines().next().unwrap_or("").trim();
                return Err(if first.is_empty() {
                    format!("the probe exited with {status}")
                } else {
                    format!("the probe said: {first}")
                });
            }
            Ok(None) if started.elapsed() > PROBE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the probe did not finish within {} s",
                    PROBE_TIMEOUT.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for the probe: {e}")),
        }
    }
}
