//! What each log-pane event says in one line of words: "tool cargo test ok (exit 0, 2.1s)",
//! "approval 3 asked: run `rm -rf target` (outside the worktree)", "tests ran (baseline): 41
//! passed, 1 failed: parse_dates". The raw words may hold escape sequences or be huge;
//! cleaning and cutting them is the logs view's job. Pure.

use std::borrow::Cow;

use crate::protocol::{
    ApprovalSubject, CallOutcome, Decision, Event, LlmCallId, LogLevel, OutputStream,
};

use crate::store::diff_line_counts;

use super::super::format;

/// An event as a log line, before cleaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Described<'a> {
    /// Its severity.
    pub level: LogLevel,
    /// Its words.
    pub text: Cow<'a, str>,
    /// The model call whose streamed deltas join one line.
    pub stream: Option<LlmCallId>,
}

/// The log line for `event`, `None` for events the logs pane does not show.
pub fn describe(event: &Event) -> Option<Described<'_>> {
    let level = event.log_level()?;
    let mut stream = None;
    let text: Cow<'_, str> = match event {
        Event::LogLine { text, .. } => Cow::Borrowed(text),
        Event::ErrorRaised {
            source, message, ..
        } => Cow::Owned(format!("{source}: {message}")),
        Event::ToolOutputDelta {
            stream: OutputStream::Stdout,
            text,
            ..
        } => Cow::Borrowed(text),
        Event::ToolOutputDelta { text, .. } => Cow::Owned(format!("stderr: {text}")),
        Event::LlmDelta { call, text, .. } => {
            stream = Some(*call);
            Cow::Borrowed(text)
        }
        Event::LlmCallBegan {
            call,
            provider,
            model,
            ..
        } => Cow::Owned(format!("model call {call} to {provider}/{model}")),
        Event::LlmCallEnded {
            call,
            input_tokens,
            output_tokens,
            cost_usd,
            latency_ms,
            cache_hit,
            outcome,
            ..
        } => Cow::Owned(match outcome {
            CallOutcome::Ok => format!(
                "model call {call} done: {} in, {} out, {}, {}{}",
                format::tokens(*input_tokens),
                format::tokens(*output_tokens),
                format::dollars(*cost_usd),
                format::millis(*latency_ms),
                if *cache_hit { ", from cache" } else { "" }
            ),
            CallOutcome::Failed { error } => format!("model call {call} failed: {error}"),
            CallOutcome::Cancelled => format!("model call {call} cancelled"),
        }),
        Event::LlmRetried {
            call,
            provider,
            attempt,
            delay_ms,
            reason,
            ..
        } => Cow::Owned(format!(
            "model call {call}: {reason}; attempt {attempt} on {provider} in {delay_ms} ms"
        )),
        Event::LlmFellBack {
            call,
            from,
            to,
            reason,
            ..
        } => Cow::Owned(format!("model call {call}: {from} -> {to} ({reason})")),
        Event::ToolCallBegan { tool, args, .. } => Cow::Owned(format!("tool {tool} {args}")),
        Event::ToolCallEnded {
            call,
            ok,
            exit_code,
            duration_ms,
            summary,
            ..
        } => {
            let exit = exit_code.map_or(String::new(), |c| format!("exit {c}, "));
            Cow::Owned(format!(
                "tool call {call} {} ({exit}{}): {summary}",
                if *ok { "ok" } else { "failed" },
                format::millis(*duration_ms)
            ))
        }
        Event::ApprovalRequested {
            approval, subject, ..
        } => Cow::Owned(match subject {
            ApprovalSubject::Command { command, reason } => {
                format!("approval {approval} asked: run `{command}` ({reason})")
            }
            ApprovalSubject::Patch { diff, files } => {
                let (added, removed) = diff_line_counts(diff);
                format!(
                    "approval {approval} asked: apply a patch (+{added} -{removed}) to {}",
                    list(files, "file")
                )
            }
        }),
        Event::ApprovalDecided {
            approval,
            decision,
            by,
        } => Cow::Owned(match decision {
            Decision::Approved => format!("approval {approval} approved by {by}"),
            Decision::Denied { reason } if reason.is_empty() => {
                format!("approval {approval} denied by {by}")
            }
            Decision::Denied { reason } => {
                format!("approval {approval} denied by {by}: {reason}")
            }
            Decision::ApprovedEdited { command } => {
                format!("approval {approval} approved by {by}, edited to run `{command}`")
            }
            Decision::ApprovedPartial { diff } => format!(
                "approval {approval} approved in part by {by}: {} of its hunks",
                crate::hunks::parse(diff).units()
            ),
        }),
        Event::RunStarted { goal, .. } => Cow::Owned(format!("run started: {goal}")),
        Event::RunStateChanged { state, reason } if reason.is_empty() => {
            Cow::Owned(format!("run is {}", state.as_str()))
        }
        Event::RunStateChanged { state, reason } => {
            Cow::Owned(format!("run is {}: {reason}", state.as_str()))
        }
        Event::RunFinished { state, summary } => {
            Cow::Owned(format!("run finished, {}: {summary}", state.as_str()))
        }
        Event::ModelsChosen { summary } => Cow::Owned(format!("models: {summary}")),
        Event::RunResumed { after, interrupted } if interrupted.is_empty() => {
            Cow::Owned(format!("run resumed after event {after}"))
        }
        Event::RunResumed { after, interrupted } => Cow::Owned(format!(
            "run resumed after event {after}; interrupted: {}",
            interrupted.join(", ")
        )),
        Event::MemoryFlagged { memory, reason } => {
            Cow::Owned(format!("memory {memory} may be out of date: {reason}"))
        }
        Event::MemoryInjected {
            memories, tokens, ..
        } => Cow::Owned(format!(
            "memory injected ({tokens} tokens): {}",
            memories
                .iter()
                .map(|m| format!("#{m}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Event::ApprovalStale { approval, files } => Cow::Owned(format!(
            "approval {approval} is stale: {} changed since it was asked",
            list(files, "file")
        )),
        Event::AgentStalled { idle_ms, step, .. } => Cow::Owned(format!(
            "no progress for {}s: {}",
            idle_ms / 1000,
            match step {
                crate::protocol::StallStep::Warned => "warned",
                crate::protocol::StallStep::Retried => "cancelled the step and retried it",
                crate::protocol::StallStep::Escalated => "asking the person",
            }
        )),
        Event::FilesChanged { paths } => Cow::Owned(format!("changed {}", list(paths, "file"))),
        Event::RepoDetected {
            languages, test, ..
        } => Cow::Owned(format!(
            "repo detected: {}; tests: {}",
            if languages.is_empty() {
                "no known language".to_string()
            } else {
                languages.join(", ")
            },
            test.as_deref()
                .map_or("no test command".to_string(), |t| format!("`{t}`"))
        )),
        Event::TestsRan {
            label,
            exit_code,
            passed,
            failed,
            duration_ms,
            ..
        } => Cow::Owned(tests_ran(label, *exit_code, passed, failed, *duration_ms)),
        Event::PatchProposed {
            patch, diff, files, ..
        } => {
            let (added, removed) = diff_line_counts(diff);
            Cow::Owned(format!(
                "patch {patch} proposed (+{added} -{removed}) for {}",
                list(files, "file")
            ))
        }
        Event::PatchJudged {
            patch,
            verified: true,
            reason,
        } if reason.is_empty() => Cow::Owned(format!("patch {patch} verified")),
        Event::PatchJudged {
            patch,
            verified,
            reason,
        } => Cow::Owned(format!(
            "patch {patch} {}: {reason}",
            if *verified { "verified" } else { "rejected" }
        )),
        Event::PatchApplied { patch, files } => {
            Cow::Owned(format!("patch {patch} applied to {}", list(files, "file")))
        }
        Event::PatchRolledBack { patch } => Cow::Owned(format!("patch {patch} rolled back")),
        _ => Cow::Owned(event.kind().replace('_', " ")),
    };
    Some(Described {
        level,
        text,
        stream,
    })
}

