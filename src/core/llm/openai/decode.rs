//! Decodes a chat-completions event stream: the `data:` payload of each server-sent event goes
//! in, [`StreamEvent`]s come out. Pure (no IO), so it is unit-tested and fuzzed on its own.
//!
//! Text deltas and usage go out as they arrive; tool-call fragments go out as deltas and are
//! assembled per `index`; at `[DONE]` the complete calls (or, when enabled, the calls a small
//! model wrote as text) go out, then `Done`. A stream that ends before `[DONE]`, has no
//! finish reason, carries bad JSON, or brings neither text nor a tool call is a [`Fault`].

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::core::llm::text_tools::tool_calls_in_text;
use crate::core::llm::{FinishReason, StreamEvent, ToolCall, Usage};

/// What is wrong with a stream, before it gets the provider's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The stream broke the wire format.
    Protocol(String),
    /// The server reported an error inside the stream; `status` is its code when it gave an
    /// HTTP-like one.
    Api {
        /// The status it gave, if any.
        status: Option<u16>,
        /// What it said.
        message: String,
    },
}

/// The state of one answer being decoded.
#[derive(Debug, Default)]
pub struct Decoder {
    /// Declared tool names, when calls written as text are to be converted.
    text_tools: Option<Vec<String>>,
    text: String,
    calls: BTreeMap<usize, PartialCall>,
    finish: Option<FinishReason>,
    saw_choice: bool,
    saw_usage: bool,
    done: bool,
}

#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

impl Decoder {
    /// A decoder; with `text_tools`, a call written as text that names one of these tools
    /// becomes a real call when the model made none.
    pub fn new(text_tools: Option<Vec<String>>) -> Self {
        Decoder {
            text_tools,
            ..Decoder::default()
        }
    }

    /// Whether `[DONE]` was read (nothing more is expected).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The events one `data:` payload brings.
    pub fn on_data(&mut self, data: &str) -> Result<Vec<StreamEvent>, Fault> {
        if self.done {
            return Ok(Vec::new());
        }
        if data.trim() == "[DONE]" {
            self.done = true;
            return self.finish();
        }
        let chunk: WireChunk = serde_json::from_str(data).map_err(|e| {
            Fault::Protocol(format!(
                "a chunk is not valid JSON ({e}): {}",
                preview(data)
            ))
        })?;
        if let Some(error) = chunk.error {
            return Err(api_fault(&error));
        }
        let mut events = Vec::new();
        // Only the first choice is read: requests never ask for more than one.
        let choice = chunk
            .choices
            .into_iter()
            .flatten()
            .find(|c| c.index.unwrap_or(0) == 0);
        if let Some(choice) = choice {
            self.saw_choice = true;
            if let Some(delta) = choice.delta {
                self.on_delta(delta, &mut events);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(finish_reason(&reason));
            }
        }
        if let Some(usage) = chunk.usage {
            self.saw_usage = true;
            let details = usage.prompt_tokens_details.unwrap_or_default();
            events.push(StreamEvent::Usage {
                usage: Usage {
                    input_tokens: usage.prompt_tokens.unwrap_or(0),
                    output_tokens: usage.completion_tokens.unwrap_or(0),
                    cached_tokens: details.cached_tokens.unwrap_or(0),
                    cache_write_tokens: 0,
                },
            });
        }
        Ok(events)
    }

    /// The fault for a stream that ended without `[DONE]`.
    pub fn ended_early(&self) -> Fault {
        let progress = match (&self.finish, self.text.len(), self.calls.len()) {
            (Some(_), _, _) => "after the finish reason".to_string(),
            (None, 0, 0) => "before any answer".to_string(),
            (None, bytes, calls) => format!("after {bytes} bytes of text and {calls} tool calls"),
        };
        Fault::Protocol(format!("stream cut before [DONE] ({progress})"))
    }

