//! The subcommands about the agents' work reaching the person's working tree: `warroom
//! patches` (the list), `warroom rollback` (take an applied patch back out) and `warroom
//! approve` / `warroom deny` (decide a pending approval from a plain shell). Decisions and
//! rollbacks go through the owner when one runs (queued in the `commands` table); a rollback
//! with no owner running takes ownership for the moment it needs.

use std::io::Write;
use std::time::Duration;

use color_eyre::eyre::{Result, eyre};

use crate::core::patches::{self, ApplyError};
use crate::core::team::policy::grant_prefix;
use crate::protocol::{
    ApprovalId, ApprovalSubject, Command, Decision, Event, GrantScope, PatchId, RunId,
};
use crate::store::{self, OwnerState, PatchRow, PatchState, Reader, probe_owner};
use crate::timefmt;

use super::{Context, open_owner, open_reader};

/// `warroom patches [--run RUN] [--limit N]`: the newest patches first, as a table.
pub fn list(ctx: &Context, run: Option<i64>, limit: usize) -> Result<()> {
    let reader = open_reader(ctx)?;
    let run = run.map(RunId);
    if let Some(run) = run {
        require_run(ctx, &reader, run)?;
    }
    let rows = reader.patches(run, limit).map_err(|e| eyre!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if rows.is_empty() {
        match run {
            Some(run) => writeln!(out, "no patches in run {run}")?,
            None => writeln!(out, "no patches yet in {}", ctx.paths.repo.display())?,
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:>5}  {:<11}  {:<30}  {:>13}  {:<19}  verdict",
        "patch", "run", "state", "files", "+/-", "created (UTC)"
    )?;
    for row in &rows {
        writeln!(out, "{}", patch_line(row))?;
    }
    Ok(())
}

/// `warroom rollback PATCH`: takes an applied patch back out of the working tree, or asks the
/// running owner to.
pub fn rollback(ctx: &Context, patch: i64) -> Result<()> {
    let patch = PatchId(patch);
    let row = applied_patch(ctx, &open_reader(ctx)?, patch)?;
    let mut out = std::io::stdout().lock();
    if let OwnerState::Alive { pid, .. } = probe_owner(&ctx.paths.lock) {
        store::queue_command(
            &ctx.paths,
            &Command::RollbackPatch { patch },
            &sender(),
            busy(ctx),
        )
        .map_err(|e| eyre!("{e}"))?;
        writeln!(
            out,
            "queued: roll back patch {patch} (run {}); the running warroom (pid {pid}) will take it out of the working tree",
            row.run
        )?;
        return Ok(());
    }
    // No owner: become it for the moment, so no run applies patches while this one goes.
    let owned = open_owner(ctx)?;
    let result = rollback_now(ctx, patch, &owned.store);
    let closed = owned.close().map_err(|e| eyre!("{e}"));
    let (run, files) = result?;
    closed?;
    writeln!(
        out,
        "rolled back patch {patch} (run {run}): {} restored",
        files.join(", ")
    )?;
    Ok(())
}

/// `warroom approve ID` / `warroom deny ID`: queues the decision for the owner.
/// `always`: also let commands with the same program and subcommand run without asking, in
/// this run or (`Some(GrantScope::Repo)`) in every run of the repository.
pub fn decide(
    ctx: &Context,
    approval: u32,
    run: Option<i64>,
    decision: Decision,
    always: Option<GrantScope>,
) -> Result<()> {
    let reader = open_reader(ctx)?;
    let run = match run {
        Some(run) => require_run(ctx, &reader, RunId(run))?,
        None => reader
            .latest_run()
            .map_err(|e| eyre!("{e}"))?
            .map(|r| r.id)
            .ok_or_else(|| eyre!("no runs yet in {}", ctx.paths.repo.display()))?,
    };
    let approval = ApprovalId(approval);
    let pending = reader.pending_approvals(run).map_err(|e| eyre!("{e}"))?;
    let Some(asked) = pending.iter().find(|a| a.id == approval) else {
        let status = reader
            .approval_status(run, approval)
            .map_err(|e| eyre!("{e}"))?;
        return Err(match status {
            Some(status) => eyre!(
                "approval {approval} of run {run} is already {status}; the first decision wins"
            ),
            None => eyre!(
                "run {run} has no approval {approval}; pending ones: {}",
                ids(pending.iter().map(|a| a.id))
            ),
        });
    };
    let verb = match &decision {
        Decision::Denied { .. } => "deny",
        _ => "approve",
    };
    let subject = subject_words(&asked.subject);
    let grant = match (&asked.subject, &decision, always) {
        (ApprovalSubject::Command { command, .. }, Decision::Approved, Some(scope)) => {
            Some((grant_prefix(command), scope))
        }
        (_, _, Some(_)) => {
            return Err(eyre!(
                "--always grants a command prefix: approval {approval} of run {run} is not a \
                 command being approved ({subject})"
            ));
        }
        _ => None,
    };
    store::queue_command(
        &ctx.paths,
        &Command::DecideApproval {
            run,
            approval,
            decision,
        },
        &sender(),
        busy(ctx),
    )
    .map_err(|e| eyre!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "queued: {verb} approval {approval} of run {run} ({subject})"
    )?;
    if let Some((prefix, scope)) = grant {
        let command = Command::GrantPrefix {
            run,
            prefix: prefix.clone(),
            scope,
        };
        store::queue_command(&ctx.paths, &command, &sender(), busy(ctx))
            .map_err(|e| eyre!("{e}"))?;
        let reach = match scope {
            GrantScope::Run => format!("in run {run}"),
            GrantScope::Repo => "in every run of this repository".to_string(),
        };
        writeln!(
            out,
            "queued: commands starting with {prefix:?} run without asking {reach}"
        )?;
    }
    match probe_owner(&ctx.paths.lock) {
        OwnerState::Alive { pid, .. } => writeln!(
            out,
            "the running warroom (pid {pid}) applies it; if it was decided elsewhere first, the first decision wins"
        )?,
        OwnerState::NoOwner => writeln!(
            out,
            "no warroom is running for this repository; the decision is applied when `warroom` next starts (the first decision wins)"
        )?,
    }
    Ok(())
}

/// Checks the patch exists and is applied, and reads it with its diff.
fn applied_patch(ctx: &Context, reader: &Reader, patch: PatchId) -> Result<PatchRow> {
    let row = reader
        .patch(patch)
        .map_err(|e| eyre!("{e}"))?
        .ok_or_else(|| {
            eyre!(
                "no patch {patch} in {} (see `warroom patches`)",
                ctx.paths.db.display()
            )
        })?;
    if row.state != PatchState::Applied {
        return Err(eyre!(
            "patch {patch} is {}, not applied; only an applied patch can be rolled back",
            state_words(row.state)
        ));
    }
    Ok(row)
}

/// Reverse-applies the patch and records `PatchRolledBack`; the caller holds ownership.
fn rollback_now(
    ctx: &Context,
    patch: PatchId,
    store: &store::Store,
) -> Result<(RunId, Vec<String>)> {
    // Read again as the owner: the state may have changed before the lock was taken.
    let row = applied_patch(ctx, &open_reader(ctx)?, patch)?;
    let diff = row.diff.unwrap_or_default();
    let files = patches::rollback(&ctx.paths.repo, &diff).map_err(|e| match e {
        ApplyError::Conflict { .. } => eyre!(
            "patch {patch} was not rolled back, nothing was changed: {e}; undo your edits there or take the patch out by hand"
        ),
        other => eyre!("patch {patch} was not rolled back, nothing was changed: {other}"),
    })?;
    store
        .append_blocking(row.run, Event::PatchRolledBack { patch })
        .map_err(|e| eyre!("{e}"))?;
    Ok((row.run, files))
}

fn require_run(ctx: &Context, reader: &Reader, run: RunId) -> Result<RunId> {
    match reader.run(run).map_err(|e| eyre!("{e}"))? {
        Some(_) => Ok(run),
        None => Err(eyre!(
            "no run {run} in {} (see `warroom runs`)",
            ctx.paths.db.display()
        )),
    }
}

fn patch_line(row: &PatchRow) -> String {
    let files = match row.files.as_slice() {
        [] => "-".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
    };
    let verdict: String = row
        .reason
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(60)
        .collect();
    format!(
        "{:>5}  {:>5}  {:<11}  {:<30}  {:>13}  {:<19}  {}",
        row.id,
        row.run,
        row.state.as_str(),
        clip(&files, 30),
        format!("+{}/-{}", row.added, row.removed),
        timefmt::datetime(row.created_at),
        verdict
    )
}

/// The last `width` characters, marked with `…` when cut (the end of a path says most).
fn clip(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - (width - 1)).collect();
    format!("…{tail}")
}

fn state_words(state: PatchState) -> &'static str {
    match state {
        PatchState::Proposed => "only proposed (not verified or applied)",
        PatchState::Verified => "verified but not applied",
        PatchState::Rejected => "rejected by the verifier",
        PatchState::Applied => "applied",
        PatchState::RolledBack => "already rolled back",
    }
}

fn subject_words(subject: &ApprovalSubject) -> String {
    match subject {
        ApprovalSubject::Command { command, .. } => format!("run `{command}`"),
        ApprovalSubject::Patch { files, .. } => format!("apply a patch to {}", files.join(", ")),
    }
}

fn ids(ids: impl Iterator<Item = ApprovalId>) -> String {
    let list: Vec<String> = ids.map(|id| id.to_string()).collect();
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

fn sender() -> String {
    format!("cli pid {}", std::process::id())
}

fn busy(ctx: &Context) -> Duration {
    Duration::from_millis(ctx.config.store.busy_timeout_ms)
}
