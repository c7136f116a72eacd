//! Projections: how each committed event updates the tables that readers page through (runs,
//! agents, tasks, approvals, memory, llm_calls, patches). Runs inside the writer's transaction,
//! so the projections and the event log never disagree. Events that only the log needs (log lines,
//! deltas, chat) touch nothing here.

use rusqlite::{Transaction, params};

use crate::protocol::{CallOutcome, Decision, Event, Record};

use super::{patches, tag};

/// Applies one record to the projections.
pub(super) fn apply(tx: &Transaction<'_>, record: &Record) -> rusqlite::Result<()> {
    let run = record.run.0;
    let at = record.at.0;
    match &record.event {
        Event::RunStateChanged { state, .. } => {
            tx.prepare_cached("UPDATE runs SET state = ?2 WHERE id = ?1")?
                .execute(params![run, tag(state)])?;
        }
        Event::RunFinished { state, summary } => {
            tx.prepare_cached(
                "UPDATE runs SET state = ?2, summary = ?3, finished_at = ?4 WHERE id = ?1",
            )?
            .execute(params![run, tag(state), summary, at])?;
        }
        Event::AgentSpawned {
            agent,
            parent,
            role,
            model,
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO agents(run_id, id, parent, role, model, status, spawned_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'idle', ?6)",
            )?
            .execute(params![run, agent.0, parent.map(|p| p.0), role, model, at])?;
        }
        Event::AgentStatusChanged {
            agent,
            status,
            task,
        } => {
            tx.prepare_cached(
                "UPDATE agents SET status = ?3, task = ?4 WHERE run_id = ?1 AND id = ?2",
            )?
            .execute(params![run, agent.0, tag(status), task.map(|t| t.0)])?;
        }
        Event::AgentUsageUpdated {
            agent,
            input_tokens,
            output_tokens,
            cost_usd,
        } => {
            tx.prepare_cached(
                "UPDATE agents SET input_tokens = ?3, output_tokens = ?4, cost_usd = ?5
                 WHERE run_id = ?1 AND id = ?2",
            )?
            .execute(params![
                run,
                agent.0,
                *input_tokens as i64,
                *output_tokens as i64,
                cost_usd
            ])?;
        }
        Event::TaskCreated {
            task,
            parent,
            title,
            deps,
            owner,
        } => {
            let deps: Vec<u32> = deps.iter().map(|d| d.0).collect();
            tx.prepare_cached(
                "INSERT OR REPLACE INTO tasks(run_id, id, parent, title, deps, owner, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
            )?
            .execute(params![
                run,
                task.0,
                parent.map(|p| p.0),
                title,
                json(&deps),
                owner.map(|o| o.0),
                at
            ])?;
        }
        Event::TaskStatusChanged {
            task,
            status,
            attempt,
        } => {
            tx.prepare_cached(
                "UPDATE tasks SET status = ?3, attempts = ?4 WHERE run_id = ?1 AND id = ?2",
            )?
            .execute(params![run, task.0, tag(status), attempt])?;
        }
        Event::TaskProgressed { task, progress } => {
            tx.prepare_cached("UPDATE tasks SET progress = ?3 WHERE run_id = ?1 AND id = ?2")?
                .execute(params![run, task.0, progress.clamp(0.0, 1.0)])?;
        }
        Event::LlmCallBegan {
            call,
            agent,
            provider,
            model,
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO llm_calls(run_id, id, agent, provider, model, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![run, call.0, agent.0, provider, model, at])?;
        }
        Event::LlmCallEnded {
            call,
            input_tokens,
            output_tokens,
            cached_tokens,
            cost_usd,
            ttft_ms,
            latency_ms,
            cache_hit,
            outcome,
            ..
        } => {
            let (outcome, error) = match outcome {
                CallOutcome::Ok => ("ok", None),
                CallOutcome::Failed { error } => ("failed", Some(error.as_str())),
                CallOutcome::Cancelled => ("cancelled", None),
            };
            tx.prepare_cached(
                "UPDATE llm_calls SET input_tokens = ?3, output_tokens = ?4, cached_tokens = ?5,
                 cost_usd = ?6, ttft_ms = ?7, latency_ms = ?8, cache_hit = ?9, outcome = ?10,
                 error = ?11 WHERE run_id = ?1 AND id = ?2",
            )?
            .execute(params![
                run,
                call.0,
                *input_tokens as i64,
                *output_tokens as i64,
                *cached_tokens as i64,
                cost_usd,
                ttft_ms.map(|t| t as i64),
                *latency_ms as i64,
                cache_hit,
                outcome,
                error
            ])?;
        }
        Event::ApprovalRequested {
            approval,
            agent,
            subject,
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO approvals(run_id, id, agent, subject, requested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![run, approval.0, agent.0, json(subject), at])?;
        }
        Event::ApprovalDecided {
            approval,
            decision,
            by,
        } => {
            let status = match decision {
                Decision::Denied { .. } => "denied",
                _ => "approved",
            };
            // The first decision wins; a later one leaves the row as it is.
            tx.prepare_cached(
                "UPDATE approvals SET status = ?3, decision = ?4, decided_by = ?5, decided_at = ?6
                 WHERE run_id = ?1 AND id = ?2 AND status = 'pending'",
            )?
            .execute(params![run, approval.0, status, json(decision), by, at])?;
        }
        Event::MemoryWritten {
            memory,
            memory_kind,
            text,
            agent,
            task,
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO memory(id, kind, text, run_id, agent, task, source_event, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                memory.0,
                tag(memory_kind),
                text,
                run,
                agent.map(|a| a.0),
                task.map(|t| t.0),
                record.id.0,
                at
            ])?;
        }
        Event::MemoryForgotten { memory } => {
            tx.prepare_cached("UPDATE memory SET forgotten_at = ?2 WHERE id = ?1")?
                .execute(params![memory.0, at])?;
        }
        Event::MemoryPinned { memory, pinned } => {
            tx.prepare_cached("UPDATE memory SET pinned = ?2 WHERE id = ?1")?
                .execute(params![memory.0, *pinned])?;
        }
        Event::MemoryEdited { memory, text } => {
            // An edit by the person also clears a flag: they have looked at it.
            tx.prepare_cached(
                "UPDATE memory SET text = ?2, edited_at = ?3, flagged = NULL WHERE id = ?1",
            )?
            .execute(params![memory.0, text, at])?;
        }
        Event::MemoryFlagged { memory, reason } => {
            tx.prepare_cached("UPDATE memory SET flagged = ?2 WHERE id = ?1")?
                .execute(params![memory.0, reason])?;
        }
        Event::ApprovalStale { approval, files } => {
            tx.prepare_cached(
                "UPDATE approvals SET stale_files = ?3 WHERE run_id = ?1 AND id = ?2",
            )?
            .execute(params![run, approval.0, json(files)])?;
        }
        Event::PatchProposed {
            patch,
            task,
            agent,
            files,
            diff,
        } => patches::insert(
            tx,
            record.run,
            record.at,
            (*patch, *task, *agent),
            files,
            diff,
        )?,
        Event::PatchJudged {
            patch,
            verified,
            reason,
        } => patches::judge(tx, *patch, *verified, reason)?,
        Event::PatchApplied { patch, .. } => patches::applied(tx, *patch, record.at)?,
        Event::PatchRolledBack { patch } => patches::rolled_back(tx, *patch, record.at)?,
        Event::PrefixGranted {
            prefix,
            scope: crate::protocol::GrantScope::Repo,
            by,
        } => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO grants(prefix, run_id, granted_by, granted_at)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![prefix, run, by, at])?;
        }
        Event::PrefixGranted { .. } | Event::ModelsChosen { .. } => {}
        Event::RunStarted { .. }
        | Event::LogLine { .. }
        | Event::LlmDelta { .. }
        | Event::LlmRetried { .. }
        | Event::LlmFellBack { .. }
        | Event::ToolCallBegan { .. }
        | Event::ToolOutputDelta { .. }
        | Event::ToolCallEnded { .. }
        | Event::ChatMessagePosted { .. }
        | Event::FilesChanged { .. }
        | Event::RepoDetected { .. }
        | Event::TestsRan { .. }
        | Event::AgentInput { .. }
        | Event::ContextUpdated { .. }
        | Event::RunResumed { .. }
        | Event::StepRecorded { .. }
        | Event::MemoryInjected { .. }
        | Event::AgentStalled { .. }
        | Event::ErrorRaised { .. } => {}
    }
    Ok(())
}

/// serde_json cannot fail on these plain types; an empty string would be the only fallback.
fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}
