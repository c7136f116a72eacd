//! How a command ended, and how that reads for a model ([`ExecResult::to_tool_output`]) and
//! for a person ([`ExecResult::summary`]).

use std::time::Duration;

use crate::core::tools::ToolOutput;

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// The exit code, when it exited by itself.
    pub exit_code: Option<i32>,
    /// The signal that ended it (9 after a timeout, a limit, or too many processes). In the
    /// sandbox, an exit code of 129..=159 is read as signal code - 128, the way bwrap and
    /// shells report a killed child.
    pub signal: Option<i32>,
    /// Whether the wall-clock timeout ended it.
    pub timed_out: bool,
    /// Standard output, capped (see [`Limits::output_bytes`]).
    pub stdout: String,
    /// Standard error, capped, followed by warroom's own notes (a limit that ended it).
    pub stderr: String,
    /// Bytes of output left out of `stdout` and `stderr`.
    pub omitted_bytes: u64,
    /// Wall-clock time from start to end.
    pub duration: Duration,
    /// Whether it ran inside the sandbox.
    pub sandboxed: bool,
}

impl ExecResult {
    /// Whether the command exited with 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    /// One line for the person: `exit 0 in 1.2 s`, `killed after 120 s timeout`,
    /// `killed by signal 9 (limits)`.
    pub fn summary(&self) -> String {
        let took = seconds(self.duration);
        if self.timed_out {
            return format!("killed after {took} timeout");
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit {code} in {took}"),
            (None, Some(signal)) => match signal {
                libc::SIGKILL => "killed by signal 9 (limits)".to_string(),
                libc::SIGXCPU => format!("killed by signal {signal} (CPU time limit)"),
                libc::SIGXFSZ => format!("killed by signal {signal} (file size limit)"),
                _ => format!("killed by signal {signal}"),
            },
            (None, None) => format!("ended without a status after {took}"),
        }
    }

    /// The result as a model sees it: the status line, then the trimmed output of each
    /// stream that said something.
    pub fn to_tool_output(&self) -> ToolOutput {
        let summary = self.summary();
        let mut content = summary.clone();
        if !self.sandboxed {
            content.push_str(" (ran without a sandbox)");
        }
        content.push('\n');
        let mut said = false;
        for (name, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let text = text.trim_end().trim_start_matches(['\n', '\r']);
            if !text.is_empty() {
                content.push_str(&format!("--- {name} ---\n{text}\n"));
                said = true;
            }
        }
        if !said {
            content.push_str("(no output)\n");
        }
        ToolOutput {
            ok: self.success(),
            content,
            summary,
            exit_code: self.exit_code,
        }
    }
}

/// `1.2 s` under ten seconds, `120 s` above.
fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else {
        format!("{secs:.0} s")
    }
}
