//! The verifier's hands: running the detected test command in the run's worktree (sandboxed,
//! limited, streamed to the logs), parsing its results into test names, and recording each run
//! as `TestsRan`. The verdict itself is `verdict.rs`, a pure function.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::shared::{Shared, lock};
use super::verdict::TestRun;
use crate::core::tools::exec::{self, CommandSpec, ExecResult, Limits};
use crate::core::tools::testparse;
use crate::core::tools::{ToolError, ToolOutput, Workspace};
use crate::protocol::{AgentId, Event, ToolCallId};

/// How much failure output a model gets back.
const EXCERPT_BYTES: usize = 6000;

/// One test run with what a model needs from it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TestsOutcome {
    /// Exit code and parsed names.
    pub run: TestRun,
    /// The part of the output that explains the failures.
    pub excerpt: String,
    /// The command line.
    pub command: String,
}

impl TestsOutcome {
    /// What the `run_tests` tool answers.
    pub fn tool_output(&self) -> ToolOutput {
        let status = match (self.run.exit_code, self.run.timed_out) {
            (_, true) => "the tests did not finish before the time limit".to_string(),
            (Some(0), _) => "all tests passed".to_string(),
            (Some(code), _) => format!("the test command exited {code}"),
            (None, _) => "the test command was killed".to_string(),
        };
        let failed: Vec<&str> = self.run.failed.iter().map(String::as_str).collect();
        let mut content = format!(
            "$ {}\n{status}; {} passed, {} failed",
            self.command,
            self.run.passed.len(),
            failed.len()
        );
        if !failed.is_empty() {
            content.push_str(&format!("\nfailed: {}", failed.join(", ")));
        }
        if !self.excerpt.trim().is_empty() && !self.run.succeeded() {
            content.push_str("\n\n");
            content.push_str(&self.excerpt);
        }
        ToolOutput {
            ok: self.run.succeeded(),
            summary: format!(
                "{status}: {} passed, {} failed",
                self.run.passed.len(),
                failed.len()
            ),
            content,
            exit_code: self.run.exit_code,
        }
    }
}

/// The sandbox limits from `[sandbox]`.
pub fn limits(shared: &Shared) -> Limits {
    let s = &shared.env.config.sandbox;
    Limits {
        cpu_secs: s.cpu_secs,
        memory_bytes: s.memory_mb.saturating_mul(1024 * 1024),
        file_size_bytes: s.file_size_mb.saturating_mul(1024 * 1024),
        processes: s.processes,
        timeout: Duration::from_secs(s.timeout_secs),
        output_bytes: s.output_kb.saturating_mul(1024),
    }
}

/// A command line run in the worktree with the run's limits; `network` when the person
/// approved a command that needs it.
pub fn command_spec(shared: &Shared, ws: &Workspace, line: &str, network: bool) -> CommandSpec {
    CommandSpec {
        line: line.to_string(),
        cwd: ws.root().to_path_buf(),
        // Python's bytecode cache would otherwise land in the worktree: its `.pyc` files end up
        // in the patch, and a fix written within the same second as the last run, with the
        // same size, is judged on the stale bytecode (the cache is keyed on whole seconds).
        env: tool_env(),
        network,
        writable: Vec::new(),
        limits: limits(shared),
    }
}

/// The variables commands get besides the sandbox's clean set: no bytecode caches, and where
/// rustup and cargo live (the command's HOME is private, so their wrappers would not find the
/// toolchain otherwise).
fn tool_env() -> Vec<(String, String)> {
    let mut env = vec![("PYTHONDONTWRITEBYTECODE".to_string(), "1".to_string())];
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    for (var, default) in [("RUSTUP_HOME", ".rustup"), ("CARGO_HOME", ".cargo")] {
        let value = std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(default)))
            .filter(|p| p.is_dir());
        if let Some(path) = value {
            env.push((var.to_string(), path.to_string_lossy().into_owned()));
        }
    }
    env
}

/// Runs `spec`, streaming its output as `ToolOutputDelta` events of call `id`.
pub async fn exec_streaming(
    shared: &Arc<Shared>,
    agent: AgentId,
    id: ToolCallId,
    spec: &CommandSpec,
) -> Result<ExecResult, ToolError> {
    let (tx, mut rx) = mpsc::channel(256);
    let forward = {
        let shared = Arc::clone(shared);
        tokio::spawn(async move {
            while let Some((stream, text)) = rx.recv().await {
                shared
                    .emit(Event::ToolOutputDelta {
                        call: id,
                        agent,
                        stream,
                        text,
                    })
                    .await;
            }
        })
    };
    let sandbox = Arc::clone(&shared.env.sandbox);
    let result = exec::run(spec, &sandbox, tx).await;
    let _ = forward.await;
    result
}

/// Runs the detected test command as `agent`, records `TestsRan` labelled `label`.
pub async fn run_tests(
    shared: &Arc<Shared>,
    agent: AgentId,
    label: &str,
) -> Result<TestsOutcome, ToolError> {
    let ws = shared
        .workspace()
        .ok_or_else(|| ToolError::Command("the run's worktree is not ready".into()))?;
    let (line, framework) = {
        let profile = lock(&shared.profile);
        let test = profile
            .as_ref()
            .and_then(|p| p.test.clone())
            .ok_or_else(|| {
                ToolError::Command("no test command is known for this repository".into())
            })?;
        (test.line, test.framework)
    };
    let spec = command_spec(shared, &ws, &line, false);
    let id = shared.next_tool_call();
    let result = exec_streaming(shared, agent, id, &spec).await?;
    let report = testparse::parse(framework, &result.stdout, &result.stderr);
    let run = TestRun {
        exit_code: result.exit_code,
        timed_out: result.timed_out,
        passed: report.passed,
        failed: report.failed,
    };
    // Paths relative to the worktree: what the model's tools take, and the same from run to
    // run (a recording replays).
    let root = format!("{}/", ws.root().display());
    let excerpt = testparse::failure_excerpt(&result.stdout, &result.stderr, EXCERPT_BYTES)
        .replace(&root, "");
    shared
        .emit(Event::TestsRan {
            agent,
            label: label.to_string(),
            command: line.clone(),
            exit_code: run.exit_code,
            passed: run.passed.iter().cloned().collect(),
            failed: run.failed.iter().cloned().collect(),
            duration_ms: u64::try_from(result.duration.as_millis()).unwrap_or(u64::MAX),
        })
        .await;
    Ok(TestsOutcome {
        run,
        excerpt,
        command: line,
    })
}
