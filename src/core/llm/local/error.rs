//! Why a managed local server is not serving, in words a person can act on: which provider,
//! what happened, and the last lines the server wrote. Pure data.

use std::path::PathBuf;
use std::time::Duration;

/// Why a local server is not serving. Every message says which provider, what happened and,
/// when the server said something, the last lines of its log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalError {
    /// The settings cannot work (a bad command, a missing model file, an unusable log file).
    #[error("local model {name}: {message}")]
    Setup {
        /// The provider.
        name: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The program could not be started at all.
    #[error("local model {name}: cannot start `{program}`: {message}")]
    Spawn {
        /// The provider.
        name: String,
        /// The program.
        program: String,
        /// The operating system's reason.
        message: String,
    },
    /// The server exited (before it was ready, or after).
    #[error("local model {name}: the server exited ({status}){log}")]
    Exited {
        /// The provider.
        name: String,
        /// Its exit code or signal.
        status: String,
        /// What it wrote last.
        log: Box<LogTail>,
    },
    /// The server did not pass its health check in time.
    #[error(
        "local model {name}: {url} did not answer 200 within {} ms (last: {last}){log}",
        after.as_millis()
    )]
    Unhealthy {
        /// The provider.
        name: String,
        /// The health URL.
        url: String,
        /// How long it had.
        after: Duration,
        /// What the health check last got.
        last: String,
        /// What it wrote last.
        log: Box<LogTail>,
    },
    /// It failed too many times in a row; the supervisor gave up.
    #[error("local model {name}: gave up after {failures} failures in a row; the last: {last}")]
    CrashLoop {
        /// The provider.
        name: String,
        /// Failures in a row.
        failures: u32,
        /// The last failure, in words.
        last: String,
    },
    /// It was stopped.
    #[error("local model {name}: stopped")]
    Stopped {
        /// The provider.
        name: String,
    },
}

impl LocalError {
    /// The first line of the message (without the log's lines).
    pub fn headline(&self) -> String {
        self.to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    }
}

/// The last lines a server wrote to its log, for an error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTail {
    /// The log file.
    pub path: PathBuf,
    /// Its last lines, indented; empty when they are not worth showing.
    pub lines: String,
}

/// "; the last lines of PATH:\n    ..." (or nothing when there are no lines).
impl std::fmt::Display for LogTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.lines.is_empty() {
            Ok(())
        } else {
            write!(
                f,
                "; the last lines of {}:\n{}",
                self.path.display(),
                self.lines
            )
        }
    }
}
