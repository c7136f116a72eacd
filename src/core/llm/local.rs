//! The managed local model (`kind = "local"`): warroom starts the configured server command
//! (llama.cpp's `llama-server`, or any OpenAI-compatible server) on 127.0.0.1, waits for its
//! health check, restarts it when it dies, stops it with warroom, and keeps its output in a
//! private log file. [`LocalModel`] is that supervised process; [`LocalProvider`] serves chat
//! requests through it as an OpenAI-compatible provider with text tool calls on.
//!
//! `launch.rs` turns the command into words, picks the port and owns the log file;
//! `supervisor.rs` is the thread that runs and watches the server; `provider.rs` talks to it;
//! `error.rs` words what went wrong. Nothing here reads the config files or knows of the router.

mod error;
mod launch;
mod provider;
mod supervisor;

pub use error::{LocalError, LogTail};
pub use launch::find_program;
pub use provider::LocalProvider;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{oneshot, watch};

use super::openai::OpenAiSettings;
use super::{LlmError, credentials};
use crate::config::ProviderConfig;

/// How to run and watch one local server, and how to talk to it once it is up.
#[derive(Debug, Clone)]
pub struct LocalSettings {
    /// The provider's name from config (in errors, events, the log file's name).
    pub name: String,
    /// The command line, with `{model}` and `{port}` placeholders.
    pub command: String,
    /// The model file for `{model}`.
    pub model: Option<PathBuf>,
    /// The port for `{port}`; 0 picks a free one once, kept across restarts.
    pub port: u16,
    /// The path that answers 200 once the model is loaded.
    pub health_path: String,
    /// How long one start may take to become healthy.
    pub startup_timeout: Duration,
    /// Where the server's stdout and stderr go (created 0600).
    pub log_file: PathBuf,
    /// How long the server has to exit after SIGTERM before it gets SIGKILL.
    pub stop_grace: Duration,
    /// The wait before the first restart; doubled for each failure in a row.
    pub restart_backoff: Duration,
    /// The longest wait before a restart.
    pub max_restart_backoff: Duration,
    /// Failures in a row (failed restarts, or deaths sooner than `stable_after` after becoming
    /// ready) after which the supervisor gives up: a crash loop.
    pub max_restarts: u32,
    /// A run at least this long clears the count of failures in a row.
    pub stable_after: Duration,
    /// How to talk to the server; its `base_url` is replaced by the server's own.
    pub client: OpenAiSettings,
}

impl LocalSettings {
    /// Settings for `command` with the defaults: a free port, `/health`, 120 s to start, 5 s
    /// grace, restarts after 0.5 s doubling to 30 s, a crash loop after 5 failures in a row
    /// (a run of 60 s clears them), and text tool calls on.
    pub fn new(name: impl Into<String>, command: impl Into<String>, log_file: PathBuf) -> Self {
        let name = name.into();
        let mut client = OpenAiSettings::new(name.clone(), "http://127.0.0.1:0/v1");
        client.text_tool_calls = true;
        LocalSettings {
            command: command.into(),
            model: None,
            port: 0,
            health_path: ProviderConfig::HEALTH_PATH.into(),
            startup_timeout: Duration::from_millis(ProviderConfig::STARTUP_TIMEOUT_MS),
            log_file,
            stop_grace: Duration::from_secs(5),
            restart_backoff: Duration::from_millis(500),
            max_restart_backoff: Duration::from_secs(30),
            max_restarts: 5,
            stable_after: Duration::from_secs(60),
            client,
            name,
        }
    }

    /// Settings for `[providers.NAME]` of kind `local`: its keys, its key (if it names one,
    /// for a server started with `--api-key`), and its log file (default
    /// `<state dir>/logs/local-NAME.log`). `~/` in paths is the home folder.
    pub fn from_config(name: &str, provider: &ProviderConfig) -> Result<Self, LlmError> {
        let config = |message: String| LlmError::Config(format!("provider {name}: {message}"));
        let command = provider.command.clone().ok_or_else(|| {
            config(
                "a \"local\" provider needs command = \"...\" (the server's command line)".into(),
            )
        })?;
        let log_file = match &provider.log_file {
            Some(path) => launch::expand_home(path),
            None => crate::logging::log_dir()
                .ok_or_else(|| {
                    config(
                        "neither XDG_STATE_HOME nor HOME is set, so there is no default log \
                         file; set log_file"
                            .into(),
                    )
                })?
                .join(format!("local-{name}.log")),
        };
        let mut settings = LocalSettings::new(name, command, log_file);
        settings.model = provider.model.as_deref().map(launch::expand_home);
        settings.port = provider.port.unwrap_or(0);
        settings.health_path = provider.health_path().to_string();
        settings.startup_timeout = provider.startup_timeout();
        let client = &mut settings.client;
        client.connect_timeout = provider.connect_timeout();
        client.first_byte_timeout = provider.first_byte_timeout();
        client.idle_timeout = provider.idle_timeout();
        client.text_tool_calls = provider.text_tool_calls();
        client.key_source = credentials::describe_source(provider);
        client.api_key = credentials::resolve(name, provider)?.map(|key| key.expose().to_string());
        Ok(settings)
    }
}

impl LocalSettings {
    /// The command's words with the model filled in and `{port}` left as it is (for checks
    /// that run nothing, like `warroom doctor`'s).
    pub fn words(&self) -> Result<Vec<String>, String> {
        // A stand-in the port placeholder cannot collide with, put back afterwards.
        let command = self.command.replace("{port}", "\u{1}");
        let words = launch::command_words(&command, self.model.as_deref(), 0)?;
        Ok(words
            .into_iter()
            .map(|w| w.replace('\u{1}', "{port}"))
            .collect())
    }
}

