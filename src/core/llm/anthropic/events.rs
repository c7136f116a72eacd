//! Reading Anthropic's answer: the decoder that folds Messages API stream events (one SSE
//! event at a time) into [`StreamEvent`]s. Pure: no IO; the SSE framing and the timeouts are
//! the caller's, the error mapping is `errors.rs`.

use std::collections::HashMap;

use serde::Deserialize;

use super::errors::{Who, WireError, event_error};
use super::request::JsonAnswer;
use crate::core::llm::sse::trim_message;
use crate::core::llm::{FinishReason, LlmError, StreamEvent, ToolCall, Usage};

/// Folds the events of one answer. Feed it every SSE event; it says what the caller sees.
#[derive(Debug)]
pub(crate) struct Decoder {
    who: Who,
    json_answer: Option<JsonAnswer>,
    /// Open content blocks by Anthropic's block index.
    blocks: HashMap<usize, Block>,
    tools_seen: usize,
    usage: Usage,
    stop_reason: Option<String>,
    has_content: bool,
    done: bool,
}

impl Decoder {
    /// A decoder for an answer to a request built with this `json_answer`.
    pub fn new(who: Who, json_answer: Option<JsonAnswer>) -> Self {
        Decoder {
            who,
            json_answer,
            blocks: HashMap::new(),
            tools_seen: 0,
            usage: Usage::default(),
            stop_reason: None,
            has_content: false,
            done: false,
        }
    }

    /// Whether `message_stop` has been seen.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The error for a stream that ended before `message_stop`.
    pub fn ended_early(&self) -> LlmError {
        self.protocol("the stream ended before message_stop (the answer is incomplete)".into())
    }

