//! One recorded model call (an *exchange*): the request, every stream event the caller
//! received, and how it ended. A recording is a file of exchanges, one JSON object per line,
//! in the order they were recorded; `record.rs` writes them and `replay.rs` serves them.
//!
//! ```json
//! {"v":1,"seq":1,"provider":"openai","hash":"9f2c…","started_at":1763719200000,"latency_ms":812,
//!  "request":{"model":"gpt-4o-mini","messages":[…],"params":{"temperature":0.0,…}},
//!  "events":[{"type":"text_delta","text":"Hel"},…,{"type":"done","finish_reason":"stop"}],
//!  "outcome":{"kind":"done"}}
//! ```
//!
//! `hash` is the [`Fingerprint::of_request`] of the request *as it was sent*, before any
//! secret in it was redacted, so that the same request matches on replay; a hand-written line
//! may leave it out and the request's own fingerprint is used. Errors are stored by kind with
//! their fields ([`RecordedError`]). Pure data and conversions; no IO.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::credentials::redact;
use super::fingerprint::Fingerprint;
use super::{ChatRequest, LlmError, StreamEvent};

/// The version of the line format this build writes and reads.
pub const FORMAT: u32 = 1;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The line format's version.
    pub v: u32,
    /// Its place in the recording, from 1.
    #[serde(default)]
    pub seq: u64,
    /// The provider that answered, by its config name.
    #[serde(default)]
    pub provider: String,
    /// The request's fingerprint before redaction, as 64 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// When the call started, in ms since the Unix epoch.
    #[serde(default)]
    pub started_at: i64,
    /// How long the call took, to its last event.
    #[serde(default)]
    pub latency_ms: u64,
    /// The request (secrets redacted).
    pub request: ChatRequest,
    /// What the caller received, in order (secrets redacted).
    #[serde(default)]
    pub events: Vec<StreamEvent>,
    /// How it ended.
    pub outcome: Outcome,
}

/// How a recorded call ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The answer completed with `Done`.
    Done,
    /// The provider refused before any event (the `stream` call itself failed).
    Refused {
        /// Why.
        error: RecordedError,
    },
    /// The stream failed after `events`.
    Failed {
        /// Why.
        error: RecordedError,
    },
    /// The stream ended after `events` without `Done` and without an error.
    Cut,
    /// The caller dropped the stream after `events`.
    Cancelled,
}

/// An [`LlmError`] as a recording stores it (durations in ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(missing_docs)] // each variant mirrors the LlmError variant of the same name
pub enum RecordedError {
    RateLimited {
        provider: String,
        retry_after_ms: Option<u64>,
    },
    Server {
        provider: String,
        status: u16,
        message: String,
    },
    Unauthorized {
        provider: String,
        key_source: String,
    },
    Forbidden {
        provider: String,
        message: String,
    },
    ContextTooLong {
        provider: String,
        message: String,
    },
    BadRequest {
        provider: String,
        status: u16,
        message: String,
    },
    Timeout {
        provider: String,
        phase: String,
        after_ms: u64,
    },
    Connection {
        provider: String,
        message: String,
    },
    Protocol {
        provider: String,
        message: String,
    },
    CircuitOpen {
        provider: String,
        for_ms: u64,
    },
    Budget {
        message: String,
    },
    Config {
        message: String,
    },
}

impl From<&LlmError> for RecordedError {
    fn from(error: &LlmError) -> RecordedError {
        let ms = |d: &Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let clean = |text: &String| redact(text);
        match error {
            LlmError::RateLimited {
                provider,
                retry_after,
            } => RecordedError::RateLimited {
                provider: provider.clone(),
                retry_after_ms: retry_after.as_ref().map(ms),
            },
            LlmError::Server {
                provider,
                status,
                message,
            } => RecordedError::Server {
                provider: provider.clone(),
                status: *status,
                message: clean(message),
            },
            LlmError::Unauthorized {
                provider,
                key_source,
            } => RecordedError::Unauthorized {
                provider: provider.clone(),
                key_source: key_source.clone(),
            },
            LlmError::Forbidden { provider, message } => RecordedError::Forbidden {
                provider: provider.clone(),
                message: clean(message),
            },
            LlmError::ContextTooLong { provider, message } => RecordedError::ContextTooLong {
                provider: provider.clone(),
                message: clean(message),
            },
            LlmError::BadRequest {
                provider,
                status,
                message,
            } => RecordedError::BadRequest {
                provider: provider.clone(),
                status: *status,
                message: clean(message),
            },
            LlmError::Timeout {
                provider,
                phase,
                after,
            } => RecordedError::Timeout {
                provider: provider.clone(),
                phase: (*phase).to_string(),
                after_ms: ms(after),
            },
            LlmError::Connection { provider, message } => RecordedError::Connection {
                provider: provider.clone(),
                message: clean(message),
            },
            LlmError::Protocol { provider, message } => RecordedError::Protocol {
                provider: provider.clone(),
                message: clean(message),
            },
            LlmError::CircuitOpen {
                provider,
                for_how_long,
            } => RecordedError::CircuitOpen {
                provider: provider.clone(),
                for_ms: ms(for_how_long),
            },
            LlmError::Budget(message) => RecordedError::Budget {
                message: clean(message),
            },
            LlmError::Config(message) => RecordedError::Config {
                message: clean(message),
            },
        }
    }
}