/// Where the server is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalStatus {
    /// Started for the first time, not healthy yet.
    Starting,
    /// Answering its health check.
    Ready,
    /// It died or a restart failed; waiting to start it again.
    Restarting {
        /// Failures in a row so far.
        in_a_row: u32,
        /// What went wrong last.
        last: String,
    },
    /// It could not be started, or it crashed too often: nothing runs.
    Failed(LocalError),
    /// Stopped on purpose.
    Stopped,
}

/// What the supervisor publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalState {
    /// Where the server is in its life.
    pub status: LocalStatus,
    /// The running server's process id (also its process group's).
    pub pid: Option<u32>,
    /// How many times it was started again after the first start.
    pub restarts: u32,
    /// Counts starts; a request that failed against one start can tell a newer one.
    pub generation: u64,
}

/// A supervised local server. Starting it returns at once; [`LocalModel::ready`] waits for
/// its health check. Dropping it stops the server and everything it started (SIGTERM to its
/// process group, SIGKILL after the grace period); dropping blocks for at most that long.
pub struct LocalModel {
    name: String,
    port: u16,
    log_file: PathBuf,
    state: Arc<watch::Sender<LocalState>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LocalModel {
    /// Checks the settings (command, model file, log file, port) and starts the supervisor,
    /// which starts the server. Fails at once when the settings cannot work.
    pub fn spawn(settings: LocalSettings) -> Result<LocalModel, LocalError> {
        let setup = |message: String| LocalError::Setup {
            name: settings.name.clone(),
            message,
        };
        if let Some(model) = &settings.model {
            if settings.command.contains("{model}") && !model.is_file() {
                return Err(setup(format!(
                    "the model file {} does not exist (it is the model of [providers.{}])",
                    model.display(),
                    settings.name
                )));
            }
        }
        let port = match settings.port {
            0 => launch::free_port()
                .map_err(|e| setup(format!("cannot find a free port on 127.0.0.1: {e}")))?,
            port => port,
        };
        let words = launch::command_words(&settings.command, settings.model.as_deref(), port)
            .map_err(setup)?;
        let log = launch::open_log(&settings.log_file).map_err(|e| {
            setup(format!(
                "cannot open its log file {}: {e}",
                settings.log_file.display()
            ))
        })?;
        let state = Arc::new(watch::Sender::new(LocalState {
            status: LocalStatus::Starting,
            pid: None,
            restarts: 0,
            generation: 0,
        }));
        let (stop, stopped) = oneshot::channel();
        let name = settings.name.clone();
        let log_file = settings.log_file.clone();
        let plan = supervisor::Plan {
            settings,
            words,
            port,
            log,
        };
        let published = state.clone();
        let thread = std::thread::Builder::new()
            .name(format!("local-{name}"))
            .spawn(move || supervisor::run(plan, published, stopped))
            .map_err(|e| LocalError::Spawn {
                name: name.clone(),
                program: String::new(),
                message: format!("cannot start its supervisor thread: {e}"),
            })?;
        Ok(LocalModel {
            name,
            port,
            log_file,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Waits until the server answers its health check (`Ok`) or the supervisor gives up
    /// (the error says why, with the log's last lines). Never longer than the startup timeout
    /// (times the restarts it takes).
    pub async fn ready(&self) -> Result<(), LocalError> {
        let mut states = self.state.subscribe();
        let state = states
            .wait_for(|s| {
                matches!(
                    s.status,
                    LocalStatus::Ready | LocalStatus::Failed(_) | LocalStatus::Stopped
                )
            })
            .await;
        match state.as_deref().map(|s| &s.status) {
            Ok(LocalStatus::Ready) => Ok(()),
            Ok(LocalStatus::Failed(error)) => Err(error.clone()),
            _ => Err(LocalError::Stopped {
                name: self.name.clone(),
            }),
        }
    }

    /// Waits up to `within` for a start newer than `generation`, or for the server to stop
    /// being ready; whether one came.
    pub async fn left_generation(&self, generation: u64, within: Duration) -> bool {
        let mut states = self.state.subscribe();
        let changed = states
            .wait_for(|s| s.generation != generation || !matches!(s.status, LocalStatus::Ready));
        matches!(tokio::time::timeout(within, changed).await, Ok(Ok(_)))
    }

    /// What the supervisor last published.
    pub fn state(&self) -> LocalState {
        self.state.borrow().clone()
    }

    /// A receiver of every change (for a status line).
    pub fn subscribe(&self) -> watch::Receiver<LocalState> {
        self.state.subscribe()
    }

    /// The running server's process id.
    pub fn pid(&self) -> Option<u32> {
        self.state.borrow().pid
    }

    /// How many times the server was started again.
    pub fn restarts(&self) -> u32 {
        self.state.borrow().restarts
    }

    /// The provider's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The port the server listens on (fixed for the supervisor's life).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's OpenAI-compatible API: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Where the server's output goes.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Stops the server and waits until it is gone (what dropping does).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!(name = %self.name, "the local model's supervisor panicked");
            }
        }
    }
}

impl Drop for LocalModel {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("name", &self.name)
            .field("port", &self.port)
            .field("state", &*self.state.borrow())
            .finish()
    }
}
