//! warroom's own diagnostics (tracing) go to a daily-rotated file in the user's state folder,
//! never to the terminal, which belongs to the UI. The filter comes from `WARROOM_LOG`, then
//! `RUST_LOG`, then `[log] level`. The folder is created private (0700) and the process umask
//! makes the files 0600. Every line passes through `credentials::redact` before it is written,
//! so an `Authorization` header or a key-shaped string never reaches the file. Domain events
//! are not logged here; they live in the event log.

use std::io::Write;
use std::path::PathBuf;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Keeps the background log writer alive; drop it last to flush.
pub struct LogGuard {
    _guard: WorkerGuard,
    /// The folder the log files are written to.
    pub dir: PathBuf,
}

/// The folder that holds warroom's log files.
pub fn log_dir() -> Option<PathBuf> {
    crate::paths::user_state_dir().map(|d| d.join("logs"))
}

/// Installs the file logger. Returns `None` (and logs nothing) when no state folder can be
/// found or created: losing diagnostics must not stop the war room.
pub fn init(config: &LogConfig) -> Result<LogGuard, String> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = log_dir().ok_or("neither XDG_STATE_HOME nor HOME is set")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot create the log folder {}: {e}", dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("warroom")
        .filename_suffix("log")
        .max_log_files(config.keep_files)
        .build(&dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(Redacting(appender));
    let filter = std::env::var("WARROOM_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(&config.level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))?;
    Ok(LogGuard { _guard: guard, dir })
}

/// Masks keys in everything written through it. tracing's formatter writes one whole event
/// per call, so a key is never split across two writes.
struct Redacting<W>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(crate::core::llm::credentials::redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_before_they_reach_the_file() {
        let mut out = Redacting(Vec::new());
        out.write_all(b"request failed: Authorization: Bearer sk-abc123def456ghi789jkl012 sent\n")
            .unwrap();
        let text = String::from_utf8(out.0).unwrap();
        assert!(!text.contains("sk-abc123def456ghi789jkl012"), "{text}");
        assert!(text.contains("request failed"), "{text}");
    }
}
