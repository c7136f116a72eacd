//! The body of a Messages API request, built from a provider-neutral [`ChatRequest`]. Pure:
//! no IO, no key. Owns the mapping rules (system prompt, role alternation, tool use and tool
//! results, structured output by a forced tool, prompt-cache breakpoints); the stream's
//! decoding lives in `events.rs`.

use serde_json::{Map, Value, json};

use crate::core::llm::{ChatRequest, Message, ResponseFormat, Role};

/// A request ready to send, and what the decoder must know to read its answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireRequest {
    /// The JSON body of `POST /v1/messages`.
    pub body: Value,
    /// Set when a `ResponseFormat::JsonSchema` was asked for: the answer arrives as the input
    /// of this forced tool and must be handed back as text.
    pub json_answer: Option<JsonAnswer>,
}

/// The forced tool that carries a structured answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonAnswer {
    /// The tool's name in the request.
    pub tool: String,
    /// Whether the schema was wrapped as `{"value": schema}` because it is not an object
    /// schema (Anthropic's `input_schema` must be one); the answer is then unwrapped.
    pub wrapped: bool,
}

/// Builds the request body. `max_tokens` is mandatory at Anthropic, so `default_max_tokens`
/// fills it when the request leaves it unset. With `prompt_caching`, the system prompt and the
/// conversation so far are marked as cache breakpoints, so an agent loop re-reads its growing
/// prefix from Anthropic's cache instead of paying for it again on every turn.
///
/// Fails (before anything is sent) on a conversation Anthropic cannot represent: a tool result
/// that does not name the call it answers.
pub(crate) fn build(
    request: &ChatRequest,
    default_max_tokens: u32,
    prompt_caching: bool,
) -> Result<WireRequest, String> {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "max_tokens".into(),
        json!(request.params.max_tokens.unwrap_or(default_max_tokens)),
    );
    if let Some(system) = system_prompt(&request.messages) {
        let system = if prompt_caching {
            json!([{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}])
        } else {
            json!(system)
        };
        body.insert("system".into(), system);
    }
    let mut messages = conversation(&request.messages)?;
    if prompt_caching {
        mark_last_block(&mut messages);
    }
    body.insert("messages".into(), Value::Array(messages));

    let mut tools: Vec<Value> = request
        .tools
        .iter()
        .map(
            |t| json!({"name": t.name, "description": t.description, "input_schema": t.parameters}),
        )
        .collect();
    let json_answer = request.params.response_format.as_ref().map(|format| {
        let ResponseFormat::JsonSchema { name, schema } = format;
        // Anthropic has no `response_format`. The documented way to get JSON that follows a
        // schema is a tool whose `input_schema` is that schema, with `tool_choice` forcing the
        // model to call it; the call's input *is* the answer. The decoder turns that input
        // back into text deltas, so callers see the same thing as from an OpenAI
        // `json_schema` response.
        let tool = forced_tool_name(name, request);
        let is_object = schema.get("type").and_then(Value::as_str) == Some("object");
        let input_schema = if is_object {
            schema.clone()
        } else {
            json!({"type": "object", "properties": {"value": schema}, "required": ["value"]})
        };
        tools.push(json!({
            "name": tool,
            "description": format!(
                "Give your final answer by calling this tool; its input is the answer, a JSON \
                 value that follows the schema `{name}`."
            ),
            "input_schema": input_schema,
        }));
        body.insert("tool_choice".into(), json!({"type": "tool", "name": tool}));
        JsonAnswer {
            tool,
            wrapped: !is_object,
        }
    });
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
    }
    if let Some(temperature) = request.params.temperature {
        body.insert("temperature".into(), json!(temperature));
    }
    if !request.params.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(request.params.stop));
    }
    body.insert("stream".into(), json!(true));
    Ok(WireRequest {
        body: Value::Object(body),
        json_answer,
    })
}

/// All system messages, in order, as one prompt (Anthropic takes it apart from the turns).
fn system_prompt(messages: &[Message]) -> Option<String> {
    let parts: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System && !m.content.is_empty())
        .map(|m| m.content.as_str())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// The turns as Anthropic wants them: only `user` and `assistant`, strictly alternating, tool
/// results as `tool_result` blocks of a user turn, tool calls as `tool_use` blocks.
fn conversation(messages: &[Message]) -> Result<Vec<Value>, String> {
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (position, message) in messages.iter().enumerate() {
        let (role, blocks) = match message.role {
            Role::System => continue,
            Role::User => ("user", text_block(&message.content).into_iter().collect()),
            Role::Assistant => {
                let mut blocks: Vec<Value> = text_block(&message.content).into_iter().collect();
                blocks.extend(message.tool_calls.iter().map(|call| {
                    json!({"type": "tool_use", "id": call.id, "name": call.name,
                           "input": tool_input(&call.arguments)})
                }));
                ("assistant", blocks)
            }
            Role::Tool => {
                let Some(id) = &message.tool_call_id else {
                    return Err(format!(
                        "message {} is a tool result that does not name the call it answers \
                         (no tool_call_id)",
                        position + 1
                    ));
                };
                let block = json!({"type": "tool_result", "tool_use_id": id,
                                   "content": message.content});
                ("user", vec![block])
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    Ok(turns
        .into_iter()
        .map(|(role, mut blocks)| {
            // A user turn that answers tool calls must start with the results.
            blocks.sort_by_key(|b| b["type"] != "tool_result");
            json!({"role": role, "content": blocks})
        })
        .collect())
}

/// A text block, or nothing for empty text (Anthropic refuses empty text blocks).
fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"type": "text", "text": text}))
}

/// A past tool call's arguments as the object Anthropic requires. Arguments that were not a
/// JSON object (the model wrote broken JSON, and the agent answered with an error) are kept as
/// text under `_unparsed_arguments`, so the model still sees what it wrote.
fn tool_input(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => value,
        _ if arguments.trim().is_empty() => json!({}),
        _ => json!({"_unparsed_arguments": arguments}),
    }
}

/// Marks the last block of the conversation as a cache breakpoint.
fn mark_last_block(messages: &mut [Value]) {
    if let Some(Value::Object(block)) = messages
        .last_mut()
        .and_then(|m| m.get_mut("content"))
        .and_then(Value::as_array_mut)
        .and_then(|blocks| blocks.last_mut())
    {
        block.insert("cache_control".into(), json!({"type": "ephemeral"}));
    }
}

/// A tool name Anthropic accepts (`[a-zA-Z0-9_-]{1,64}`) made from the schema's name, distinct
/// from the request's own tools.
fn forced_tool_name(schema_name: &str, request: &ChatRequest) -> String {
    let mut base: String = schema_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    if base.is_empty() {
        base = "answer".into();
    }
    let mut name = base.clone();
    let mut attempt = 1;
    while request.tools.iter().any(|t| t.name == name) {
        name = format!("{base}_answer{attempt}");
        attempt += 1;
    }
    name
}
