//! The tools an agent may call, by role, and the dispatch of one model tool call: arguments
//! parsed (a malformed call is answered as an error the model can correct), the approval
//! policy consulted, the tool run on the run's worktree, and the call told as events
//! (`ToolCallBegan`, output deltas, `ToolCallEnded`).

use std::sync::Arc;
use std::time::Instant;

use super::policy::{Action, Ruling};
use super::shared::{Shared, lock};
use super::verify;
use crate::core::llm::{ToolCall, ToolSpec};
use crate::core::tools::{self, ToolError, ToolOutput, Workspace, exec};
use crate::protocol::{AgentId, AgentStatus, ApprovalSubject, Decision, Event, TaskId};

/// Every tool name, for config checks and custom roles.
pub const ALL_TOOLS: &[&str] = &[
    "list_files",
    "read_file",
    "search",
    "git_status",
    "git_diff",
    "write_file",
    "edit_file",
    "apply_patch",
    "run_command",
    "run_tests",
];

/// The tools a built-in role may call when config names none.
pub fn default_tools(role: &str) -> Vec<String> {
    let names: &[&str] = match role {
        "observer" => &[
            "list_files",
            "read_file",
            "search",
            "git_status",
            "run_command",
        ],
        "analyst" => &[
            "list_files",
            "read_file",
            "search",
            "edit_file",
            "apply_patch",
            "write_file",
            "run_command",
            "run_tests",
            "git_diff",
        ],
        "planner" | "verifier" => &["list_files", "read_file", "search", "git_status"],
        _ => &[
            "list_files",
            "read_file",
            "search",
            "git_status",
            "git_diff",
        ],
    };
    names.iter().map(|s| s.to_string()).collect()
}

/// The specs of `names` (unknown names are skipped: config checks them).
pub fn specs(names: &[String]) -> Vec<ToolSpec> {
    names.iter().filter_map(|name| spec(name)).collect()
}

fn spec(name: &str) -> Option<ToolSpec> {
    Some(match name {
        "list_files" => tools::files::list::spec(),
        "read_file" => tools::files::read::spec(),
        "write_file" => tools::files::write::spec(),
        "edit_file" => tools::files::edit::spec(),
        "search" => tools::search::spec(),
        "apply_patch" => tools::patch::spec(),
        "git_status" => tools::git::status_spec(),
        "git_diff" => tools::git::diff_spec(),
        "run_command" => run_command_spec(),
        "run_tests" => run_tests_spec(),
        _ => return None,
    })
}

fn run_command_spec() -> ToolSpec {
    ToolSpec {
        name: "run_command".into(),
        description: "Run a shell command in the repository (your worktree) and get its exit \
                      code and output. It runs sandboxed: no network, files outside the \
                      worktree are read-only."
            .into(),
        parameters: serde_json::json!({
            "type": "object",
            "properties": { "command": { "type": "string", "description": "The command line, run with sh -c" } },
            "required": ["command"]
        }),
    }
}

fn run_tests_spec() -> ToolSpec {
    ToolSpec {
        name: "run_tests".into(),
        description: "Run the repository's test command and get the names of the tests that \
                      failed and the part of the output that explains why."
            .into(),
        parameters: serde_json::json!({ "type": "object", "properties": {} }),
    }
}

/// Runs one call for `agent` and returns what the model sees. Never fails: every error is an
/// answer the model can act on, and is told as a failed `ToolCallEnded`.
pub async fn dispatch(
    shared: &Arc<Shared>,
    agent: AgentId,
    task: Option<TaskId>,
    allowed: &[String],
    call: &ToolCall,
) -> String {
    let id = shared.next_tool_call();
    shared.status(agent, AgentStatus::CallingTool, task).await;
    shared
        .emit(Event::ToolCallBegan {
            call: id,
            agent,
            tool: call.name.clone(),
            args: call.arguments.clone(),
        })
        .await;
    // Write-ahead: a tool that changes things starts only once its start is durable, so a
    // resumed run knows it may have run and never runs it twice.
    if !super::journal::READ_ONLY_TOOLS.contains(&call.name.as_str()) {
        if let Err(e) = shared.env.store.flush().await {
            tracing::error!("team: the start of a tool call is not durable: {e}");
        }
    }
    let started = Instant::now();
    let result = run(shared, agent, task, allowed, call, id).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let limit = shared.env.config.team.tool_output_bytes;
    let (ok, exit_code, summary, content) = match result {
        Ok(out) => (out.ok, out.exit_code, out.summary, out.content),
        Err(e) => {
            let text = format!("error: {e}");
            (false, None, one_line(&text), text)
        }
    };
    shared
        .emit(Event::ToolCallEnded {
            call: id,
            agent,
            ok,
            exit_code,
            duration_ms,
            summary,
        })
        .await;
    shared.status(agent, AgentStatus::Thinking, task).await;
    cap(&content, limit)
}