    /// Reads one SSE event (`name` is its `event:` field, `data` its data). The JSON's own
    /// `type` decides what it is; unknown types are skipped, as Anthropic asks of clients.
    pub fn on_event(&mut self, name: &str, data: &str) -> Result<Vec<StreamEvent>, LlmError> {
        let event: WireEvent = serde_json::from_str(data).map_err(|e| {
            self.protocol(format!(
                "event `{name}` is not valid JSON ({e}): {}",
                trim_message(data)
            ))
        })?;
        let mut out = Vec::new();
        match event {
            WireEvent::MessageStart { message } => {
                if let Some(usage) = message.usage {
                    self.add_usage(&usage);
                    out.push(StreamEvent::Usage { usage: self.usage });
                }
            }
            WireEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let block = self.open_block(content_block, &mut out);
                self.blocks.insert(index, block);
            }
            WireEvent::ContentBlockDelta { index, delta } => {
                let Some(block) = self.blocks.get_mut(&index) else {
                    return Err(self.protocol(format!(
                        "content_block_delta for block {index}, which was never started"
                    )));
                };
                match (block, delta) {
                    (Block::Text, WireDelta::TextDelta { text }) if !text.is_empty() => {
                        self.has_content = true;
                        out.push(StreamEvent::TextDelta { text });
                    }
                    (
                        Block::Tool {
                            index, arguments, ..
                        },
                        WireDelta::InputJsonDelta { partial_json },
                    ) => {
                        arguments.push_str(&partial_json);
                        out.push(StreamEvent::ToolCallDelta {
                            index: *index,
                            id: None,
                            name: None,
                            arguments: partial_json,
                        });
                    }
                    (Block::Answer { buffer }, WireDelta::InputJsonDelta { partial_json }) => {
                        match buffer {
                            Some(buffer) => buffer.push_str(&partial_json),
                            None if partial_json.is_empty() => {}
                            None => {
                                self.has_content = true;
                                out.push(StreamEvent::TextDelta { text: partial_json });
                            }
                        }
                    }
                    _ => {}
                }
            }
            WireEvent::ContentBlockStop { index } => {
                if let Some(block) = self.blocks.remove(&index) {
                    self.close_block(block, &mut out);
                }
            }
            WireEvent::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                if let Some(usage) = usage {
                    self.add_usage(&usage);
                    out.push(StreamEvent::Usage { usage: self.usage });
                }
            }
            WireEvent::MessageStop => {
                // Blocks left open are closed as they stand rather than lost.
                let mut open: Vec<_> = self.blocks.drain().collect();
                open.sort_by_key(|(index, _)| *index);
                for (_, block) in open {
                    self.close_block(block, &mut out);
                }
                if !self.has_content {
                    return Err(self.protocol(format!(
                        "the model answered with no text and no tool call (stop reason: {})",
                        self.stop_reason.as_deref().unwrap_or("none")
                    )));
                }
                self.done = true;
                out.push(StreamEvent::Done {
                    finish_reason: self.finish_reason(),
                });
            }
            WireEvent::Error { error } => {
                return Err(event_error(&self.who, &error.kind, &error.message));
            }
            WireEvent::Ping | WireEvent::Other => {}
        }
        Ok(out)
    }

    fn open_block(&mut self, block: WireBlock, out: &mut Vec<StreamEvent>) -> Block {
        match block {
            WireBlock::ToolUse { id, name } => {
                if let Some(answer) = self.json_answer.as_ref().filter(|a| a.tool == name) {
                    return Block::Answer {
                        buffer: answer.wrapped.then(String::new),
                    };
                }
                let index = self.tools_seen;
                self.tools_seen += 1;
                out.push(StreamEvent::ToolCallDelta {
                    index,
                    id: Some(id.clone()),
                    name: Some(name.clone()),
                    arguments: String::new(),
                });
                Block::Tool {
                    index,
                    id,
                    name,
                    arguments: String::new(),
                }
            }
            // A structured answer is the forced tool's input alone: any text beside it would
            // corrupt the JSON.
            WireBlock::Text { .. } if self.json_answer.is_some() => Block::Ignored,
            WireBlock::Text { text } => {
                if !text.is_empty() {
                    self.has_content = true;
                    out.push(StreamEvent::TextDelta { text });
                }
                Block::Text
            }
            WireBlock::Other => Block::Ignored,
        }
    }

    fn close_block(&mut self, block: Block, out: &mut Vec<StreamEvent>) {
        match block {
            Block::Tool {
                id,
                name,
                arguments,
                ..
            } => {
                self.has_content = true;
                // A tool without parameters streams no input at all; its input is `{}`.
                let arguments = if arguments.trim().is_empty() {
                    "{}".to_string()
                } else {
                    arguments
                };
                out.push(StreamEvent::ToolCall {
                    call: ToolCall {
                        id,
                        name,
                        arguments,
                    },
                });
            }
            Block::Answer {
                buffer: Some(buffer),
            } => {
                // The schema was wrapped as `{"value": ...}`: hand back the value. Input that
                // does not parse is passed on as it is, for the caller's validation to report.
                let text = serde_json::from_str::<serde_json::Value>(&buffer)
                    .ok()
                    .and_then(|mut v| v.get_mut("value").map(serde_json::Value::take))
                    .map_or(buffer, |v| v.to_string());
                self.has_content = true;
                out.push(StreamEvent::TextDelta { text });
            }
            Block::Answer { buffer: None } if !self.has_content => {
                self.has_content = true;
                out.push(StreamEvent::TextDelta { text: "{}".into() });
            }
            Block::Answer { .. } | Block::Text | Block::Ignored => {}
        }
    }

    fn add_usage(&mut self, wire: &WireUsage) {
        // Anthropic counts cached prompt tokens apart from `input_tokens`; ours include them.
        let u = &mut self.usage;
        let uncached = wire.input_tokens.unwrap_or_else(|| {
            u.input_tokens
                .saturating_sub(u.cached_tokens + u.cache_write_tokens)
        });
        u.cached_tokens = wire.cache_read_input_tokens.unwrap_or(u.cached_tokens);
        u.cache_write_tokens = wire
            .cache_creation_input_tokens
            .unwrap_or(u.cache_write_tokens);
        u.input_tokens = uncached + u.cached_tokens + u.cache_write_tokens;
        u.output_tokens = wire.output_tokens.unwrap_or(u.output_tokens);
    }

    fn finish_reason(&self) -> FinishReason {
        match self.stop_reason.as_deref() {
            None | Some("end_turn") => FinishReason::Stop,
            // The forced tool's call is the answer, not a request to run a tool.
            Some("tool_use") if self.json_answer.is_some() => FinishReason::Stop,
            Some("tool_use") => FinishReason::ToolCalls,
            Some("max_tokens" | "model_context_window_exceeded") => FinishReason::Length,
            Some("stop_sequence") => FinishReason::StopSequence,
            Some("refusal") => FinishReason::ContentFilter,
            Some(other) => FinishReason::Other(other.to_string()),
        }
    }

    fn protocol(&self, message: String) -> LlmError {
        LlmError::Protocol {
            provider: self.who.provider.clone(),
            message,
        }
    }
}

/// A content block being streamed.
#[derive(Debug)]
enum Block {
    Text,
    Tool {
        index: usize,
        id: String,
        name: String,
        arguments: String,
    },
    /// The forced tool of a structured answer; `buffer` collects a wrapped answer, which can
    /// only be unwrapped once complete.
    Answer {
        buffer: Option<String>,
    },
    Ignored,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireEvent {
    MessageStart {
        message: WireMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: WireBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: WireDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: WireMessageDelta,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: WireError,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        #[serde(default)]
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct WireMessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
}
