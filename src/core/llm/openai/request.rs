//! The body of a chat-completions request, built from a provider-neutral [`ChatRequest`]. Pure:
//! no IO, no key. Always streamed with `stream_options.include_usage`, so that every call's
//! tokens are known; the stream's decoding lives in `decode.rs`.

use serde_json::{Map, Value, json};

use crate::core::llm::{ChatRequest, Message, ResponseFormat, Role};

/// The JSON body of `POST {base_url}/chat/completions`.
pub(crate) fn build(request: &ChatRequest) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert(
        "messages".into(),
        Value::Array(request.messages.iter().map(message).collect()),
    );
    if !request.tools.is_empty() {
        let tools = request
            .tools
            .iter()
            .map(|t| {
                json!({
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.parameters,
                    },
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
    let params = &request.params;
    if let Some(temperature) = params.temperature {
        // Through f64 by way of the decimal text, so 0.2 goes out as 0.2, not 0.20000000298.
        let value = format!("{temperature}")
            .parse::<f64>()
            .map_or(json!(temperature), |t| json!(t));
        body.insert("temperature".into(), value);
    }
    if let Some(max_tokens) = params.max_tokens {
        body.insert("max_tokens".into(), json!(max_tokens));
    }
    if !params.stop.is_empty() {
        body.insert("stop".into(), json!(params.stop));
    }
    if let Some(ResponseFormat::JsonSchema { name, schema }) = &params.response_format {
        body.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": true},
            }),
        );
    }
    Value::Object(body)
}

fn message(m: &Message) -> Value {
    match m.role {
        Role::System => json!({"role": "system", "content": m.content}),
        Role::User => json!({"role": "user", "content": m.content}),
        Role::Assistant if m.tool_calls.is_empty() => {
            json!({"role": "assistant", "content": m.content})
        }
        Role::Assistant => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    json!({
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments},
                    })
                })
                .collect();
            // OpenAI wants `null`, not "", for an assistant turn that only calls tools.
            let content = if m.content.is_empty() {
                Value::Null
            } else {
                json!(m.content)
            };
            json!({"role": "assistant", "content": content, "tool_calls": calls})
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.content,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::llm::{Params, ToolCall, ToolSpec};

    #[test]
    fn every_field_maps_to_the_wire() {
        let request = ChatRequest {
            model: "gpt-x".into(),
            messages: vec![
                Message::text(Role::System, "be brief"),
                Message::text(Role::User, "read a"),
                Message {
                    role: Role::Assistant,
                    content: String::new(),
                    tool_calls: vec![ToolCall {
                        id: "call_1".into(),
                        name: "read_file".into(),
                        arguments: "{\"path\":\"a\"}".into(),
                    }],
                    tool_call_id: None,
                },
                Message::tool_result("call_1", "contents"),
                Message::text(Role::Assistant, "done"),
            ],
            tools: vec![ToolSpec {
                name: "read_file".into(),
                description: "read a file".into(),
                parameters: json!({"type": "object"}),
            }],
            params: Params {
                temperature: Some(0.2),
                max_tokens: Some(64),
                stop: vec!["END".into()],
                response_format: Some(ResponseFormat::JsonSchema {
                    name: "answer".into(),
                    schema: json!({"type": "object"}),
                }),
            },
        };
        let body = build(&request);
        assert_eq!(
            body,
            json!({
                "model": "gpt-x",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "read a"},
                    {"role": "assistant", "content": null, "tool_calls": [
                        {"id": "call_1", "type": "function",
                         "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}}
                    ]},
                    {"role": "tool", "tool_call_id": "call_1", "content": "contents"},
                    {"role": "assistant", "content": "done"},
                ],
                "tools": [{"type": "function", "function": {
                    "name": "read_file", "description": "read a file",
                    "parameters": {"type": "object"}}}],
                "stream": true,
                "stream_options": {"include_usage": true},
                "temperature": 0.2,
                "max_tokens": 64,
                "stop": ["END"],
                "response_format": {"type": "json_schema", "json_schema": {
                    "name": "answer", "schema": {"type": "object"}, "strict": true}},
            })
        );
    }

    #[test]
    fn unset_parameters_are_left_out() {
        let request = ChatRequest {
            model: "m".into(),
            messages: vec![Message::text(Role::User, "hi")],
            tools: Vec::new(),
            params: Params::default(),
        };
        let body = build(&request);
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["messages", "model", "stream", "stream_options"]);
    }
}
