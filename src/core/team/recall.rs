//! The team's memory at work in a run. Before a task's agent starts, [`inject`] looks up the
//! most relevant entries by the task's text, the failing tests and the error signatures of
//! the baseline, packs them within `[memory] inject_tokens`, puts them in the brief and records
//! `MemoryInjected` with exactly that text. When a task ends, [`task_ended`] writes what was
//! learned: the repository's test and build commands after detection (repo facts), a task
//! summary, and error -> resolution pairs for a verified patch, from the run's own events
//! (`TestsRan`, `PatchProposed`, `PatchJudged`). The words come from the synthesis role's model
//! when it answers, and from the facts alone when it does not.
//!
//! Memory never stops a run: a store or model failure is a warning in the logs pane.

use std::sync::Arc;
use std::time::Duration;

use super::roles::{Job, TaskOutcome};
use super::shared::{Shared, lock};
use crate::core::llm::{Message, Role};
use crate::core::memory::synth::{self, TaskFacts, Written};
use crate::core::memory::{self, Embedder, rank};
use crate::protocol::{Event, EventId, LogLevel, MemoryId, MemoryKind};
use crate::store::Reader;

/// How many entries are looked at before packing.
const CANDIDATES: usize = 20;
/// The most diff characters shown to the synthesis model.
const DIFF_CHARS: usize = 3000;

/// The brief with the most relevant memories put in (unchanged when there are none or the
/// budget is 0); records `MemoryInjected` with exactly the text put in.
pub async fn inject(shared: &Arc<Shared>, job: &Job, brief: String) -> String {
    let budget = shared.env.config.memory.inject_tokens as u64;
    if budget == 0 {
        return brief;
    }
    let failing: Vec<String> = lock(&shared.baseline)
        .as_ref()
        .map(|b| b.failed.iter().cloned().collect())
        .unwrap_or_default();
    let seen = format!(
        "{}\n{}",
        lock(&shared.findings).join("\n"),
        lock(&shared.hints).join("\n")
    );
    let signatures = rank::error_signatures(&seen);
    let queries = rank::task_queries(&job.title, &shared.goal, &failing, &signatures);
    let embedder = embedder(shared, job).await;
    let found = memory::search(
        &shared.env.store.paths().db,
        busy(shared),
        embedder.as_ref(),
        queries,
        CANDIDATES,
    )
    .await;
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            warn(shared, job, format!("memory: not searched ({e})")).await;
            return brief;
        }
    };
    for warning in found.warnings {
        warn(shared, job, format!("memory: {warning}")).await;
    }
    let entries: Vec<(MemoryId, String, String)> = found
        .found
        .into_iter()
        .filter(|f| f.entry.kind != MemoryKind::Conversation.as_str())
        .map(|f| {
            let text = match &f.entry.flagged {
                Some(why) => format!("{} (may be out of date: {why})", f.entry.text),
                None => f.entry.text,
            };
            (f.entry.id, f.entry.kind, text)
        })
        .collect();
    let packed = rank::pack(&entries, budget);
    if packed.ids.is_empty() {
        return brief;
    }
    shared
        .emit(Event::MemoryInjected {
            agent: job.agent,
            task: Some(job.task),
            memories: packed.ids.clone(),
            tokens: packed.tokens,
            text: packed.text.clone(),
        })
        .await;
    synth::insert_block(&brief, &job.title, &packed.text)
}

/// Writes what a finished task taught the team. Never fails the task.
pub async fn task_ended(shared: &Arc<Shared>, job: &Job, outcome: &TaskOutcome) {
    if job.role == "observer" {
        let profile = lock(&shared.profile).clone();
        if let Some(profile) = profile {
            let test = profile.test.as_ref().map(|c| c.line.as_str());
            let build = profile.build.as_ref().map(|c| c.line.as_str());
            for fact in synth::repo_facts(test, build) {
                remember(shared, job, MemoryKind::RepoFact, fact).await;
            }
        }
        return;
    }
    let facts = match gather(shared, job, outcome).await {
        Ok(facts) => facts,
        Err(e) => {
            warn(
                shared,
                job,
                format!("memory: the task's events could not be read ({e})"),
            )
            .await;
            return;
        }
    };
    let written = write_with_model(shared, job, &facts).await;
    remember(
        shared,
        job,
        MemoryKind::TaskSummary,
        synth::task_summary(&facts, &written),
    )
    .await;
    for resolution in synth::resolutions(&facts, &written) {
        remember(shared, job, MemoryKind::ErrorResolution, resolution).await;
    }
}

