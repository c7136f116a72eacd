//! Running an agent's shell command (`run_command`, the verifier's test runs) in a run's
//! worktree: in the sandbox when there is one, always with resource limits, a wall-clock
//! timeout, a clean environment and its own process group, killed as a whole tree on timeout or
//! when the caller drops the future. Output streams to the caller as it comes and is kept,
//! capped, for the result. [`assess`] looks at a command line before it runs, for the approval
//! question. Which sandbox exists is `sandbox`'s business; deciding about approvals is the
//! driver's.
//!
//! Pieces: `env` (the environment), `capture` (output), `tree` (limits and killing),
//! `result` (how it ended, in words), `assess` and `lex` (the static look).

mod assess;
mod capture;
mod cgroup;
mod env;
mod lex;
mod result;
mod tree;

pub use assess::{Assessment, assess};
pub use env::{PRIVATE_HOME, clean_env, looks_secret};
pub use result::ExecResult;

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::ToolError;
use super::sandbox::{Policy, Sandbox, bubblewrap_args};
use crate::protocol::OutputStream;
use capture::{Capture, Pumped, pump};
use tree::{GroupKiller, RawLimits, Watchdog};

/// The resources one command may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// CPU seconds per process (RLIMIT_CPU; SIGXCPU, then SIGKILL a second later).
    pub cpu_secs: u64,
    /// Address space per process, in bytes (RLIMIT_AS).
    pub memory_bytes: u64,
    /// Largest file a process may write, in bytes (RLIMIT_FSIZE; SIGXFSZ beyond).
    pub file_size_bytes: u64,
    /// Processes the command may run at once.
    pub processes: u64,
    /// Wall-clock time before the whole tree is killed.
    pub timeout: Duration,
    /// Output kept for the result, per stream, in bytes (head and tail).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            cpu_secs: 60,
            memory_bytes: 2 << 30,
            file_size_bytes: 256 << 20,
            processes: 256,
            timeout: Duration::from_secs(120),
            output_bytes: 256 << 10,
        }
    }
}

/// A command to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    /// The command line, run with `sh -c`.
    pub line: String,
    /// Where it runs: the run's worktree (writable in the sandbox).
    pub cwd: PathBuf,
    /// Variables on top of [`clean_env`] (secret-looking names are dropped).
    pub env: Vec<(String, String)>,
    /// Whether it may use the network (only after the person approved it).
    pub network: bool,
    /// More paths it may write in the sandbox (they must exist).
    pub writable: Vec<PathBuf>,
    /// Its resource limits.
    pub limits: Limits,
}

