//! What the family tree shows about one agent when the person focuses it: the live token
//! stream of its current model call (the `LlmDelta` text since `LlmCallBegan`), its latest
//! context window (`ContextUpdated`: parts with kind, label and tokens, against the model's
//! window) and the memories put into its context (`MemoryInjected`). A fold of events, kept
//! for every agent so focusing one shows its state at once; bounded so a chatty agent cannot
//! grow it without end. Pure: no IO, no ratatui.

use std::collections::VecDeque;

use crate::protocol::{ContextPart, Event, LlmCallId, MemoryId, TaskId};

use super::super::text;

/// The most characters of a call's stream kept (its tail: the newest words matter).
pub const STREAM_KEPT: usize = 4000;
/// The most `MemoryInjected` entries kept per agent (newest last).
pub const INJECTIONS_KEPT: usize = 8;

/// Memories put into an agent's context before a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injection {
    /// The task they were for.
    pub task: Option<TaskId>,
    /// The entries, best first.
    pub memories: Vec<MemoryId>,
    /// Their size in tokens.
    pub tokens: u64,
}

/// One agent's live detail.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AgentDetail {
    /// The call whose text [`stream`](Self::stream) holds.
    pub call: Option<LlmCallId>,
    /// Whether that call is still streaming.
    pub streaming: bool,
    /// The call's text so far (cleaned, its tail at most [`STREAM_KEPT`] characters).
    pub stream: String,
    /// Whether older text of the call was dropped.
    pub stream_cut: bool,
    /// The latest context parts, in the order they are sent.
    pub parts: Vec<ContextPart>,
    /// The model's window in tokens (0 when unknown).
    pub window: u64,
    /// Whether a `ContextUpdated` was seen at all.
    pub has_context: bool,
    /// The newest injections, oldest first.
    pub injected: VecDeque<Injection>,
}

impl AgentDetail {
    /// The context's total in tokens.
    pub fn context_tokens(&self) -> u64 {
        self.parts
            .iter()
            .fold(0u64, |sum, p| sum.saturating_add(p.tokens))
    }

    /// Folds one event about this agent; returns whether anything changed.
    pub fn apply(&mut self, event: &Event) -> bool {
        match event {
            Event::LlmCallBegan { call, .. } => {
                self.call = Some(*call);
                self.streaming = true;
                self.stream.clear();
                self.stream_cut = false;
            }
            Event::LlmDelta { call, text, .. } => {
                if self.call != Some(*call) {
                    // A delta of a call whose start we did not see (a snapshot began mid-call).
                    self.call = Some(*call);
                    self.streaming = true;
                    self.stream.clear();
                    self.stream_cut = false;
                }
                self.push(text);
            }
            Event::LlmCallEnded { call, .. } if self.call == Some(*call) => {
                self.streaming = false;
            }
            Event::ContextUpdated { parts, window, .. } => {
                self.parts = parts
                    .iter()
                    .map(|p| ContextPart {
                        kind: text::clean_line(&p.kind, 40).text,
                        label: text::clean_line(&p.label, 200).text,
                        tokens: p.tokens,
                    })
                    .collect();
                self.window = *window;
                self.has_context = true;
            }
            Event::MemoryInjected {
                task,
                memories,
                tokens,
                ..
            } => {
                self.injected.push_back(Injection {
                    task: *task,
                    memories: memories.clone(),
                    tokens: *tokens,
                });
                while self.injected.len() > INJECTIONS_KEPT {
                    self.injected.pop_front();
                }
            }
            _ => return false,
        }
        true
    }

    fn push(&mut self, raw: &str) {
        let cleaned = text::clean_fragment(raw, STREAM_KEPT);
        self.stream.push_str(&cleaned.text);
        let chars = self.stream.chars().count();
        if chars > STREAM_KEPT {
            let cut = self
                .stream
                .char_indices()
                .nth(chars - STREAM_KEPT)
                .map_or(0, |(i, _)| i);
            self.stream.drain(..cut);
            self.stream_cut = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AgentId;

    fn delta(call: u32, text: &str) -> Event {
        Event::LlmDelta {
            call: LlmCallId(call),
            agent: AgentId(1),
            text: text.into(),
        }
    }

    #[test]
    fn a_new_call_starts_a_new_stream_and_the_tail_is_kept() {
        let mut d = AgentDetail::default();
        d.apply(&delta(1, "old words"));
        d.apply(&Event::LlmCallBegan {
            call: LlmCallId(2),
            agent: AgentId(1),
            provider: "p".into(),
            model: "m".into(),
        });
        assert_eq!(d.stream, "");
        d.apply(&delta(2, &"x".repeat(STREAM_KEPT)));
        d.apply(&delta(2, "\x1b[2Jend"));
        assert!(d.stream.ends_with("end"), "escape sequences are dropped");
        assert_eq!(d.stream.chars().count(), STREAM_KEPT);
        assert!(d.stream_cut);
    }

    #[test]
    fn context_totals_and_injections_are_bounded() {
        let mut d = AgentDetail::default();
        d.apply(&Event::ContextUpdated {
            agent: AgentId(1),
            parts: vec![
                ContextPart {
                    kind: "system".into(),
                    label: "role".into(),
                    tokens: u64::MAX,
                },
                ContextPart {
                    kind: "memory".into(),
                    label: "memory #3".into(),
                    tokens: 5,
                },
            ],
            window: 128_000,
        });
        assert_eq!(d.context_tokens(), u64::MAX);
        for i in 0..20 {
            d.apply(&Event::MemoryInjected {
                agent: AgentId(1),
                task: Some(TaskId(i)),
                memories: vec![MemoryId(i.into())],
                tokens: 10,
                text: String::new(),
            });
        }
        assert_eq!(d.injected.len(), INJECTIONS_KEPT);
        assert_eq!(d.injected.back().and_then(|i| i.task), Some(TaskId(19)));
    }
}