/// The facts of a finished task, from the run's events.
async fn gather(
    shared: &Arc<Shared>,
    job: &Job,
    outcome: &TaskOutcome,
) -> Result<TaskFacts, String> {
    shared.env.store.flush().await.map_err(|e| e.to_string())?;
    let db = shared.env.store.paths().db.clone();
    let (run, busy) = (shared.run, busy(shared));
    let events = tokio::task::spawn_blocking(move || {
        let reader = Reader::open(&db, busy)?;
        let mut events = Vec::new();
        let mut after = EventId(0);
        loop {
            let page = reader.events_after(Some(run), after, 5000)?;
            let Some(last) = page.last_id else { break };
            after = last;
            events.extend(page.records.into_iter().map(|r| r.event).filter(|e| {
                matches!(
                    e,
                    Event::TestsRan { .. }
                        | Event::PatchProposed { .. }
                        | Event::PatchJudged { .. }
                )
            }));
        }
        Ok::<_, crate::store::StoreError>(events)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let mut facts = TaskFacts {
        run: shared.run.0,
        title: job.title.clone(),
        role: job.role.clone(),
        outcome: outcome_words(outcome),
        ..TaskFacts::default()
    };
    let mut ours = Vec::new();
    for event in &events {
        match event {
            Event::TestsRan { label, failed, .. } if label == "baseline" => {
                facts.failing = failed.clone();
            }
            Event::PatchProposed {
                patch,
                task: Some(task),
                ..
            } if *task == job.task => {
                ours.push(*patch);
            }
            Event::PatchJudged {
                patch,
                verified: false,
                reason,
            } if ours.contains(patch) => {
                facts.rejected.push(format!("patch {patch}: {reason}"));
            }
            _ => {}
        }
    }
    let seen = lock(&shared.findings).join("\n");
    facts.signatures = rank::error_signatures(&seen);
    if let TaskOutcome::Verified { patch, diff, files } = outcome {
        facts.verified = Some((patch.0, files.clone()));
        facts.diff = diff.chars().take(DIFF_CHARS).collect();
    }
    Ok(facts)
}

/// The synthesis model's two lines, or nothing when no synthesis role is set or it fails.
async fn write_with_model(shared: &Arc<Shared>, job: &Job, facts: &TaskFacts) -> Written {
    let role = shared.env.config.memory.synthesis.trim().to_string();
    if role.is_empty() {
        return Written::default();
    }
    let system =
        match super::prompts::system_prompt(&shared.env.config, &shared.env.repo, "synthesizer") {
            Ok(system) => system,
            Err(why) => {
                warn(shared, job, why).await;
                super::prompts::builtin("synthesizer").to_string()
            }
        };
    let messages = vec![
        Message::text(Role::System, system),
        Message::text(Role::User, synth::prompt(facts)),
    ];
    match shared
        .ask_model(job.agent, &role, messages, Vec::new(), None)
        .await
    {
        Ok(answer) => synth::parse(&answer.text),
        Err(e) => {
            warn(
                shared,
                job,
                format!("memory: the {role} model did not answer ({e}); the facts are written without it"),
            )
            .await;
            Written::default()
        }
    }
}

/// Writes one entry unless a live entry of its kind already says exactly that.
pub async fn remember(shared: &Arc<Shared>, job: &Job, kind: MemoryKind, text: String) {
    if let Err(e) = shared.env.store.flush().await {
        warn(shared, job, format!("memory: not written ({e})")).await;
        return;
    }
    let db = shared.env.store.paths().db.clone();
    let busy = busy(shared);
    let probe = text.clone();
    let known = tokio::task::spawn_blocking(move || {
        let reader = Reader::open(&db, busy)?;
        memory::already_known(&reader, kind.as_str(), &probe)
    })
    .await;
    match known
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        Ok(true) => return,
        Ok(false) => {}
        Err(e) => {
            warn(shared, job, format!("memory: not written ({e})")).await;
            return;
        }
    }
    let id = memory::next_id(&shared.env.store.paths().db, busy);
    shared
        .emit(Event::MemoryWritten {
            memory: id,
            memory_kind: kind,
            text,
            agent: Some(job.agent),
            task: Some(job.task),
        })
        .await;
}

/// The configured embedder; a config problem is a warning and full-text search goes on.
async fn embedder(shared: &Arc<Shared>, job: &Job) -> Option<Embedder> {
    match Embedder::from_config(&shared.env.config) {
        Ok(embedder) => embedder,
        Err(e) => {
            warn(
                shared,
                job,
                format!("memory: {e}; searching full text only"),
            )
            .await;
            None
        }
    }
}

fn outcome_words(outcome: &TaskOutcome) -> String {
    match outcome {
        TaskOutcome::Done(summary) => summary.clone(),
        TaskOutcome::Verified { patch, files, .. } => {
            format!("patch {patch} verified, changing {}", files.join(", "))
        }
        TaskOutcome::NeedsHelp(summary) => format!("needed the person's help: {summary}"),
        TaskOutcome::Failed(why) => format!("failed: {why}"),
    }
}

async fn warn(shared: &Shared, job: &Job, text: String) {
    shared.log(Some(job.agent), LogLevel::Warn, text).await;
}

fn busy(shared: &Shared) -> Duration {
    Duration::from_millis(shared.env.config.store.busy_timeout_ms)
}
