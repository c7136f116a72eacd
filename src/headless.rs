//! `warroom run "GOAL"`: the team without the screen. Owns the repository's database like the
//! war room does, submits the goal, and prints what happens — a line per step, or with `--json`
//! every event as the JSON record the event log holds. Approvals: `--approve auto|deny` answers
//! every "ask"; `ask` prompts on a terminal, and otherwise waits for `warroom approve ID` /
//! `warroom deny ID` from another terminal. The exit code says how the run ended.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};
use tokio::sync::mpsc;

use crate::cli::Context;
use crate::config::Policy;
use crate::core::{CoreHandle, TeamOptions};
use crate::protocol::{
    ApprovalId, ApprovalSubject, Command, Decision, Event, Record, RunId, RunState,
};
use crate::store::Reader;

/// The run reached its goal (the patch is applied, or verified and kept by policy).
pub const EXIT_DONE: u8 = 0;
/// The run failed or was cancelled.
pub const EXIT_FAILED: u8 = 1;
/// An approval was still waiting when `--approval-timeout` ran out (the run stays resumable).
pub const EXIT_WAITING: u8 = 3;
/// A budget was spent.
pub const EXIT_BUDGET: u8 = 4;
/// The run is blocked and needs the person (no test command, out of attempts, no model).
pub const EXIT_BLOCKED: u8 = 5;

/// How `ask` approvals are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApproveMode {
    /// Prompt on a terminal; otherwise wait for another terminal's decision.
    Ask,
    /// Approve everything that would ask.
    Auto,
    /// Deny everything that would ask.
    Deny,
}

/// What `warroom run` was given.
#[derive(Debug, Clone)]
pub struct Options {
    /// The goal.
    pub goal: String,
    /// Print events as JSON lines.
    pub json: bool,
    /// How approvals are answered.
    pub approve: ApproveMode,
    /// The run's budget in dollars, over the config's.
    pub budget_usd: Option<f64>,
    /// How long to wait for a decision before exiting with [`EXIT_WAITING`].
    pub approval_timeout: Option<Duration>,
    /// Record every model call to this file.
    pub record: Option<std::path::PathBuf>,
    /// `warroom resume`: pick up this run (`Some(None)`: the newest unfinished one) instead
    /// of starting `goal`.
    pub resume: Option<Option<RunId>>,
}

/// Runs the goal to its end and returns the exit code.
pub fn run(ctx: &Context, options: Options) -> Result<ExitCode> {
    if options.resume.is_none() && options.goal.trim().is_empty() {
        return Err(eyre!(
            "the goal is empty: say what the team should do, e.g. warroom run \"the tests fail, fix them\""
        ));
    }
    if let Some(budget) = options.budget_usd {
        if !budget.is_finite() || budget < 0.0 {
            return Err(eyre!(
                "--budget-usd {budget}: a budget is a non-negative number of dollars"
            ));
        }
    }
    let owned = crate::cli::open_owner(ctx)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| eyre!("cannot start the async runtime: {e}"))?;
    let code = runtime.block_on(drive(ctx, &owned.store, options));
    drop(runtime);
    owned.close().map_err(|e| eyre!("{e}"))?;
    Ok(ExitCode::from(code?))
}

