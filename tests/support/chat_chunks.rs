//! Pieces shared by the model-layer tests: a deadline so no fault can hang the suite, and the
//! `data:` payloads of an OpenAI chat-completions event stream (text, finish, usage, tool-call
//! fragments) for scripting the fake server.

use std::future::Future;
use std::time::Duration;

use serde_json::json;

/// Runs a test body under a deadline so that no fault can hang the suite.
pub async fn within<T>(body: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), body)
        .await
        .expect("the test hung")
}

/// A chunk carrying answer text.
pub fn text(t: &str) -> String {
    json!({"id": "c", "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": t}, "finish_reason": null}]})
    .to_string()
}

/// The chunk that ends the answer with `reason`.
pub fn finish(reason: &str) -> String {
    json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}).to_string()
}

/// The usage-only chunk that `stream_options.include_usage` adds at the end.
pub fn usage(prompt: u64, completion: u64, cached: u64) -> String {
    json!({"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
        "total_tokens": prompt + completion, "prompt_tokens_details": {"cached_tokens": cached}}})
    .to_string()
}

/// A fragment of tool call `index`; the first fragment carries its id and name.
pub fn call_fragment(index: usize, id: Option<&str>, name: Option<&str>, args: &str) -> String {
    let mut call = json!({"index": index, "function": {"arguments": args}});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    if let Some(name) = name {
        call["function"]["name"] = json!(name);
    }
    json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]})
        .to_string()
}
