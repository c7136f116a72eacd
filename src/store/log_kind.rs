//! Which sort of log line the logs pane shows: tool output, model tokens, warroom's own lines
//! or errors. One table says which stored event kinds belong to each, read both by the SQL
//! that pages older lines (so a filtered page is a page of matching lines) and by the screen
//! for live lines, so the two never disagree. Pure; no SQL is run here.

use crate::protocol::{Event, LogLevel};

/// A sort of log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// Tool calls, their output and test runs.
    Tool,
    /// Model calls and their streamed tokens.
    Model,
    /// Lines warroom itself wrote (no agent).
    Warroom,
    /// Error lines.
    Errors,
}

/// The event kinds of tool lines.
const TOOL_KINDS: &[&str] = &[
    "tool_call_began",
    "tool_output_delta",
    "tool_call_ended",
    "tests_ran",
];

/// The event kinds of model lines.
const MODEL_KINDS: &[&str] = &[
    "llm_call_began",
    "llm_delta",
    "llm_call_ended",
    "llm_retried",
    "llm_fell_back",
];

impl LogKind {
    /// Every kind, in the order a key cycles through them.
    pub const ALL: [LogKind; 4] = [
        LogKind::Tool,
        LogKind::Model,
        LogKind::Warroom,
        LogKind::Errors,
    ];

    /// The word the logs pane shows.
    pub fn word(self) -> &'static str {
        match self {
            LogKind::Tool => "tool output",
            LogKind::Model => "model tokens",
            LogKind::Warroom => "warroom lines",
            LogKind::Errors => "errors",
        }
    }

    /// Whether a live event is of this sort.
    pub fn matches(self, event: &Event) -> bool {
        match self {
            LogKind::Tool => TOOL_KINDS.contains(&event.kind()),
            LogKind::Model => MODEL_KINDS.contains(&event.kind()),
            LogKind::Warroom => event.agent().is_none(),
            LogKind::Errors => event.log_level() == Some(LogLevel::Error),
        }
    }

    /// The SQL condition over the `events` columns `kind`, `agent` and `level` (constants
    /// only: nothing from the person reaches the statement).
    pub(super) fn sql(self) -> String {
        let list = |kinds: &[&str]| {
            kinds
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            LogKind::Tool => format!("kind IN ({})", list(TOOL_KINDS)),
            LogKind::Model => format!("kind IN ({})", list(MODEL_KINDS)),
            LogKind::Warroom => "agent IS NULL".to_string(),
            LogKind::Errors => format!("level = {}", LogLevel::Error.as_i64()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{AgentId, LlmCallId, OutputStream, ToolCallId};

    #[test]
    fn live_events_sort_as_the_sql_does() {
        let tool = Event::ToolOutputDelta {
            call: ToolCallId(1),
            agent: AgentId(2),
            stream: OutputStream::Stdout,
            text: "ok".into(),
        };
        let model = Event::LlmDelta {
            call: LlmCallId(1),
            agent: AgentId(2),
            text: "hi".into(),
        };
        let ours = Event::LogLine {
            agent: None,
            level: LogLevel::Info,
            text: "started".into(),
        };
        let error = Event::LogLine {
            agent: Some(AgentId(2)),
            level: LogLevel::Error,
            text: "boom".into(),
        };
        assert!(LogKind::Tool.matches(&tool) && !LogKind::Tool.matches(&model));
        assert!(LogKind::Model.matches(&model) && !LogKind::Model.matches(&ours));
        assert!(LogKind::Warroom.matches(&ours) && !LogKind::Warroom.matches(&error));
        assert!(LogKind::Errors.matches(&error) && !LogKind::Errors.matches(&ours));
        assert!(LogKind::Tool.sql().contains("'tool_output_delta'"));
        assert_eq!(LogKind::Errors.sql(), "level = 3");
    }
}
