//! The conversation as a fold: `ChatMessagePosted` events of the run (the snapshot's page,
//! then live ones), each cleaned into paragraphs once, fenced code kept apart with its
//! indentation; and the planner's reply while it is being written (the `LlmDelta`s of the
//! planner's call, dropped when the call ends or its message is posted). Holds the newest
//! messages only. Pure: no IO, no ratatui; wrapping to a width is the chat pane's job.

use std::collections::VecDeque;

use crate::protocol::{AgentId, ChatRole, Event, EventId, LlmCallId, Millis, Record};
use crate::store::Page;

use super::super::text;

/// How many messages are kept (the snapshot reads as many).
pub const CHAT_KEPT: usize = 500;
/// The most characters of one message kept for display.
const MAX_MESSAGE_CHARS: usize = 4000;
/// Columns a tab stands for inside a code block.
const TAB: &str = "    ";

/// One paragraph of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// One clean line (code keeps its leading spaces).
    pub text: String,
    /// Whether it is inside a ``` fence (drawn apart and never wrapped).
    pub code: bool,
}

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
    pub paragraphs: Vec<Paragraph>,
}

/// The planner's reply as it streams in.
#[derive(Debug, Clone, PartialEq)]
struct Streaming {
    call: LlmCallId,
    raw: String,
}

