//! Tool calls that small local models write as text instead of `tool_calls`: a fenced block
//! (```` ```json ````, ```` ```tool_call ````, or an untagged fence) or `<tool_call>` tags
//! (Qwen's format) holding `{"name": ..., "arguments": {...}}`, possibly several; or an answer
//! that is nothing but such an object. A call counts only when it names a declared tool and
//! its arguments are a JSON object (or a string holding one); everything else stays text.
//!
//! Pure functions over the finished answer's text; the provider decides when to use them
//! (only when the model made no real tool call). JSON is read with serde_json's streaming
//! reader, so braces and fences inside strings do not confuse it.

use serde_json::{Deserializer, Value};

use super::ToolCall;

/// The tool calls written in `text` that name one of `declared`, in the order written, with
/// ids `text_call_0`, `text_call_1`, ...
pub fn tool_calls_in_text(text: &str, declared: &[&str]) -> Vec<ToolCall> {
    calls_in_text(text, declared)
        .into_iter()
        .enumerate()
        .map(|(i, (name, arguments))| ToolCall {
            id: format!("text_call_{i}"),
            name,
            arguments,
        })
        .collect()
}

/// `(name, arguments as compact JSON)` for every call found, in order.
fn calls_in_text(text: &str, declared: &[&str]) -> Vec<(String, String)> {
    let mut values = Vec::new();
    scan(text, &mut values);
    if values.is_empty() {
        // The whole answer is one call (or a list of them), with no fence around it.
        let whole = text.trim();
        if whole.starts_with('{') || whole.starts_with('[') {
            let (found, rest) = json_values(whole);
            if rest.trim().is_empty() {
                values = found;
            }
        }
    }
    values
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items,
            other => vec![other],
        })
        .filter_map(|v| as_call(v, declared))
        .collect()
}

const OPEN_TAG: &str = "<tool_call>";
const CLOSE_TAG: &str = "</tool_call>";
const FENCE: &str = "```";

/// Collects the JSON values of every tagged or fenced block of `text`, in order.
fn scan(text: &str, values: &mut Vec<Value>) {
    let mut at = 0;
    while let Some(rest) = text.get(at..) {
        let tag = rest.find(OPEN_TAG);
        let fence = rest.find(FENCE);
        at = match (tag, fence) {
            (Some(t), Some(f)) if t < f => read_tagged(text, at + t, values),
            (Some(t), None) => read_tagged(text, at + t, values),
            (_, Some(f)) => read_fenced(text, at + f, values),
            (None, None) => return,
        };
    }
}

/// Reads the JSON after a `<tool_call>` at `start`; returns where scanning goes on. A missing
/// closing tag is forgiven (small models forget it) when the JSON itself is complete.
fn read_tagged(text: &str, start: usize, values: &mut Vec<Value>) -> usize {
    let body_at = start + OPEN_TAG.len();
    let body = &text[body_at..];
    let (found, rest) = json_values(body);
    if found.is_empty() {
        // Not a call after all: go on after the opening tag.
        return body_at;
    }
    values.extend(found);
    let rest_trimmed = rest.trim_start();
    let after = text.len() - rest_trimmed.len();
    match rest_trimmed.strip_prefix(CLOSE_TAG) {
        Some(_) => after + CLOSE_TAG.len(),
        None => after,
    }
}

/// Reads a fenced block opened at `start`; returns where scanning goes on (after its closing
/// fence, so that the closing fence is not taken for an opener).
fn read_fenced(text: &str, start: usize, values: &mut Vec<Value>) -> usize {
    let after_ticks = start + FENCE.len();
    // The info string runs to the end of the line, or to the JSON on a one-line fence.
    let info_len = text[after_ticks..]
        .find(['\n', '{', '[', '<'])
        .unwrap_or(text.len() - after_ticks);
    let info = text[after_ticks..after_ticks + info_len]
        .trim()
        .to_ascii_lowercase();
    let body_at = match text[after_ticks + info_len..].strip_prefix('\n') {
        Some(_) => after_ticks + info_len + 1,
        None => after_ticks + info_len,
    };
    let body = &text[body_at..];
    let close = body.find(FENCE);
    let past_block = close.map_or(text.len(), |i| body_at + i + FENCE.len());
    if !matches!(
        info.as_str(),
        "" | "json" | "tool_call" | "tool_calls" | "tool" | "tool_code"
    ) {
        return past_block;
    }
    if body.trim_start().starts_with(OPEN_TAG) {
        // Tags inside the fence: read them as tags, up to the fence's end.
        scan(&body[..close.unwrap_or(body.len())], values);
        return past_block;
    }
    let (found, rest) = json_values(body);
    let rest_trimmed = rest.trim_start();
    if found.is_empty() || !(rest_trimmed.starts_with(FENCE) || rest_trimmed.is_empty()) {
        return past_block;
    }
    values.extend(found);
    (text.len() - rest_trimmed.len() + FENCE.len()).min(text.len())
}

/// The JSON values at the start of `text` (separated by whitespace or commas), and the text
/// after the last one that parsed. Stops at the first thing that is not JSON.
fn json_values(text: &str) -> (Vec<Value>, &str) {
    let mut values = Vec::new();
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            return (values, rest);
        }
        let mut stream = Deserializer::from_str(trimmed).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => {
                values.push(value);
                rest = &trimmed[stream.byte_offset()..];
            }
            _ => return (values, rest),
        }
    }
}

/// A call, if `value` is `{"name": declared, "arguments": {...}}` (also `parameters`, a string
/// holding the object, or OpenAI's `{"function": {...}}` wrapping).
fn as_call(value: Value, declared: &[&str]) -> Option<(String, String)> {
    let Value::Object(mut object) = value else {
        return None;
    };
    if let Some(Value::Object(function)) = object.remove("function") {
        return as_call(Value::Object(function), declared);
    }
    let name = match object.remove("name")? {
        Value::String(name) => name,
        _ => return None,
    };
    if !declared.contains(&name.as_str()) {
        return None;
    }
    let arguments = object
        .remove("arguments")
        .or_else(|| object.remove("parameters"))?;
    let arguments = match arguments {
        Value::Object(map) => Value::Object(map),
        Value::String(s) => match serde_json::from_str::<Value>(&s).ok()? {
            Value::Object(map) => Value::Object(map),
            _ => return None,
        },
        _ => return None,
    };
    Some((name, arguments.to_string()))
}

#[cfg(test)]
#[path = "text_tools_tests.rs"]
mod tests;
