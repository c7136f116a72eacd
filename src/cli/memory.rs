//! `warroom memory search|list|show|pin|forget|edit`: what the team remembers, read from the
//! database and changed through events. A change goes to the running warroom through the
//! `commands` table when one owns the database; otherwise this process becomes the owner for
//! the moment it takes to record the event. An unknown id is an error that names it.

use std::io::Write;
use std::time::Duration;

use clap::Subcommand;
use color_eyre::eyre::{Result, eyre};

use crate::core::memory::{self, Embedder};
use crate::protocol::{Command, Event, MemoryId, MemoryKind, RunId};
use crate::store::{self, MemoryEntry, OwnerState, Reader, VectorWriter, probe_owner};
use crate::timefmt;

use super::{Context, open_owner, open_reader};

/// What to do with memory.
#[derive(Debug, Subcommand)]
pub enum MemoryCmd {
    /// Search by words (any text: quotes, `*`, `NEAR` and the like are searched as words),
    /// ranked by full text and, when `[memory] embeddings` is set, by meaning too.
    Search {
        /// The words (may start with `-`).
        #[arg(allow_hyphen_values = true)]
        query: String,
        /// How many to show.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// List entries, pinned first, then newest first.
    List {
        /// Only this kind: task_summary, error_resolution, repo_fact, conversation, scratchpad.
        #[arg(long)]
        kind: Option<String>,
        /// Include forgotten entries.
        #[arg(long)]
        all: bool,
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show one entry with where it came from.
    Show {
        /// The entry's id.
        id: i64,
    },
    /// Pin an entry: it is always considered first.
    Pin {
        /// The entry's id.
        id: i64,
        /// Unpin it instead.
        #[arg(long)]
        off: bool,
    },
    /// Forget an entry: it is never searched or given to an agent again.
    Forget {
        /// The entry's id.
        id: i64,
    },
    /// Replace an entry's text.
    Edit {
        /// The entry's id.
        id: i64,
        /// The new text.
        text: String,
    },
}

/// Runs a `warroom memory` subcommand.
pub fn run(ctx: &Context, command: MemoryCmd) -> Result<()> {
    match command {
        MemoryCmd::Search { query, limit } => search(ctx, query, limit),
        MemoryCmd::List { kind, all, limit } => list(ctx, kind, all, limit),
        MemoryCmd::Show { id } => show(ctx, MemoryId(id)),
        MemoryCmd::Pin { id, off } => {
            let memory = MemoryId(id);
            change(ctx, memory, Change::Pin(!off))
        }
        MemoryCmd::Forget { id } => change(ctx, MemoryId(id), Change::Forget),
        MemoryCmd::Edit { id, text } => change(ctx, MemoryId(id), Change::Edit(text)),
    }
}

fn search(ctx: &Context, query: String, limit: usize) -> Result<()> {
    // Fails early when the database is missing, with the usual message.
    drop(open_reader(ctx)?);
    let embedder = match Embedder::from_config(&ctx.config) {
        Ok(embedder) => embedder,
        Err(e) => {
            writeln!(std::io::stderr(), "warning: {e}; searching full text only")?;
            None
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let found = runtime
        .block_on(memory::search(
            &ctx.paths.db,
            busy(ctx),
            embedder.as_ref(),
            vec![query.clone()],
            limit,
        ))
        .map_err(|e| eyre!("{e}"))?;
    for warning in &found.warnings {
        writeln!(std::io::stderr(), "warning: {warning}")?;
    }
    let mut out = std::io::stdout().lock();
    if found.found.is_empty() {
        writeln!(out, "nothing in memory matches {query:?}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<16}  {:>7}  {:>7}  {:>6}  text",
        "id", "kind", "score", "bm25", "cosine"
    )?;
    for hit in &found.found {
        let bm25 = hit.bm25.map_or("-".into(), |b| format!("{b:.2}"));
        let cosine = hit.cosine.map_or("-".into(), |c| format!("{c:.3}"));
        writeln!(
            out,
            "{:>6}  {:<16}  {:>7.4}  {:>7}  {:>6}  {}",
            hit.entry.id,
            hit.entry.kind,
            hit.score,
            bm25,
            cosine,
            line(&hit.entry)
        )?;
    }
    Ok(())
}

fn list(ctx: &Context, kind: Option<String>, all: bool, limit: usize) -> Result<()> {
    if let Some(kind) = &kind {
        if !KINDS.iter().any(|k| k.as_str() == kind) {
            return Err(eyre!(
                "unknown memory kind {kind:?}; kinds: {}",
                KINDS.map(MemoryKind::as_str).join(", ")
            ));
        }
    }
    let reader = open_reader(ctx)?;
    let entries = reader
        .memory_list(kind.as_deref(), all, limit)
        .map_err(|e| eyre!("{e}"))?;
    let mut out = std::io::stdout().lock();
    if entries.is_empty() {
        writeln!(out, "no memory yet in {}", ctx.paths.repo.display())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>6}  {:<16}  {:<20}  {:<5}  text",
        "id", "kind", "created (UTC)", "state"
    )?;
    for entry in &entries {
        writeln!(
            out,
            "{:>6}  {:<16}  {:<20}  {:<5}  {}",
            entry.id,
            entry.kind,
            timefmt::datetime(entry.created_at),
            state(entry),
            line(entry)
        )?;
    }
    Ok(())
}

fn show(ctx: &Context, id: MemoryId) -> Result<()> {
    let entry = require(ctx, &open_reader(ctx)?, id)?;
    let mut out = std::io::stdout().lock();
    let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    writeln!(out, "memory {}: {}", entry.id, entry.kind)?;
    writeln!(out, "run:        {}", opt(entry.run.map(|r| r.to_string())))?;
    writeln!(
        out,
        "task:       {}",
        opt(entry.task.map(|t| t.to_string()))
    )?;
    writeln!(
        out,
        "agent:      {}",
        opt(entry.agent.map(|a| a.to_string()))
    )?;
    writeln!(
        out,
        "event:      {}",
        opt(entry.source_event.map(|e| e.to_string()))
    )?;
    writeln!(out, "written:    {}", timefmt::datetime(entry.created_at))?;
    writeln!(
        out,
        "edited:     {}",
        opt(entry.edited_at.map(timefmt::datetime))
    )?;
    writeln!(
        out,
        "pinned:     {}",
        if entry.pinned { "yes" } else { "no" }
    )?;
    writeln!(out, "flagged:    {}", opt(entry.flagged.clone()))?;
    writeln!(
        out,
        "forgotten:  {}",
        opt(entry.forgotten_at.map(timefmt::datetime))
    )?;
    writeln!(out)?;
    writeln!(out, "{}", entry.text)?;
    Ok(())
}

enum Change {
    Pin(bool),
    Forget,
    Edit(String),
}

fn change(ctx: &Context, id: MemoryId, change: Change) -> Result<()> {
    let reader = open_reader(ctx)?;
    let entry = require(ctx, &reader, id)?;
    if entry.forgotten_at.is_some() && !matches!(change, Change::Forget) {
        return Err(eyre!(
            "memory {id} is forgotten; it cannot be changed any more"
        ));
    }
    if let Change::Edit(text) = &change {
        if text.trim().is_empty() {
            return Err(eyre!(
                "the new text of memory {id} is empty; use `warroom memory forget {id}` to drop it"
            ));
        }
    }
    let (what, done) = match &change {
        Change::Pin(true) => ("pin", "pinned"),
        Change::Pin(false) => ("unpin", "unpinned"),
        Change::Forget => ("forget", "forgot"),
        Change::Edit(_) => ("edit", "edited"),
    };
    let (what, done) = (format!("{what} memory {id}"), format!("{done} memory {id}"));
    if let Change::Edit(_) = &change {
        // Its vectors describe the old text; they are made again from the new one.
        VectorWriter::open(&ctx.paths.db, busy(ctx))
            .and_then(|w| w.remove(id))
            .map_err(|e| eyre!("{e}"))?;
    }
    let mut out = std::io::stdout().lock();
    if let OwnerState::Alive { pid, .. } = probe_owner(&ctx.paths.lock) {
        let command = match change {
            Change::Pin(pinned) => Command::PinMemory { memory: id, pinned },
            Change::Forget => Command::ForgetMemory { memory: id },
            Change::Edit(text) => Command::EditMemory { memory: id, text },
        };
        store::queue_command(&ctx.paths, &command, &sender(), busy(ctx))
            .map_err(|e| eyre!("{e}"))?;
        writeln!(
            out,
            "queued: {what}; the running warroom (pid {pid}) records it"
        )?;
        return Ok(());
    }
    let run = match entry.run {
        Some(run) => run,
        None => latest_run(&reader)?,
    };
    let event = match change {
        Change::Pin(pinned) => Event::MemoryPinned { memory: id, pinned },
        Change::Forget => Event::MemoryForgotten { memory: id },
        Change::Edit(text) => Event::MemoryEdited { memory: id, text },
    };
    let owned = open_owner(ctx)?;
    let appended = owned
        .store
        .append_blocking(run, event)
        .and_then(|()| owned.store.flush_blocking().map(|_| ()));
    let closed = owned.close();
    appended.map_err(|e| eyre!("{e}"))?;
    closed.map_err(|e| eyre!("{e}"))?;
    writeln!(out, "{done} (run {run})")?;
    Ok(())
}

const KINDS: [MemoryKind; 5] = [
    MemoryKind::TaskSummary,
    MemoryKind::ErrorResolution,
    MemoryKind::RepoFact,
    MemoryKind::Conversation,
    MemoryKind::Scratchpad,
];

fn require(ctx: &Context, reader: &Reader, id: MemoryId) -> Result<MemoryEntry> {
    reader
        .memory_entry(id)
        .map_err(|e| eyre!("{e}"))?
        .ok_or_else(|| {
            eyre!(
                "no memory {id} in {} (see `warroom memory list`)",
                ctx.paths.db.display()
            )
        })
}

fn latest_run(reader: &Reader) -> Result<RunId> {
    reader
        .latest_run()
        .map_err(|e| eyre!("{e}"))?
        .map(|r| r.id)
        .ok_or_else(|| eyre!("no run to record the change in"))
}

fn state(entry: &MemoryEntry) -> &'static str {
    match (
        entry.forgotten_at.is_some(),
        entry.pinned,
        entry.flagged.is_some(),
    ) {
        (true, _, _) => "gone",
        (_, true, _) => "pin",
        (_, _, true) => "flag",
        _ => "",
    }
}

/// The entry's text on one line, at most 80 characters.
fn line(entry: &MemoryEntry) -> String {
    let text = entry.text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

fn sender() -> String {
    format!("cli pid {}", std::process::id())
}

fn busy(ctx: &Context) -> Duration {
    Duration::from_millis(ctx.config.store.busy_timeout_ms)
}