async fn run(
    shared: &Arc<Shared>,
    agent: AgentId,
    task: Option<TaskId>,
    allowed: &[String],
    call: &ToolCall,
    id: crate::protocol::ToolCallId,
) -> Result<ToolOutput, ToolError> {
    if !allowed.iter().any(|t| t == &call.name) {
        return Err(ToolError::BadArgs(format!(
            "there is no tool {:?} for you; your tools are: {}",
            call.name,
            allowed.join(", ")
        )));
    }
    let args = call.parsed_arguments().map_err(ToolError::BadArgs)?;
    let ws = shared
        .workspace()
        .ok_or_else(|| ToolError::Command("the run's worktree is not ready".into()))?;
    match call.name.as_str() {
        "list_files" => blocking(ws, args, tools::files::list::run).await,
        "read_file" => blocking(ws, args, tools::files::read::run).await,
        "search" => blocking(ws, args, tools::search::run).await,
        "git_status" => blocking(ws, args, tools::git::status).await,
        "git_diff" => blocking(ws, args, tools::git::diff).await,
        "write_file" | "edit_file" | "apply_patch" => {
            let ruling = lock(&shared.rules).rule(Action::PatchWorktree);
            approve(shared, agent, task, ruling, &call.name, &call.arguments).await?;
            match call.name.as_str() {
                "write_file" => blocking(ws, args, tools::files::write::run).await,
                "edit_file" => blocking(ws, args, tools::files::edit::run).await,
                _ => blocking(ws, args, tools::patch::run).await,
            }
        }
        "run_command" => {
            let line = args
                .get("command")
                .and_then(|c| c.as_str())
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| {
                    ToolError::BadArgs("missing field \"command\" (a non-empty string)".into())
                })?
                .to_string();
            run_command(shared, agent, task, &ws, &line, id).await
        }
        "run_tests" => {
            let run = verify::run_tests(shared, agent, "analyst check").await?;
            Ok(run.tool_output())
        }
        other => Err(ToolError::BadArgs(format!("unknown tool {other:?}"))),
    }
}

/// Runs a command line after the approval policy allows it.
async fn run_command(
    shared: &Arc<Shared>,
    agent: AgentId,
    task: Option<TaskId>,
    ws: &Workspace,
    line: &str,
    id: crate::protocol::ToolCallId,
) -> Result<ToolOutput, ToolError> {
    let mut outside = exec::assess(line, ws).reason();
    if !shared.env.sandbox.is_available() && outside.is_none() {
        outside = Some(shared.env.sandbox.describe());
    }
    let ruling = lock(&shared.rules).rule(Action::Command {
        line,
        outside: outside.as_deref(),
    });
    let Some(edited) = approve(shared, agent, task, ruling, "run_command", line).await? else {
        let spec = verify::command_spec(shared, ws, line, outside.is_some());
        let result = verify::exec_streaming(shared, agent, id, &spec).await?;
        return Ok(result.to_tool_output());
    };
    // The person approved an edited line: it runs instead, judged afresh for the sandbox,
    // and a rule that denies it still stands.
    let mut outside = exec::assess(&edited, ws).reason();
    if !shared.env.sandbox.is_available() && outside.is_none() {
        outside = Some(shared.env.sandbox.describe());
    }
    let ruling = lock(&shared.rules).rule(Action::Command {
        line: &edited,
        outside: outside.as_deref(),
    });
    if let Ruling::Deny { reason } = ruling {
        return Err(ToolError::Command(format!("refused: {reason}")));
    }
    let spec = verify::command_spec(shared, ws, &edited, outside.is_some());
    let mut output = verify::exec_streaming(shared, agent, id, &spec)
        .await?
        .to_tool_output();
    output.content = format!(
        "(the person edited your command; it ran as: {edited})\n{}",
        output.content
    );
    Ok(output)
}

/// Waits for the person when the ruling asks; a denial is an error the model reads. Returns
/// the command line the person edited the request to, if they did (only `run_command`).
async fn approve(
    shared: &Arc<Shared>,
    agent: AgentId,
    task: Option<TaskId>,
    ruling: Ruling,
    tool: &str,
    what: &str,
) -> Result<Option<String>, ToolError> {
    match ruling {
        Ruling::Allow => Ok(None),
        Ruling::Deny { reason } => Err(ToolError::Command(format!("refused: {reason}"))),
        Ruling::Ask { reason } => {
            let subject = ApprovalSubject::Command {
                command: if tool == "run_command" {
                    what.to_string()
                } else {
                    format!("{tool} {}", one_line(what))
                },
                reason,
            };
            match shared.ask_person(agent, task, subject).await {
                Decision::Approved => Ok(None),
                Decision::ApprovedEdited { command } if tool == "run_command" => Ok(Some(command)),
                Decision::ApprovedEdited { .. } | Decision::ApprovedPartial { .. } => {
                    Err(ToolError::Command(format!(
                        "the person's answer changes the request in a way {tool} cannot take; \
                         nothing ran"
                    )))
                }
                Decision::Denied { reason } => Err(ToolError::Command(format!(
                    "the person refused this{}",
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ))),
            }
        }
    }
}

async fn blocking(
    ws: Workspace,
    args: serde_json::Value,
    tool: fn(&Workspace, serde_json::Value) -> Result<ToolOutput, ToolError>,
) -> Result<ToolOutput, ToolError> {
    tokio::task::spawn_blocking(move || tool(&ws, args))
        .await
        .map_err(|e| ToolError::Command(format!("the tool stopped: {e}")))?
}

fn one_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut out: String = line.chars().take(160).collect();
    if out.len() < line.len() || text.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

/// At most `max` bytes, head and tail kept.
pub fn cap(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let half = max / 2;
    let mut head_end = half;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - half;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n... {} bytes cut ...\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}
