//! Running the `git` program for worktrees and patches: one place that sets the flags and the
//! environment every call needs (no pager, no prompts, no hooks, no inherited `GIT_DIR`, no
//! discovery above the folder it is given) and turns a failure into words that name the
//! command, the folder and what git said. Knows nothing of runs or patches.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What a successful git call printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitOutput {
    /// Its standard output, as bytes (paths may not be UTF-8).
    pub stdout: Vec<u8>,
    /// Its standard error (warnings on success).
    pub stderr: String,
}

impl GitOutput {
    /// Standard output as text, lossily, without the final newline.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).trim_end().to_string()
    }
}

/// A git call that could not start or exited non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitFailure {
    /// The command line, as a person would type it.
    pub command: String,
    /// The folder it ran in.
    pub dir: PathBuf,
    /// Git's standard error (or why it could not start).
    pub message: String,
    /// Whether git ran at all (false: not installed, not executable).
    pub started: bool,
}

/// Runs `git -C dir --no-pager <args>`, feeding `input` on standard input.
///
/// Discovery stops at `dir`'s parent (`GIT_CEILING_DIRECTORIES`), so a plain folder inside
/// someone else's repository is treated as the plain folder it is, never as that repository.
pub(crate) fn run(
    dir: &Path,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<GitOutput, GitFailure> {
    let command_line = format!("git {}", args.join(" "));
    let failure = |message: String, started: bool| GitFailure {
        command: command_line.clone(),
        dir: dir.to_path_buf(),
        message,
        started,
    };
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        .arg("--no-pager")
        // The person's hooks belong to the person's checkout, not to warroom's calls.
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        // Git's messages are parsed (conflicting paths); keep them in one language.
        .env("LC_ALL", "C")
        .env_remove("LANGUAGE")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_COMMON_DIR",
        "GIT_PREFIX",
    ] {
        command.env_remove(var);
    }
    if let Some(parent) = dir.parent() {
        command.env("GIT_CEILING_DIRECTORIES", parent);
    }
    let mut child = command
        .spawn()
        .map_err(|e| failure(format!("cannot start git: {e}"), false))?;
    // Written from another thread so a large diff cannot deadlock against git's output.
    let writer = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&bytes)))
        }
        _ => None,
    };
    let output = child
        .wait_with_output()
        .map_err(|e| failure(format!("git did not finish: {e}"), true))?;
    if let Some(writer) = writer {
        // A git that stopped reading early reports its own error below; a broken pipe adds
        // nothing to it.
        let _ = writer.join();
    }
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if !output.status.success() {
        let message = if stderr.is_empty() {
            format!("exited with {}", output.status)
        } else {
            stderr
        };
        return Err(failure(message, true));
    }
    Ok(GitOutput {
        stdout: output.stdout,
        stderr,
    })
}

/// Splits `-z` output into its NUL-terminated fields.
pub(crate) fn nul_fields(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|field| !field.is_empty())
        .map(|field| String::from_utf8_lossy(field).into_owned())
        .collect()
}
