//! The conversation with the planner, across runs: every chat message is in the event log, so
//! the planner reads the repository's chat history, not only this run's. The latest
//! `[memory] chat_turns` messages go to it as they are; older ones are summarized (by the
//! synthesis role's model, or plainly when it does not answer) and the summary is kept as a
//! `conversation` memory, written again only once enough new turns have aged past it.

use std::sync::Arc;
use std::time::Duration;

use super::shared::Shared;
use crate::core::llm::{Message, Role};
use crate::core::memory::{self, synth};
use crate::protocol::{AgentId, ChatRole, Event, LogLevel, MemoryKind};
use crate::store::{MemoryEntry, Reader, StoreError};

/// The most chat messages read.
const HISTORY: usize = 400;
/// The most characters of one recent turn sent to the planner.
const TURN_CHARS: usize = 600;

/// One chat message: its event id, who wrote it and what it says.
type Turn = (i64, String, String);

/// What the planner should know of the conversation before `current` (the message being
/// answered): the summary of older turns and the recent turns, as text ending in a blank line;
/// empty when there was no earlier conversation.
pub async fn context(shared: &Arc<Shared>, planner: AgentId, current: &str) -> String {
    let db = shared.env.store.paths().db.clone();
    let busy = Duration::from_millis(shared.env.config.store.busy_timeout_ms);
    let read = tokio::task::spawn_blocking(move || history(&db, busy)).await;
    let read = read
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let (mut turns, summary) = match read {
        Ok(read) => read,
        Err(e) => {
            log(
                shared,
                planner,
                format!("planner: chat history not read ({e})"),
            )
            .await;
            return String::new();
        }
    };
    // The message being answered may already be committed; it is sent on its own.
    if turns
        .last()
        .is_some_and(|(_, who, text)| who == "person" && text == current)
    {
        turns.pop();
    }
    let keep = shared.env.config.memory.chat_turns;
    let split = turns.len().saturating_sub(keep);
    let (older, recent) = turns.split_at(split);
    let covered = summary
        .as_ref()
        .and_then(|s| s.source_event)
        .map_or(0, |e| e.0);
    let uncovered: Vec<&Turn> = older.iter().filter(|(id, _, _)| *id > covered).collect();
    let mut summary_text = summary.as_ref().map(|s| s.text.clone());
    let mut raw_older: Vec<&Turn> = Vec::new();
    if uncovered.len() >= (keep / 2).max(1) {
        let pairs: Vec<(String, String)> = uncovered
            .iter()
            .map(|(_, who, text)| (who.clone(), text.clone()))
            .collect();
        let text = summarize(shared, planner, summary_text.as_deref(), &pairs).await;
        remember(shared, planner, text.clone()).await;
        summary_text = Some(text);
    } else {
        raw_older = uncovered;
    }
    if summary_text.is_none() && recent.is_empty() && raw_older.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    if let Some(summary) = summary_text {
        out.push_str(&format!(
            "Earlier conversation with the person (summary):\n{summary}\n\n"
        ));
    }
    let lines: Vec<String> = raw_older
        .into_iter()
        .chain(recent.iter())
        .map(|(_, who, text)| format!("{who}: {}", clip(text)))
        .collect();
    if !lines.is_empty() {
        out.push_str(&format!("Recent conversation:\n{}\n\n", lines.join("\n")));
    }
    out
}

/// The chat turns of every run, oldest first, and the newest conversation summary.
fn history(
    db: &std::path::Path,
    busy: Duration,
) -> Result<(Vec<Turn>, Option<MemoryEntry>), StoreError> {
    let reader = Reader::open(db, busy)?;
    let page = reader.chat_history(HISTORY)?;
    let turns = page
        .records
        .into_iter()
        .filter_map(|r| match r.event {
            Event::ChatMessagePosted { role, text } => {
                let who = match role {
                    ChatRole::User => "person",
                    ChatRole::Planner => "planner",
                    ChatRole::System => return None,
                };
                Some((r.id.0, who.to_string(), text))
            }
            _ => None,
        })
        .collect();
    let summary = reader
        .memory_list(Some(MemoryKind::Conversation.as_str()), false, 1)?
        .into_iter()
        .next();
    Ok((turns, summary))
}

/// The synthesis model's summary of the turns after the earlier summary, or a plain one.
async fn summarize(
    shared: &Arc<Shared>,
    planner: AgentId,
    earlier: Option<&str>,
    turns: &[(String, String)],
) -> String {
    let plain = synth::plain_conversation(earlier, turns);
    let role = shared.env.config.memory.synthesis.trim().to_string();
    if role.is_empty() {
        return plain;
    }
    let messages = vec![
        Message::text(
            Role::System,
            format!(
                "{}\nSummarize this conversation between the person and the planner in at most \
                 five sentences: the goals the person gave, their preferences and hints, and \
                 what was decided.",
                super::prompts::builtin("synthesizer")
            ),
        ),
        Message::text(Role::User, plain.clone()),
    ];
    match shared
        .ask_model(planner, &role, messages, Vec::new(), None)
        .await
    {
        Ok(answer) if !answer.text.trim().is_empty() => {
            answer.text.trim().chars().take(1500).collect()
        }
        Ok(_) => plain,
        Err(e) => {
            log(
                shared,
                planner,
                format!("planner: the conversation summary was written without a model ({e})"),
            )
            .await;
            plain
        }
    }
}

async fn remember(shared: &Arc<Shared>, planner: AgentId, text: String) {
    let busy = Duration::from_millis(shared.env.config.store.busy_timeout_ms);
    let id = memory::next_id(&shared.env.store.paths().db, busy);
    shared
        .emit(Event::MemoryWritten {
            memory: id,
            memory_kind: MemoryKind::Conversation,
            text,
            agent: Some(planner),
            task: None,
        })
        .await;
    if let Err(e) = shared.env.store.flush().await {
        log(
            shared,
            planner,
            format!("planner: the conversation summary was not kept ({e})"),
        )
        .await;
    }
}

fn clip(text: &str) -> String {
    let mut out: String = text.chars().take(TURN_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

async fn log(shared: &Shared, planner: AgentId, text: String) {
    shared.log(Some(planner), LogLevel::Warn, text).await;
}