async fn drive(ctx: &Context, store: &crate::store::Store, options: Options) -> Result<u8> {
    let mut config = ctx.config.clone();
    if let Some(budget) = options.budget_usd {
        config.budget.run_usd = budget;
    }
    let busy = Duration::from_millis(config.store.busy_timeout_ms);
    let reader = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
    let approve = match options.approve {
        ApproveMode::Ask => None,
        ApproveMode::Auto => Some(Policy::Auto),
        // Denials go through the approval itself (asked, then denied by this process), so the
        // run ends declined, not "done, kept by policy" as `approvals.apply = "deny"` does.
        ApproveMode::Deny => None,
    };
    let mut committed = store.subscribe();
    let (core, core_task) = crate::core::spawn(
        store.clone(),
        reader,
        TeamOptions {
            config,
            approve,
            record: options.record.clone(),
            announce: None,
        },
    );
    let mut run: Option<RunId> = None;
    let command = match options.resume {
        Some(wanted) => {
            let id = resumable(ctx, wanted)?;
            run = Some(id);
            if !options.json {
                println!("resuming run {id}");
            }
            Command::ResumeRun { run: Some(id) }
        }
        None => Command::SubmitGoal {
            text: options.goal.clone(),
        },
    };
    if !core.send(command).await {
        return Err(eyre!("the core stopped before the goal could be given"));
    }
    let (answers_tx, mut answers) = mpsc::channel::<(RunId, ApprovalId, Decision)>(8);
    let mut waiting_since: Option<tokio::time::Instant> = None;
    let mut budget_hit = false;
    let mut out = std::io::stdout();
    let code = loop {
        let timeout = match (options.approval_timeout, waiting_since) {
            (Some(limit), Some(since)) => limit.saturating_sub(since.elapsed()),
            _ => Duration::from_secs(3600),
        };
        tokio::select! {
            batch = committed.recv() => {
                let batch = match batch {
                    Ok(batch) => batch,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                        writeln!(std::io::stderr(), "warning: {n} batches of events were not printed (the terminal is slower than the team)")?;
                        continue;
                    }
                    Err(_) => break EXIT_FAILED,
                };
                let mut ended = None;
                for record in batch.iter() {
                    if run.is_none() && matches!(record.event, Event::RunStarted { .. }) {
                        run = Some(record.run);
                    }
                    if Some(record.run) != run {
                        continue;
                    }
                    print(&mut out, record, options.json)?;
                    match &record.event {
                        Event::ApprovalRequested { approval, subject, .. } => {
                            waiting_since = Some(tokio::time::Instant::now());
                            if options.approve == ApproveMode::Deny {
                                let decision = Decision::Denied { reason: "denied by `warroom run --approve deny`".into() };
                                send(&core, Command::DecideApproval { run: record.run, approval: *approval, decision }).await?;
                            }
                            ask(record.run, *approval, subject, options.approve, options.json, &answers_tx)?;
                        }
                        Event::ApprovalDecided { .. } => waiting_since = None,
                        Event::LogLine { text, .. } if text.starts_with(&format!("run {} cannot be resumed", record.run)) => {
                            writeln!(std::io::stderr(), "{text}")?;
                            ended = Some(EXIT_BLOCKED);
                        }
                        Event::LlmCallEnded { outcome: crate::protocol::CallOutcome::Failed { error }, .. }
                            if error.to_lowercase().contains("budget") => budget_hit = true,
                        Event::RunStateChanged { state: RunState::Blocked, .. } => {
                            ended = Some(if budget_hit { EXIT_BUDGET } else { EXIT_BLOCKED });
                        }
                        Event::RunFinished { state, .. } => {
                            ended = Some(match state {
                                RunState::Done => EXIT_DONE,
                                _ if budget_hit => EXIT_BUDGET,
                                _ => EXIT_FAILED,
                            });
                        }
                        _ => {}
                    }
                }
                out.flush()?;
                if let Some(code) = ended {
                    break code;
                }
            }
            Some((run, approval, decision)) = answers.recv() => {
                send(&core, Command::DecideApproval { run, approval, decision }).await?;
            }
            _ = tokio::time::sleep(timeout), if waiting_since.is_some() => {
                writeln!(std::io::stderr(), "no decision within the approval timeout; the approval stays pending (decide it with `warroom approve`/`deny`, then resume)")?;
                break EXIT_WAITING;
            }
            _ = tokio::signal::ctrl_c() => {
                if let Some(run) = run {
                    send(&core, Command::CancelRun { run }).await?;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                break EXIT_FAILED;
            }
        }
    };
    let _ = store.flush().await;
    // A blocked or waiting run keeps its state for a later resume: stop without cancelling.
    core_task.abort();
    Ok(code)
}

/// The run `warroom resume` picks up: `wanted`, or the newest run that has not finished.
fn resumable(ctx: &Context, wanted: Option<RunId>) -> Result<RunId> {
    let busy = Duration::from_millis(ctx.config.store.busy_timeout_ms);
    let reader = Reader::open(&ctx.paths.db, busy).map_err(|e| eyre!("{e}"))?;
    let runs = reader.runs(usize::MAX).map_err(|e| eyre!("{e}"))?;
    match wanted {
        Some(id) => match runs.iter().find(|r| r.id == id) {
            None => Err(eyre!(
                "there is no run {id} in {} (`warroom runs` lists them)",
                ctx.paths.db.display()
            )),
            Some(r) if r.state.is_terminal() => Err(eyre!(
                "run {id} has finished ({}); there is nothing to resume",
                r.state.as_str()
            )),
            Some(_) => Ok(id),
        },
        None => runs
            .iter()
            .find(|r| !r.state.is_terminal())
            .map(|r| r.id)
            .ok_or_else(|| {
                eyre!(
                    "no unfinished run in {} (`warroom runs` lists them)",
                    ctx.paths.db.display()
                )
            }),
    }
}

async fn send(core: &CoreHandle, command: Command) -> Result<()> {
    if core.send(command).await {
        Ok(())
    } else {
        Err(eyre!("the core stopped"))
    }
}