impl CommandSpec {
    /// `line` in `cwd`, with no extras, no network and the default limits.
    pub fn new(line: impl Into<String>, cwd: impl Into<PathBuf>) -> CommandSpec {
        CommandSpec {
            line: line.into(),
            cwd: cwd.into(),
            env: Vec::new(),
            network: false,
            writable: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// How long output may still be read once the process tree is gone.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// Runs `spec` (in `sandbox` when it is available), streaming output chunks to `output` and
/// returning when the command and every process it started have ended. Dropping the future
/// kills the whole tree.
pub async fn run(
    spec: &CommandSpec,
    sandbox: &Sandbox,
    output: mpsc::Sender<(OutputStream, String)>,
) -> Result<ExecResult, ToolError> {
    let cwd = validate(spec)?;
    let writable = writable_paths(spec)?;
    let mut env = clean_env(&spec.env);
    let wants_home = env.iter().any(|(n, v)| n == "HOME" && v == PRIVATE_HOME);
    let shell: Vec<OsString> = vec!["sh".into(), "-c".into(), spec.line.clone().into()];
    let mut _home = None;
    let (program, args) = match sandbox {
        Sandbox::Bubblewrap { path } => {
            let policy = Policy {
                worktree: &cwd,
                writable: &writable,
                network: spec.network,
                home: wants_home.then_some(Path::new(PRIVATE_HOME)),
            };
            (path.clone(), bubblewrap_args(&policy, &shell))
        }
        Sandbox::Unavailable { .. } => {
            if wants_home {
                let home = TempHome::create()?;
                for (_, value) in env.iter_mut().filter(|(n, _)| n == "HOME") {
                    *value = home.path.to_string_lossy().into_owned();
                }
                _home = Some(home);
            }
            (PathBuf::from("/bin/sh"), shell[1..].to_vec())
        }
    };

    let raw = RawLimits::new(&spec.limits);
    // Declared before the killer, so dropped after it: the cgroup is removed once emptied.
    let cgroup = cgroup::PidsCgroup::create(spec.limits.processes);
    let cgroup_procs = cgroup.as_ref().map(|c| c.procs.clone());
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&args)
        .env_clear()
        .envs(env)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // SAFETY: the closure only makes async-signal-safe system calls on copied values.
    unsafe {
        command.pre_exec(move || tree::child_setup(raw, cgroup_procs.as_deref()));
    }
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| ToolError::Command(format!("cannot start {}: {e}", program.display())))?;
    let pid = child
        .id()
        .ok_or_else(|| ToolError::Command("the command ended before it could be watched".into()))?;
    let killer = GroupKiller::new(pid);
    let limit = spec.limits.output_bytes;
    let mut out_task = child.stdout.take().map(|pipe| {
        AbortOnDrop(tokio::spawn(pump(
            pipe,
            OutputStream::Stdout,
            output.clone(),
            limit,
        )))
    });
    let mut err_task = child.stderr.take().map(|pipe| {
        AbortOnDrop(tokio::spawn(pump(
            pipe,
            OutputStream::Stderr,
            output.clone(),
            limit,
        )))
    });

    let watchdog = Watchdog::new(pid, &spec.limits, cgroup.is_some());
    let too_many = async {
        match &watchdog {
            Some(watchdog) => watchdog.over_limit().await,
            None => std::future::pending().await,
        }
    };
    let ended = tokio::select! {
        status = child.wait() => Ended::Exited(status),
        () = tokio::time::sleep(spec.limits.timeout) => Ended::TimedOut,
        count = too_many => Ended::TooMany(count),
    };
    // Also after a normal exit: nothing the command left running in the background survives.
    killer.kill();
    let timed_out = matches!(ended, Ended::TimedOut);
    let too_many = match ended {
        Ended::TooMany(count) => Some(count),
        _ => None,
    };
    let status = match ended {
        Ended::Exited(status) => status,
        Ended::TimedOut | Ended::TooMany(_) => child.wait().await,
    }
    .map_err(|e| ToolError::Command(format!("cannot wait for the command: {e}")))?;
    let duration = started.elapsed();

    let stdout = drain(out_task.as_mut(), limit).await;
    let mut stderr = drain(err_task.as_mut(), limit).await;
    if let Some(count) = too_many {
        stderr.capture.push(
            format!(
                "\nwarroom: the command ran {count} processes at once (limit {}); its process tree was killed\n",
                spec.limits.processes
            )
            .as_bytes(),
        );
    }
    let dropped = stdout.dropped_chunks + stderr.dropped_chunks;
    if dropped > 0 {
        tracing::debug!("exec: {dropped} output chunks were not streamed (channel full)");
        let note = format!(
            "[{dropped} chunks of output were not shown live; the result keeps the output]\n"
        );
        let _ = output.try_send((OutputStream::Stderr, note));
    }
    drop(killer);
    if let Some(cgroup) = cgroup {
        cgroup.remove().await;
    }
    let (stdout, out_omitted) = stdout.capture.finish();
    let (stderr, err_omitted) = stderr.capture.finish();
    let sandboxed = sandbox.is_available();
    let (mut exit_code, mut signal) = (status.code(), status.signal());
    if let Some(code) = exit_code.filter(|c| sandboxed && (129..=159).contains(c)) {
        (exit_code, signal) = (None, Some(code - 128));
    }
    Ok(ExecResult {
        exit_code,
        signal,
        timed_out,
        stdout,
        stderr,
        omitted_bytes: out_omitted + err_omitted,
        duration,
        sandboxed,
    })
}

/// Why the wait for the command ended.
enum Ended {
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    TooMany(u64),
}

/// The canonical working directory, once the spec is known to be runnable.
fn validate(spec: &CommandSpec) -> Result<PathBuf, ToolError> {
    if spec.line.trim().is_empty() {
        return Err(ToolError::BadArgs("the command line is empty".into()));
    }
    if spec.line.contains('\0') {
        return Err(ToolError::BadArgs(
            "the command line holds a NUL byte".into(),
        ));
    }
    let io = |path: &Path, what: &str| ToolError::Io {
        path: path.display().to_string(),
        message: what.to_string(),
    };
    let cwd = spec
        .cwd
        .canonicalize()
        .map_err(|e| io(&spec.cwd, &format!("cannot run a command here: {e}")))?;
    if !cwd.is_dir() {
        return Err(io(&spec.cwd, "cannot run a command here: not a folder"));
    }
    Ok(cwd)
}

/// The writable paths, absolute and canonical (bwrap binds them at the same place).
fn writable_paths(spec: &CommandSpec) -> Result<Vec<PathBuf>, ToolError> {
    spec.writable
        .iter()
        .map(|path| {
            path.canonicalize().map_err(|e| ToolError::Io {
                path: path.display().to_string(),
                message: format!("a writable path must exist before the command runs: {e}"),
            })
        })
        .collect()
}

/// What a pump gave, or an empty capture when the pipe could not be read to its end in time
/// (a process that escaped the group still holds it).
async fn drain(task: Option<&mut AbortOnDrop<Pumped>>, limit: usize) -> Pumped {
    let empty = || Pumped {
        capture: Capture::new(limit),
        dropped_chunks: 0,
    };
    let Some(task) = task else { return empty() };
    match tokio::time::timeout(DRAIN_GRACE, &mut task.0).await {
        Ok(Ok(pumped)) => pumped,
        Ok(Err(e)) => {
            tracing::warn!("exec: an output reader failed: {e}");
            empty()
        }
        Err(_) => {
            tracing::warn!(
                "exec: output still open {DRAIN_GRACE:?} after the command ended; stopped reading"
            );
            empty()
        }
    }
}

/// A spawned task that is aborted when its handle is dropped (a cancelled `run`).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A fresh private HOME for a command run without a sandbox, removed afterwards.
struct TempHome {
    path: PathBuf,
}

impl TempHome {
    fn create() -> Result<TempHome, ToolError> {
        use std::os::unix::fs::DirBuilderExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "warroom-home-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| ToolError::Io {
                path: path.display().to_string(),
                message: format!("cannot create the command's home folder: {e}"),
            })?;
        Ok(TempHome { path })
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
#[path = "exec_tests.rs"]
mod tests;
