//! How a managed local server is launched: its command line split into words (as a POSIX shell
//! would, but no shell runs it) with `{model}` and `{port}` filled in per word, a free port on
//! 127.0.0.1, the private log file its output goes to, and the tail of that log for error
//! messages. Knows nothing of supervision or HTTP.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

/// How many lines of the log an error message shows.
pub const TAIL_LINES: usize = 15;

/// The program and its arguments, placeholders filled in. A placeholder is replaced inside a
/// word, so a model path with spaces stays one argument.
pub fn command_words(
    command: &str,
    model: Option<&Path>,
    port: u16,
) -> Result<Vec<String>, String> {
    let words = shlex::split(command).ok_or_else(|| {
        format!("command `{command}` has an unclosed quote or a trailing backslash")
    })?;
    if words.is_empty() {
        return Err("command is empty".into());
    }
    let port = port.to_string();
    words
        .into_iter()
        .map(|word| {
            let word = word.replace("{port}", &port);
            if !word.contains("{model}") {
                return Ok(word);
            }
            let model = model.ok_or_else(|| {
                format!("command `{command}` names {{model}} but no model file is configured")
            })?;
            let model = model
                .to_str()
                .ok_or_else(|| format!("the model path {} is not valid UTF-8", model.display()))?;
            Ok(word.replace("{model}", model))
        })
        .collect()
}

/// The words as one line a person could paste into a shell.
pub fn display_words(words: &[String]) -> String {
    shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "))
}

/// A port on 127.0.0.1 that nothing listens on right now. Another process may take it before
/// the server binds it; the server then fails to start and says so in its log.
pub fn free_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

pub use crate::paths::find_program;

/// `~/rest` under `$HOME`; any other path as it is.
pub fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

/// Opens (creating it and its folder) the server's log for appending, private to the user:
/// the folder 0700 when created, the file 0600 even if it existed with a wider mode.
pub fn open_log(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Appends one line of warroom's own to the server's log (start, exit, restart).
pub fn note(log: &mut File, line: &str) {
    // Losing a note in the log must not stop the server; the error says what matters.
    let _ = writeln!(log, "--- warroom: {line}");
}

/// The last `lines` lines written to the log at or after byte `from`, each indented, with
/// key-shaped text masked; a placeholder when there are none.
pub fn log_tail(path: &Path, from: u64, lines: usize) -> String {
    const MOST: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return "    (the log cannot be read)".into();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = from.max(len.saturating_sub(MOST)).min(len);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return "    (the log cannot be read)".into();
    }
    let text = String::from_utf8_lossy(&bytes);
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    if kept.is_empty() {
        return "    (the server wrote nothing)".into();
    }
    kept[kept.len().saturating_sub(lines)..]
        .iter()
        .map(|line| format!("    {}", super::super::credentials::redact(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_fill_words_and_keep_spaces_in_one_word() {
        let words = command_words(
            "llama-server -m {model} --port {port} --alias 'my model'",
            Some(Path::new("/m/with space.gguf")),
            8081,
        )
        .unwrap();
        assert_eq!(
            words,
            [
                "llama-server",
                "-m",
                "/m/with space.gguf",
                "--port",
                "8081",
                "--alias",
                "my model"
            ]
        );
        assert_eq!(
            display_words(&words[..3]),
            "llama-server -m '/m/with space.gguf'"
        );
        assert!(
            command_words("serve {model}", None, 1)
                .unwrap_err()
                .contains("no model file")
        );
        assert!(
            command_words("serve 'x", None, 1)
                .unwrap_err()
                .contains("unclosed")
        );
        assert!(command_words("  ", None, 1).is_err());
    }

    #[test]
    fn log_is_private_and_its_tail_starts_where_told() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/local-x.log");
        let mut log = open_log(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        writeln!(log, "old run").unwrap();
        let from = std::fs::metadata(&path).unwrap().len();
        assert_eq!(log_tail(&path, from, 5), "    (the server wrote nothing)");
        for i in 0..30 {
            writeln!(
                log,
                "line {i} Authorization: Bearer sk-abcdefghijklmnopqrstuv"
            )
            .unwrap();
        }
        let tail = log_tail(&path, from, 3);
        assert_eq!(tail.lines().count(), 3);
        assert!(tail.starts_with("    line 27"));
        assert!(!tail.contains("sk-abc") && !tail.contains("old run"));
    }

    #[test]
    fn programs_are_found_by_path_or_on_path() {
        assert!(find_program("sh").is_some());
        assert!(find_program("/bin/sh").is_some());
        assert!(find_program("/nonexistent/server").is_none());
        assert!(find_program("no-such-program-warroom").is_none());
        assert!(free_port().unwrap() > 0);
    }
}