/// "tests ran (baseline): 41 passed, 2 failed: a, b (exit 1, 3.2s)", naming at most three
/// failures.
fn tests_ran(
    label: &str,
    exit_code: Option<i32>,
    passed: &[String],
    failed: &[String],
    duration_ms: u64,
) -> String {
    const NAMED: usize = 3;
    let mut out = format!(
        "tests ran ({label}): {} passed, {} failed",
        passed.len(),
        failed.len()
    );
    if !failed.is_empty() {
        out.push_str(": ");
        out.push_str(
            &failed
                .iter()
                .take(NAMED)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
        if failed.len() > NAMED {
            out.push_str(&format!(" and {} more", failed.len() - NAMED));
        }
    }
    let exit = match exit_code {
        Some(code) => format!("exit {code}"),
        None => "killed".to_string(),
    };
    out.push_str(&format!(" ({exit}, {})", format::millis(duration_ms)));
    out
}

/// "3 files: a, b, c" with at most five names.
fn list(items: &[String], noun: &str) -> String {
    const SHOWN: usize = 5;
    let plural = if items.len() == 1 { "" } else { "s" };
    let mut out = format!("{} {noun}{plural}", items.len());
    if !items.is_empty() {
        out.push_str(": ");
        out.push_str(
            &items
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        );
        if items.len() > SHOWN {
            out.push_str(&format!(" and {} more", items.len() - SHOWN));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AgentId, ApprovalId, PatchId, TaskId};

    const DIFF: &str = "--- a/src/dates.rs\n+++ b/src/dates.rs\n@@ -1,3 +1,4 @@\n fn year(y: u32) -> u32 {\n-    y\n+    if y < 100 { 2000 + y } else { y }\n+    // two-digit years\n }\n";

    #[test]
    fn new_events_read_as_one_line() {
        let line = |event: Event| {
            describe(&event)
                .map(|d| d.text.into_owned())
                .unwrap_or_default()
        };
        assert_eq!(
            line(Event::RepoDetected {
                languages: vec!["rust".into(), "python".into()],
                build: Some("cargo build".into()),
                test: Some("cargo test".into()),
                run: None,
                sources: vec!["Cargo.toml".into()],
            }),
            "repo detected: rust, python; tests: `cargo test`"
        );
        assert_eq!(
            line(Event::RepoDetected {
                languages: vec![],
                build: None,
                test: None,
                run: None,
                sources: vec![],
            }),
            "repo detected: no known language; tests: no test command"
        );
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            line(Event::TestsRan {
                agent: AgentId(2),
                label: "patch 3".into(),
                command: "pytest -q".into(),
                exit_code: Some(1),
                passed: names(&["a", "b", "c"]),
                failed: names(&["test_x", "test_y", "test_z", "test_w"]),
                duration_ms: 3200,
            }),
            "tests ran (patch 3): 3 passed, 4 failed: test_x, test_y, test_z and 1 more (exit 1, 3.2s)"
        );
        assert_eq!(
            line(Event::TestsRan {
                agent: AgentId(2),
                label: "baseline".into(),
                command: "pytest -q".into(),
                exit_code: None,
                passed: names(&["a"]),
                failed: vec![],
                duration_ms: 40,
            }),
            "tests ran (baseline): 1 passed, 0 failed (killed, 40ms)"
        );
        assert_eq!(
            line(Event::PatchProposed {
                patch: PatchId(3),
                task: Some(TaskId(7)),
                agent: AgentId(3),
                files: vec!["src/dates.rs".into()],
                diff: DIFF.into(),
            }),
            "patch 3 proposed (+2 -1) for 1 file: src/dates.rs"
        );
        assert_eq!(
            line(Event::PatchJudged {
                patch: PatchId(3),
                verified: false,
                reason: "test_leap still fails".into(),
            }),
            "patch 3 rejected: test_leap still fails"
        );
        assert_eq!(
            line(Event::PatchJudged {
                patch: PatchId(4),
                verified: true,
                reason: String::new(),
            }),
            "patch 4 verified"
        );
        assert_eq!(
            line(Event::PatchApplied {
                patch: PatchId(4),
                files: vec!["a.rs".into(), "b.rs".into()],
            }),
            "patch 4 applied to 2 files: a.rs, b.rs"
        );
        assert_eq!(
            line(Event::PatchRolledBack { patch: PatchId(4) }),
            "patch 4 rolled back"
        );
        assert_eq!(
            line(Event::ApprovalRequested {
                approval: ApprovalId(6),
                agent: AgentId(2),
                subject: ApprovalSubject::Command {
                    command: "npm install".into(),
                    reason: "needs network".into(),
                },
            }),
            "approval 6 asked: run `npm install` (needs network)"
        );
    }
}