impl From<RecordedError> for LlmError {
    fn from(error: RecordedError) -> LlmError {
        match error {
            RecordedError::RateLimited {
                provider,
                retry_after_ms,
            } => LlmError::RateLimited {
                provider,
                retry_after: retry_after_ms.map(Duration::from_millis),
            },
            RecordedError::Server {
                provider,
                status,
                message,
            } => LlmError::Server {
                provider,
                status,
                message,
            },
            RecordedError::Unauthorized {
                provider,
                key_source,
            } => LlmError::Unauthorized {
                provider,
                key_source,
            },
            RecordedError::Forbidden { provider, message } => {
                LlmError::Forbidden { provider, message }
            }
            RecordedError::ContextTooLong { provider, message } => {
                LlmError::ContextTooLong { provider, message }
            }
            RecordedError::BadRequest {
                provider,
                status,
                message,
            } => LlmError::BadRequest {
                provider,
                status,
                message,
            },
            RecordedError::Timeout {
                provider,
                phase,
                after_ms,
            } => LlmError::Timeout {
                provider,
                phase: timeout_phase(&phase),
                after: Duration::from_millis(after_ms),
            },
            RecordedError::Connection { provider, message } => {
                LlmError::Connection { provider, message }
            }
            RecordedError::Protocol { provider, message } => {
                LlmError::Protocol { provider, message }
            }
            RecordedError::CircuitOpen { provider, for_ms } => LlmError::CircuitOpen {
                provider,
                for_how_long: Duration::from_millis(for_ms),
            },
            RecordedError::Budget { message } => LlmError::Budget(message),
            RecordedError::Config { message } => LlmError::Config(message),
        }
    }
}

impl Exchange {
    /// The fingerprint this exchange answers: its `hash`, else its request's own.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        match &self.hash {
            Some(hex) => Fingerprint::from_hex(hex),
            None => Some(Fingerprint::of_request(&self.request)),
        }
    }
}

/// `request` with every text a person or a tool wrote passed through [`redact`]: message
/// contents, tool-call arguments and tool descriptions. Schemas are left alone.
pub fn redact_request(request: &ChatRequest) -> ChatRequest {
    let mut clean = request.clone();
    for message in &mut clean.messages {
        message.content = redact(&message.content);
        for call in &mut message.tool_calls {
            call.arguments = redact(&call.arguments);
        }
    }
    for tool in &mut clean.tools {
        tool.description = redact(&tool.description);
    }
    for stop in &mut clean.params.stop {
        *stop = redact(stop);
    }
    clean
}

/// `event` with its text passed through [`redact`] (a model may echo a key it was shown).
pub fn redact_event(event: &StreamEvent) -> StreamEvent {
    match event {
        StreamEvent::TextDelta { text } => StreamEvent::TextDelta { text: redact(text) },
        StreamEvent::ToolCallDelta {
            index,
            id,
            name,
            arguments,
        } => StreamEvent::ToolCallDelta {
            index: *index,
            id: id.clone(),
            name: name.clone(),
            arguments: redact(arguments),
        },
        StreamEvent::ToolCall { call } => {
            let mut call = call.clone();
            call.arguments = redact(&call.arguments);
            StreamEvent::ToolCall { call }
        }
        other @ (StreamEvent::Usage { .. } | StreamEvent::Done { .. }) => other.clone(),
    }
}

/// The `&'static str` phases an [`LlmError::Timeout`] carries.
fn timeout_phase(phase: &str) -> &'static str {
    match phase {
        "connect" => "connect",
        "first byte" => "first byte",
        _ => "next chunk",
    }
}

#[cfg(test)]
#[path = "exchange_tests.rs"]
mod tests;
