//! The conversation as a fold: `ChatMessagePosted` events of the run (the snapshot's page,
//! then live ones), each cleaned into paragraphs once. Holds the newest messages only. Pure:
//! no IO, no ratatui; wrapping to a width is the chat pane's job.

use std::collections::VecDeque;

use crate::protocol::{ChatRole, Event, EventId, Millis, Record};
use crate::store::Page;

use super::super::text;

/// How many messages are kept (the snapshot reads as many).
pub const CHAT_KEPT: usize = 500;
/// The most characters of one message kept for display.
const MAX_MESSAGE_CHARS: usize = 4000;

/// One message, cleaned for display.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    /// Its event.
    pub id: EventId,
    /// When it was posted.
    pub at: Millis,
    /// Who wrote it.
    pub role: ChatRole,
    /// Its paragraphs, each one clean line.
    pub paragraphs: Vec<String>,
}

/// The newest messages, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatView {
    messages: VecDeque<ChatMessage>,
}

impl ChatView {
    /// The messages of a snapshot's chat page.
    pub fn from_page(page: &Page) -> Self {
        let mut view = ChatView::default();
        for record in &page.records {
            view.apply(record);
        }
        view
    }

    /// Folds one record; returns whether anything changed.
    pub fn apply(&mut self, record: &Record) -> bool {
        let Event::ChatMessagePosted { role, text } = &record.event else {
            return false;
        };
        self.messages.push_back(ChatMessage {
            id: record.id,
            at: record.at,
            role: *role,
            paragraphs: paragraphs(text),
        });
        while self.messages.len() > CHAT_KEPT {
            self.messages.pop_front();
        }
        true
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> &VecDeque<ChatMessage> {
        &self.messages
    }
}

/// How the screen names who wrote a message.
pub fn role_label(role: ChatRole) -> &'static str {
    match role {
        ChatRole::User => "you",
        ChatRole::Planner => "planner",
        ChatRole::System => "warroom",
    }
}

fn paragraphs(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut left = MAX_MESSAGE_CHARS;
    for line in raw.lines() {
        if left == 0 {
            if let Some(last) = out.last_mut() {
                *last = format!("{last}… ({} bytes)", raw.len());
            }
            break;
        }
        let cleaned = text::clean_line(line, left);
        left = left.saturating_sub(cleaned.text.chars().count().max(1));
        if cleaned.truncated {
            out.push(format!("{}… ({} bytes)", cleaned.text, raw.len()));
            break;
        }
        out.push(cleaned.text);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}
