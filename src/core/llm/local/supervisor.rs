//! The supervisor of one local server: a thread of its own (with a single-threaded tokio
//! runtime) that starts the server, waits for its health check, watches it, restarts it with
//! backoff when it dies, gives up on a crash loop, and stops it — the whole process group,
//! SIGTERM then SIGKILL — when told to or when its owner goes away. It publishes what it sees
//! on a watch channel; it never talks to the model.
//!
//! The server is spawned from this thread, which lives until the server is stopped, because
//! PR_SET_PDEATHSIG fires when the spawning *thread* exits: a `kill -9` of warroom then takes
//! the server down with it.

use std::fs::File;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tokio::time::{Instant, sleep, timeout};

use super::launch::{self, TAIL_LINES};
use super::{LocalError, LocalSettings, LocalState, LocalStatus, LogTail};

/// What the supervisor thread needs, resolved by [`super::LocalModel::spawn`].
pub(super) struct Plan {
    pub settings: LocalSettings,
    pub words: Vec<String>,
    pub port: u16,
    pub log: File,
}

/// Runs until stopped (the sender fires or is dropped) or until it gives up.
pub(super) fn run(plan: Plan, state: Arc<watch::Sender<LocalState>>, stop: oneshot::Receiver<()>) {
    // Whatever happens here, readers waiting for an outcome must get one.
    let _outcome = Outcome(state.clone(), plan.settings.name.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let health = reqwest::Client::builder()
        // A proxy from the environment must not stand between us and our own server.
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build();
    match (runtime, health) {
        (Ok(runtime), Ok(health)) => {
            runtime.block_on(Supervisor::new(plan, state, health).run(stop));
        }
        (Err(e), _) => fail(
            &state,
            setup_error(&plan, format!("cannot build its runtime: {e}")),
        ),
        (_, Err(e)) => fail(
            &state,
            setup_error(&plan, format!("cannot build its HTTP client: {e}")),
        ),
    }
}

fn setup_error(plan: &Plan, message: String) -> LocalError {
    LocalError::Spawn {
        name: plan.settings.name.clone(),
        program: plan.words.first().cloned().unwrap_or_default(),
        message,
    }
}

struct Supervisor {
    plan: Plan,
    state: Arc<watch::Sender<LocalState>>,
    health: reqwest::Client,
    url: String,
}

/// How one start of the server ended before it was ready, or that it was stopped.
enum Start {
    /// Healthy; its output starts at this offset of the log.
    Ready(Child, u64),
    Failed(LocalError),
    Stopped,
}

impl Supervisor {
    fn new(plan: Plan, state: Arc<watch::Sender<LocalState>>, health: reqwest::Client) -> Self {
        let url = format!(
            "http://127.0.0.1:{}{}",
            plan.port, plan.settings.health_path
        );
        Supervisor {
            plan,
            state,
            health,
            url,
        }
    }

    async fn run(mut self, mut stop: oneshot::Receiver<()>) {
        let settings = self.plan.settings.clone();
        // Failures in a row: failed restarts, and runs that died before `stable_after`.
        let mut in_a_row = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let start = tokio::select! {
                start = self.start(attempt) => start,
                _ = &mut stop => Start::Stopped,
            };
            let failure = match start {
                Start::Stopped => return self.stopped(),
                Start::Failed(error) if attempt == 1 => return fail(&self.state, error),
                Start::Failed(error) => error,
                Start::Ready(mut child, from) => {
                    let pid = child.id();
                    let ready_at = Instant::now();
                    self.state.send_modify(|s| s.status = LocalStatus::Ready);
                    tracing::info!(name = %settings.name, ?pid, port = self.plan.port, "local model ready");
                    let exited = tokio::select! {
                        status = child.wait() => status,
                        _ = &mut stop => {
                            terminate(&mut child, settings.stop_grace).await;
                            return self.stopped();
                        }
                    };
                    // The server's own children (a wrapper's, a worker's) go with it.
                    signal_group(pid, libc::SIGKILL);
                    if ready_at.elapsed() >= settings.stable_after {
                        in_a_row = 0;
                    }
                    let status = exit_text(exited);
                    let error = LocalError::Exited {
                        name: settings.name.clone(),
                        status: status.clone(),
                        log: Box::new(LogTail {
                            path: settings.log_file.clone(),
                            lines: launch::log_tail(&settings.log_file, from, TAIL_LINES),
                        }),
                    };
                    launch::note(&mut self.plan.log, &format!("the server exited ({status})"));
                    tracing::warn!(name = %settings.name, %status, "local model exited");
                    error
                }
            };
            in_a_row += 1;
            if in_a_row > settings.max_restarts {
                return fail(
                    &self.state,
                    LocalError::CrashLoop {
                        name: settings.name.clone(),
                        failures: in_a_row,
                        last: failure.to_string(),
                    },
                );
            }
            let backoff = settings
                .restart_backoff
                .saturating_mul(1 << (in_a_row - 1).min(16))
                .min(settings.max_restart_backoff);
            self.state.send_modify(|s| {
                s.status = LocalStatus::Restarting {
                    in_a_row,
                    last: failure.to_string(),
                };
                s.pid = None;
            });
            tokio::select! {
                _ = sleep(backoff) => {}
                _ = &mut stop => return self.stopped(),
            }
            self.state.send_modify(|s| s.restarts += 1);
        }
    }

    /// Spawns the server and waits for its health check.
    async fn start(&mut self, attempt: u32) -> Start {
        let settings = &self.plan.settings;
        let from = self.plan.log.metadata().map(|m| m.len()).unwrap_or(0);
        launch::note(
            &mut self.plan.log,
            &format!(
                "starting {} (attempt {attempt}): {}",
                settings.name,
                launch::display_words(&self.plan.words)
            ),
        );
        let mut child = match self.spawn() {
            Ok(child) => child,
            Err(error) => {
                return Start::Failed(LocalError::Spawn {
                    name: settings.name.clone(),
                    program: self.plan.words[0].clone(),
                    message: error.to_string(),
                });
            }
        };
        let pid = child.id();
        self.state.send_modify(|s| {
            s.pid = pid;
            s.generation += 1;
        });
        let deadline = Instant::now() + settings.startup_timeout;
        let tail = || {
            Box::new(LogTail {
                path: settings.log_file.clone(),
                lines: launch::log_tail(&settings.log_file, from, TAIL_LINES),
            })
        };
        let outcome = tokio::select! {
            status = child.wait() => Err(LocalError::Exited {
                name: settings.name.clone(),
                status: exit_text(status),
                log: tail(),
            }),
            healthy = self.wait_healthy(deadline) => healthy.map_err(|last| LocalError::Unhealthy {
                name: settings.name.clone(),
                url: self.url.clone(),
                after: settings.startup_timeout,
                last,
                log: tail(),
            }),
        };
        match outcome {
            Ok(()) => Start::Ready(child, from),
            Err(error) => {
                terminate(&mut child, settings.stop_grace).await;
                launch::note(&mut self.plan.log, &error.headline());
                tracing::warn!(name = %settings.name, "{}", error.headline());
                Start::Failed(error)
            }
        }
    }

    fn spawn(&self) -> std::io::Result<Child> {
        let stdout = self.plan.log.try_clone()?;
        let stderr = self.plan.log.try_clone()?;
        let mut command = Command::new(&self.plan.words[0]);
        command
            .args(&self.plan.words[1..])
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Its own group, so stopping it stops whatever it started too.
            .process_group(0)
            // If this supervisor is torn down without stopping it (a panic), still kill it.
            .kill_on_drop(true);
        die_with_parent(&mut command);
        command.spawn()
    }

    /// Polls the health URL until it answers 200; at the deadline, what it last answered.
    async fn wait_healthy(&self, deadline: Instant) -> Result<(), String> {
        let mut last = "no answer yet".to_string();
        let mut pause = Duration::from_millis(20);
        loop {
            let asked = timeout(
                deadline.saturating_duration_since(Instant::now()),
                self.health.get(&self.url).send(),
            )
            .await;
            match asked {
                Err(_) => return Err(last),
                Ok(Ok(answer)) if answer.status().as_u16() == 200 => return Ok(()),
                Ok(Ok(answer)) => last = format!("HTTP {}", answer.status()),
                Ok(Err(e)) if e.is_connect() => last = "connection refused".into(),
                Ok(Err(e)) => last = super::super::sse::describe(&e),
            }
            if Instant::now() + pause >= deadline {
                sleep(deadline.saturating_duration_since(Instant::now())).await;
                return Err(last);
            }
            sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    fn stopped(&mut self) {
        launch::note(&mut self.plan.log, "stopped");
        self.state.send_modify(|s| {
            s.status = LocalStatus::Stopped;
            s.pid = None;
        });
    }
}

/// Publishes a final failure.
fn fail(state: &watch::Sender<LocalState>, error: LocalError) {
    state.send_modify(|s| {
        s.status = LocalStatus::Failed(error);
        s.pid = None;
    });
}

/// Marks the state failed if the supervisor ends without an outcome (it panicked).
struct Outcome(Arc<watch::Sender<LocalState>>, String);

impl Drop for Outcome {
    fn drop(&mut self) {
        self.0.send_if_modified(|s| {
            let open = matches!(
                s.status,
                LocalStatus::Starting | LocalStatus::Ready | LocalStatus::Restarting { .. }
            );
            if open {
                s.status = LocalStatus::Failed(LocalError::Spawn {
                    name: self.1.clone(),
                    program: String::new(),
                    message: "the supervisor stopped unexpectedly".into(),
                });
                s.pid = None;
            }
            open
        });
    }
}

/// SIGTERM to the server's group, then SIGKILL if it has not exited after `grace`.
async fn terminate(child: &mut Child, grace: Duration) {
    let pid = child.id();
    signal_group(pid, libc::SIGTERM);
    if timeout(grace, child.wait()).await.is_err() {
        signal_group(pid, libc::SIGKILL);
        let _ = child.wait().await;
    }
    // Anything the server started and left behind.
    signal_group(pid, libc::SIGKILL);
}

/// Sends `signal` to the process group led by `pid` (the server is its leader).
fn signal_group(pid: Option<u32>, signal: libc::c_int) {
    let Some(pid) = pid.and_then(|pid| libc::pid_t::try_from(pid).ok()) else {
        return;
    };
    // SAFETY: kill has no memory preconditions; a group that is gone gives ESRCH, ignored.
    unsafe {
        libc::kill(-pid, signal);
    }
}

/// On Linux, the server gets SIGKILL when the thread that spawned it (this supervisor's)
/// ends, so killing warroom outright does not leave it running.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe calls
    // (prctl, getppid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if u32::try_from(libc::getppid()).ok() != Some(parent) {
                return Err(std::io::Error::other(
                    "warroom exited while starting the server",
                ));
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn exit_text(status: std::io::Result<ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            _ => status.to_string(),
        },
        Err(e) => format!("cannot wait for it: {e}"),
    }
}