    fn on_delta(&mut self, delta: WireDelta, events: &mut Vec<StreamEvent>) {
        // A refusal (structured outputs) is the model's answer in words: pass it on as text.
        for text in [delta.content, delta.refusal].into_iter().flatten() {
            if !text.is_empty() {
                self.text.push_str(&text);
                events.push(StreamEvent::TextDelta { text });
            }
        }
        for fragment in delta.tool_calls.into_iter().flatten() {
            let index = self.call_index(&fragment);
            let call = self.calls.entry(index).or_default();
            let function = fragment.function.unwrap_or_default();
            let id = fragment.id.filter(|id| !id.is_empty());
            if call.id.is_none() {
                call.id.clone_from(&id);
            }
            let name = function.name.filter(|n| !n.is_empty());
            if let Some(name) = &name {
                // Servers send the name once; one that repeats it whole must not double it.
                if call.name != *name {
                    call.name.push_str(name);
                }
            }
            let arguments = match function.arguments {
                Some(Value::String(s)) => s,
                Some(Value::Null) | None => String::new(),
                // A few servers send the arguments as an object rather than JSON text.
                Some(other) => other.to_string(),
            };
            call.arguments.push_str(&arguments);
            events.push(StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            });
        }
    }

    /// The call a fragment belongs to: its `index`, or for servers that omit it, the call
    /// with its id, else a new call when it brings a new id, else the latest call.
    fn call_index(&self, fragment: &WireToolCall) -> usize {
        if let Some(index) = fragment.index {
            return index;
        }
        let last = self.calls.keys().next_back().copied();
        match (&fragment.id, last) {
            (Some(id), _) if !id.is_empty() => self
                .calls
                .iter()
                .find(|(_, c)| c.id.as_deref() == Some(id))
                .map_or(last.map_or(0, |l| l + 1), |(i, _)| *i),
            (_, Some(last)) => last,
            (_, None) => 0,
        }
    }

    /// The events at `[DONE]`: the complete tool calls, then `Done`.
    fn finish(&mut self) -> Result<Vec<StreamEvent>, Fault> {
        let Some(mut finish_reason) = self.finish.take() else {
            return Err(Fault::Protocol(if self.saw_choice || self.saw_usage {
                "the stream reached [DONE] without a finish reason".into()
            } else {
                NO_CHOICES.into()
            }));
        };
        let mut calls = Vec::new();
        for (index, call) in std::mem::take(&mut self.calls) {
            if call.name.is_empty() {
                return Err(Fault::Protocol(format!("tool call #{index} has no name")));
            }
            calls.push(ToolCall {
                id: call.id.unwrap_or_else(|| format!("call_{index}")),
                name: call.name,
                arguments: call.arguments,
            });
        }
        if calls.is_empty() {
            if let Some(declared) = &self.text_tools {
                let declared: Vec<&str> = declared.iter().map(String::as_str).collect();
                calls = tool_calls_in_text(&self.text, &declared);
            }
        }
        if !calls.is_empty() {
            // Some servers (Ollama) say "stop" even when the answer is tool calls.
            if finish_reason == FinishReason::Stop {
                finish_reason = FinishReason::ToolCalls;
            }
        } else if self.text.is_empty() {
            return Err(Fault::Protocol(if self.saw_choice || self.saw_usage {
                format!(
                    "empty answer: no text and no tool call (finish reason {})",
                    reason_name(&finish_reason)
                )
            } else {
                NO_CHOICES.into()
            }));
        }
        let mut events: Vec<StreamEvent> = calls
            .into_iter()
            .map(|call| StreamEvent::ToolCall { call })
            .collect();
        events.push(StreamEvent::Done { finish_reason });
        Ok(events)
    }
}

const NO_CHOICES: &str = "the stream had no choices: no text, no tool call and no usage";

fn finish_reason(reason: &str) -> FinishReason {
    match reason {
        "stop" | "eos" | "end_turn" => FinishReason::Stop,
        "length" => FinishReason::Length,
        "tool_calls" | "function_call" => FinishReason::ToolCalls,
        "content_filter" => FinishReason::ContentFilter,
        other => FinishReason::Other(other.to_string()),
    }
}

fn reason_name(reason: &FinishReason) -> String {
    match reason {
        FinishReason::Stop => "stop".into(),
        FinishReason::Length => "length".into(),
        FinishReason::ToolCalls => "tool_calls".into(),
        FinishReason::StopSequence => "stop_sequence".into(),
        FinishReason::ContentFilter => "content_filter".into(),
        FinishReason::Other(other) => other.clone(),
    }
}

/// `{"error": {"message", "code", "type"}}`, `{"error": "text"}` or anything else.
fn api_fault(error: &Value) -> Fault {
    let status = error
        .get("code")
        .or_else(|| error.get("status"))
        .and_then(|c| {
            c.as_u64()
                .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        })
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    let message = match error {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let text = o.get("message").and_then(Value::as_str).unwrap_or_default();
            let code = o
                .get("code")
                .and_then(Value::as_str)
                .or_else(|| o.get("type").and_then(Value::as_str));
            match code {
                Some(code) if !text.is_empty() => format!("{code}: {text}"),
                Some(code) => code.to_string(),
                None if text.is_empty() => error.to_string(),
                None => text.to_string(),
            }
        }
        other => other.to_string(),
    };
    Fault::Api {
        status,
        message: format!("error in the stream: {message}"),
    }
}

/// The start of a payload, for an error message.
fn preview(data: &str) -> String {
    match data.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &data[..cut]),
        None => data.to_string(),
    }
}

#[derive(Deserialize)]
struct WireChunk {
    #[serde(default)]
    choices: Option<Vec<WireChoice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    #[serde(default)]
    index: Option<u32>,
    #[serde(default)]
    delta: Option<WireDelta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Deserialize, Default)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<WireUsageDetails>,
}

#[derive(Deserialize, Default)]
struct WireUsageDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