/// Prompts on the terminal in `ask` mode; otherwise says how to decide from elsewhere.
fn ask(
    run: RunId,
    approval: ApprovalId,
    subject: &ApprovalSubject,
    mode: ApproveMode,
    json: bool,
    answers: &mpsc::Sender<(RunId, ApprovalId, Decision)>,
) -> Result<()> {
    let mut err = std::io::stderr();
    if mode != ApproveMode::Ask {
        return Ok(());
    }
    let interactive = std::io::stdin().is_terminal() && !json;
    if !interactive {
        writeln!(
            err,
            "waiting for a decision on approval {approval} of run {run}: `warroom approve {approval}` or `warroom deny {approval} --reason ...` in another terminal"
        )?;
        return Ok(());
    }
    match subject {
        ApprovalSubject::Patch { diff, .. } => writeln!(err, "{diff}")?,
        ApprovalSubject::Command { command, reason } => writeln!(err, "$ {command}\n({reason})")?,
    }
    write!(err, "approve {approval}? [y/N] ")?;
    err.flush()?;
    let answers = answers.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        let decision = match std::io::stdin().lock().read_line(&mut line) {
            Ok(_) if matches!(line.trim(), "y" | "Y" | "yes") => Decision::Approved,
            _ => Decision::Denied {
                reason: "denied at the terminal".into(),
            },
        };
        let _ = answers.blocking_send((run, approval, decision));
    });
    Ok(())
}

/// One record: its JSON, or a line for a person (deltas and output are left out).
fn print(out: &mut impl Write, record: &Record, json: bool) -> Result<()> {
    if json {
        serde_json::to_writer(&mut *out, record)?;
        writeln!(out)?;
        return Ok(());
    }
    if let Some(line) = describe(&record.event) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn describe(event: &Event) -> Option<String> {
    Some(match event {
        Event::RunStarted { goal, .. } => format!("run started: {goal}"),
        Event::RunStateChanged { state, reason } if reason.is_empty() => {
            format!("run: {}", state.as_str())
        }
        Event::RunStateChanged { state, reason } => format!("run: {} ({reason})", state.as_str()),
        Event::RunFinished { state, summary } => format!("run {}: {summary}", state.as_str()),
        Event::AgentSpawned {
            agent, role, model, ..
        } => format!("agent {agent} {role} joined ({model})"),
        Event::TaskCreated { task, title, .. } => format!("task {task}: {title}"),
        Event::TaskStatusChanged {
            task,
            status,
            attempt,
        } if *attempt > 1 => format!("task {task} {} (attempt {attempt})", status.as_str()),
        Event::TaskStatusChanged { task, status, .. } => format!("task {task} {}", status.as_str()),
        Event::ToolCallBegan {
            agent, tool, args, ..
        } => {
            let args: String = args.chars().take(100).collect();
            format!("agent {agent} calls {tool} {args}")
        }
        Event::ToolCallEnded { agent, summary, .. } => format!("agent {agent}: {summary}"),
        Event::RepoDetected {
            languages, test, ..
        } => format!(
            "repo: {}; tests: {}",
            languages.join(", "),
            test.as_deref().unwrap_or("none found")
        ),
        Event::TestsRan {
            label,
            passed,
            failed,
            ..
        } => format!(
            "tests ({label}): {} passed, {} failed{}",
            passed.len(),
            failed.len(),
            if failed.is_empty() {
                String::new()
            } else {
                format!(": {}", failed.join(", "))
            }
        ),
        Event::PatchProposed { patch, files, .. } => {
            format!("patch {patch} proposed: {}", files.join(", "))
        }
        Event::PatchJudged {
            patch,
            verified,
            reason,
        } => {
            format!(
                "patch {patch} {}: {reason}",
                if *verified { "verified" } else { "rejected" }
            )
        }
        Event::PatchApplied { patch, files } => {
            format!("patch {patch} applied to {}", files.join(", "))
        }
        Event::ApprovalRequested {
            approval, subject, ..
        } => match subject {
            ApprovalSubject::Patch { files, .. } => format!(
                "approval {approval}: apply the patch to {}?",
                files.join(", ")
            ),
            ApprovalSubject::Command { command, reason } => {
                format!("approval {approval}: run `{command}`? ({reason})")
            }
        },
        Event::ApprovalDecided {
            approval,
            decision,
            by,
        } => match decision {
            Decision::Approved => format!("approval {approval} approved by {by}"),
            Decision::Denied { reason } => format!("approval {approval} denied by {by}: {reason}"),
            Decision::ApprovedEdited { command } => {
                format!("approval {approval} approved by {by}, edited to run `{command}`")
            }
            Decision::ApprovedPartial { .. } => {
                format!("approval {approval} approved in part by {by} (some hunks left out)")
            }
        },
        Event::ChatMessagePosted { role, text } => format!(
            "{}: {text}",
            match role {
                crate::protocol::ChatRole::User => "you",
                crate::protocol::ChatRole::Planner => "planner",
                crate::protocol::ChatRole::System => "warroom",
            }
        ),
        Event::LogLine { level, text, .. } if *level >= crate::protocol::LogLevel::Warn => {
            format!("{}: {text}", level.tag())
        }
        Event::ErrorRaised {
            source, message, ..
        } => format!("error ({source}): {message}"),
        Event::LlmFellBack {
            from, to, reason, ..
        } => format!("model {from} -> {to}: {reason}"),
        Event::LlmCallEnded {
            outcome: crate::protocol::CallOutcome::Failed { error },
            ..
        } => format!("model call failed: {error}"),
        _ => return None,
    })
}