/// The newest messages, oldest first, and the reply being written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChatView {
    messages: VecDeque<ChatMessage>,
    planner: Option<AgentId>,
    streaming: Option<Streaming>,
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

    /// Names the planner (known from a snapshot's agents) so its reply streams here.
    pub fn with_planner(mut self, planner: Option<AgentId>) -> Self {
        self.planner = planner;
        self
    }

    /// Folds one record; returns whether anything changed.
    pub fn apply(&mut self, record: &Record) -> bool {
        match &record.event {
            Event::AgentSpawned {
                agent,
                parent,
                role,
                ..
            } => {
                if role == "planner" || (parent.is_none() && self.planner.is_none()) {
                    self.planner = Some(*agent);
                }
                false
            }
            Event::LlmCallBegan { call, agent, .. } if Some(*agent) == self.planner => {
                self.streaming = Some(Streaming {
                    call: *call,
                    raw: String::new(),
                });
                true
            }
            Event::LlmDelta { call, text, .. } => match &mut self.streaming {
                Some(s) if s.call == *call && s.raw.len() < MAX_MESSAGE_CHARS * 4 => {
                    s.raw.push_str(text);
                    true
                }
                _ => false,
            },
            Event::LlmCallEnded { call, .. } => {
                let ends = self.streaming.as_ref().is_some_and(|s| s.call == *call);
                if ends {
                    self.streaming = None;
                }
                ends
            }
            Event::ChatMessagePosted { role, text } => {
                if *role == ChatRole::Planner {
                    self.streaming = None;
                }
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
            _ => false,
        }
    }

    /// The messages, oldest first.
    pub fn messages(&self) -> &VecDeque<ChatMessage> {
        &self.messages
    }

    /// The planner's reply so far, while its call streams (empty until the first piece).
    pub fn streaming(&self) -> Option<Vec<Paragraph>> {
        self.streaming.as_ref().map(|s| paragraphs(&s.raw))
    }

    /// The newest message the person wrote, for the input's history.
    pub fn sent_by_you(&self) -> impl Iterator<Item = &ChatMessage> {
        self.messages.iter().filter(|m| m.role == ChatRole::User)
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

/// Splits a message into clean paragraphs; lines between ``` fences are code (the fence
/// lines themselves are dropped, a language name after the opening fence is kept as a dim
/// label by the pane). Stops at [`MAX_MESSAGE_CHARS`], saying how long the message was.
pub fn paragraphs(raw: &str) -> Vec<Paragraph> {
    let mut out: Vec<Paragraph> = Vec::new();
    let mut left = MAX_MESSAGE_CHARS;
    let mut in_code = false;
    for line in raw.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            let lang = line.trim_start().trim_start_matches('`').trim();
            if in_code && !lang.is_empty() {
                let cleaned = text::clean_line(lang, 40);
                out.push(Paragraph {
                    text: format!("[{}]", cleaned.text),
                    code: true,
                });
            }
            continue;
        }
        if left == 0 {
            if let Some(last) = out.last_mut() {
                last.text = format!("{}… ({} bytes)", last.text, raw.len());
            }
            break;
        }
        let source = if in_code {
            line.replace('\t', TAB)
        } else {
            line.to_string()
        };
        let cleaned = text::clean_line(&source, left);
        left = left.saturating_sub(cleaned.text.chars().count().max(1));
        if cleaned.truncated {
            out.push(Paragraph {
                text: format!("{}… ({} bytes)", cleaned.text, raw.len()),
                code: in_code,
            });
            break;
        }
        out.push(Paragraph {
            text: cleaned.text,
            code: in_code,
        });
    }
    if out.is_empty() {
        out.push(Paragraph {
            text: String::new(),
            code: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{CallOutcome, RunId};

    fn record(id: i64, event: Event) -> Record {
        Record {
            id: EventId(id),
            run: RunId(1),
            at: Millis(id),
            event,
        }
    }

    #[test]
    fn code_keeps_its_indentation_and_leaves_the_fences_out() {
        let got = paragraphs("look:\n```rust\nfn main() {\n\tlet x = 1;\n}\n```\ndone");
        let texts: Vec<(&str, bool)> = got.iter().map(|p| (p.text.as_str(), p.code)).collect();
        assert_eq!(
            texts,
            vec![
                ("look:", false),
                ("[rust]", true),
                ("fn main() {", true),
                ("    let x = 1;", true),
                ("}", true),
                ("done", false),
            ]
        );
    }

    #[test]
    fn the_planners_reply_streams_until_it_is_posted() {
        let mut view = ChatView::default();
        let planner = AgentId(1);
        view.apply(&record(
            1,
            Event::AgentSpawned {
                agent: planner,
                parent: None,
                role: "planner".into(),
                model: "m".into(),
            },
        ));
        assert_eq!(view.streaming(), None);
        let began = Event::LlmCallBegan {
            call: LlmCallId(4),
            agent: planner,
            provider: "p".into(),
            model: "m".into(),
        };
        assert!(view.apply(&record(2, began)));
        for (i, piece) in ["I will ", "look at ", "the tests."].iter().enumerate() {
            view.apply(&record(
                3 + i as i64,
                Event::LlmDelta {
                    call: LlmCallId(4),
                    agent: planner,
                    text: (*piece).into(),
                },
            ));
        }
        let so_far = view.streaming().unwrap();
        assert_eq!(so_far[0].text, "I will look at the tests.");
        // Another agent's deltas do not stream into chat.
        assert!(!view.apply(&record(
            9,
            Event::LlmDelta {
                call: LlmCallId(5),
                agent: AgentId(2),
                text: "noise".into(),
            },
        )));
        view.apply(&record(
            10,
            Event::ChatMessagePosted {
                role: ChatRole::Planner,
                text: "I will look at the tests.".into(),
            },
        ));
        assert_eq!(view.streaming(), None);
        assert_eq!(view.messages().len(), 1);
    }

    #[test]
    fn a_call_that_ends_without_a_message_stops_streaming() {
        let mut view = ChatView::default().with_planner(Some(AgentId(1)));
        view.apply(&record(
            1,
            Event::LlmCallBegan {
                call: LlmCallId(1),
                agent: AgentId(1),
                provider: "p".into(),
                model: "m".into(),
            },
        ));
        assert!(view.streaming().is_some());
        view.apply(&record(
            2,
            Event::LlmCallEnded {
                call: LlmCallId(1),
                agent: AgentId(1),
                input_tokens: 1,
                output_tokens: 1,
                cached_tokens: 0,
                cost_usd: 0.0,
                ttft_ms: None,
                latency_ms: 1,
                cache_hit: false,
                outcome: CallOutcome::Ok,
            },
        ));
        assert_eq!(view.streaming(), None);
    }
}
