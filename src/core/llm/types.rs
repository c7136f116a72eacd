//! The vocabulary shared by every provider, the router and the agents: requests, the events of
//! a streamed answer, usage, and errors. Provider-neutral: each provider maps its wire format
//! to and from these. Pure data; no IO.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions.
    System,
    /// The person or the agent's driver.
    User,
    /// The model.
    Assistant,
    /// The result of a tool call.
    Tool,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text (may be empty for an assistant message that only calls tools).
    pub content: String,
    /// Tool calls the assistant made in this message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `Tool` message: the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    /// A message with text only.
    pub fn text(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// The answer to a tool call.
    pub fn tool_result(call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Message {
            role: Role::Tool,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id.into()),
        }
    }
}

/// A tool the model may call, described by a JSON schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Its name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// JSON schema of its arguments (an object schema).
    pub parameters: serde_json::Value,
}

/// A complete tool call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call (generated when the provider gives none).
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text, exactly as the model wrote them (may be invalid JSON: the
    /// agent answers that as an error the model can correct).
    pub arguments: String,
}

impl ToolCall {
    /// The arguments parsed, or a message saying what is wrong with them.
    pub fn parsed_arguments(&self) -> Result<serde_json::Value, String> {
        serde_json::from_str(&self.arguments).map_err(|e| {
            format!(
                "the arguments of tool call {} ({}) are not valid JSON: {e}",
                self.id, self.name
            )
        })
    }
}

/// How the answer must be shaped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// JSON that matches this schema.
    JsonSchema {
        /// A name for the schema.
        name: String,
        /// The schema.
        schema: serde_json::Value,
    },
}

/// Sampling parameters. `None` leaves the provider's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Most tokens to generate.
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stop: Vec<String>,
    /// Structured output.
    pub response_format: Option<ResponseFormat>,
}

/// One request to a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The model's name at the provider.
    pub model: String,
    /// The conversation, system prompt first if any.
    pub messages: Vec<Message>,
    /// Tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolSpec>,
    /// Sampling parameters.
    #[serde(default)]
    pub params: Params,
}

/// Tokens used by one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens, including cached ones.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// Prompt tokens the provider served from its cache (read).
    pub cached_tokens: u64,
    /// Prompt tokens written to the provider's cache (Anthropic).
    pub cache_write_tokens: u64,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It finished its answer.
    Stop,
    /// It hit `max_tokens`.
    Length,
    /// It wants tools called.
    ToolCalls,
    /// A stop sequence matched.
    StopSequence,
    /// The provider filtered the content.
    ContentFilter,
    /// Something else, as the provider named it.
    Other(String),
}

/// One piece of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// More answer text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// A fragment of a tool call; fragments with the same `index` belong together.
    ToolCallDelta {
        /// Which call of this answer.
        index: usize,
        /// Its id, when this fragment carries it.
        id: Option<String>,
        /// Its name, when this fragment carries it.
        name: Option<String>,
        /// More argument text.
        arguments: String,
    },
    /// A tool call, complete (sent after its last fragment, before `Done`).
    ToolCall {
        /// The call.
        call: ToolCall,
    },
    /// Token counts (may come more than once; the last one counts).
    Usage {
        /// The counts.
        usage: Usage,
    },
    /// The answer is complete.
    Done {
        /// Why the model stopped.
        finish_reason: FinishReason,
    },
}

/// Everything that can go wrong talking to a model, worded for the person and classified for
/// the router. No message ever contains a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// 429: slow down.
    #[error("{provider}: rate limited (429){}", retry_after.map(|d| format!(", retry after {} ms", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// The provider.
        provider: String,
        /// How long the provider asked us to wait.
        retry_after: Option<Duration>,
    },
    /// 5xx: the provider failed.
    #[error("{provider}: server error {status}: {message}")]
    Server {
        /// The provider.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// What it said (trimmed).
        message: String,
    },
    /// 401: the key was refused.
    #[error("{provider}: the API key was refused (401); check the key in {key_source}")]
    Unauthorized {
        /// The provider.
        provider: String,
        /// Where the key came from: an environment variable's name or a key file's path.
        key_source: String,
    },
    /// 403: not allowed.
    #[error("{provider}: forbidden (403): {message}")]
    Forbidden {
        /// The provider.
        provider: String,
        /// What it said.
        message: String,
    },
    /// The prompt does not fit the model's context window.
    #[error("{provider}: the request is longer than the model's context window: {message}")]
    ContextTooLong {
        /// The provider.
        provider: String,
        /// What it said.
        message: String,
    },
    /// 400 and other refusals that retrying cannot fix.
    #[error("{provider}: request refused ({status}): {message}")]
    BadRequest {
        /// The provider.
        provider: String,
        /// The HTTP status.
        status: u16,
        /// What it said.
        message: String,
    },
    /// No answer in time.
    #[error("{provider}: timed out waiting for {phase} after {} ms", after.as_millis())]
    Timeout {
        /// The provider.
        provider: String,
        /// "connect", "first byte" or "next chunk".
        phase: &'static str,
        /// How long we waited.
        after: Duration,
    },
    /// Could not connect, or the connection broke.
    #[error("{provider}: connection failed: {message}")]
    Connection {
        /// The provider.
        provider: String,
        /// What failed.
        message: String,
    },
    /// The answer did not follow the wire format (bad JSON, HTML instead of an event stream,
    /// a stream that ended without finishing, no choices, no content).
    #[error("{provider}: malformed answer: {message}")]
    Protocol {
        /// The provider.
        provider: String,
        /// What was wrong.
        message: String,
    },
    /// The provider is judged failing and is skipped for now.
    #[error("{provider}: skipped for {} ms after repeated failures", for_how_long.as_millis())]
    CircuitOpen {
        /// The provider.
        provider: String,
        /// Until it is tried again.
        for_how_long: Duration,
    },
    /// A budget would be exceeded; the call was not made.
    #[error("budget: {0}")]
    Budget(String),
    /// The configuration cannot work (unknown provider, missing key, ...).
    #[error("config: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether trying the same provider again (after a pause) may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::RateLimited { .. }
                | LlmError::Server { .. }
                | LlmError::Timeout { .. }
                | LlmError::Connection { .. }
                | LlmError::Protocol { .. }
        )
    }

    /// Whether another provider may succeed where this one failed.
    pub fn allows_fallback(&self) -> bool {
        self.is_retryable() || matches!(self, LlmError::CircuitOpen { .. })
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do_and_classify_for_the_router() {
        let e = LlmError::Unauthorized {
            provider: "openai".into(),
            key_source: "environment variable OPENAI_API_KEY".into(),
        };
        assert!(e.to_string().contains("OPENAI_API_KEY"));
        assert!(!e.is_retryable() && !e.allows_fallback());
        let e = LlmError::RateLimited {
            provider: "p".into(),
            retry_after: Some(Duration::from_millis(1500)),
        };
        assert!(e.is_retryable());
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        assert!(e.to_string().contains("1500 ms"));
        let e = LlmError::ContextTooLong {
            provider: "p".into(),
            message: "too long".into(),
        };
        assert!(!e.allows_fallback());
    }

    #[test]
    fn requests_and_events_round_trip() {
        let request = ChatRequest {
            model: "m".into(),
            messages: vec![
                Message::text(Role::System, "be brief"),
                Message::tool_result("call_1", "ok"),
            ],
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "read".into(),
                parameters: serde_json::json!({"type": "object"}),
            }],
            params: Params {
                temperature: Some(0.0),
                ..Params::default()
            },
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<ChatRequest>(&json).unwrap(), request);
        let call = ToolCall {
            id: "1".into(),
            name: "read_file".into(),
            arguments: "{\"path\": ".into(),
        };
        assert!(call.parsed_arguments().unwrap_err().contains("read_file"));
    }
}
