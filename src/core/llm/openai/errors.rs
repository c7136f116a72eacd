//! OpenAI-compatible errors as [`LlmError`]s: HTTP statuses with their bodies (OpenAI's
//! `{"error": {"message", "type", "code"}}`, Ollama's `{"error": "text"}`, FastAPI's
//! `{"detail": ...}`, or plain text and HTML), and stream faults from `decode.rs`. Pure.
//! Server words are trimmed here; keys are redacted by the caller.

use std::time::Duration;

use serde_json::Value;

use super::decode::Fault;
use crate::core::llm::LlmError;
use crate::core::llm::sse::trim_message;

/// Who is talking, for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    /// The provider's name from config.
    pub provider: String,
    /// Where the key came from, named in a 401.
    pub key_source: String,
}

/// The error for an HTTP status other than 2xx, from its `Retry-After` and its body. `path` is
/// the request's path, named in a 404 because a wrong `base_url` is its usual cause.
pub(crate) fn http_error(
    who: &Who,
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    path: &str,
) -> LlmError {
    let message = body_message(body);
    status_error(who, status, retry_after, message, path)
}

/// The error for a fault found while reading the stream.
pub(crate) fn fault_error(who: &Who, fault: Fault) -> LlmError {
    match fault {
        Fault::Protocol(message) => LlmError::Protocol {
            provider: who.provider.clone(),
            message,
        },
        Fault::Api {
            status: Some(status),
            message,
        } => status_error(who, status, None, trim_message(&message), ""),
        Fault::Api {
            status: None,
            message,
        } => {
            let message = trim_message(&message);
            if is_context_too_long(&message) {
                LlmError::ContextTooLong {
                    provider: who.provider.clone(),
                    message,
                }
            } else {
                // No status to go by: the server failed mid-answer, which retrying may fix.
                LlmError::Server {
                    provider: who.provider.clone(),
                    status: 500,
                    message,
                }
            }
        }
    }
}

fn status_error(
    who: &Who,
    status: u16,
    retry_after: Option<Duration>,
    message: String,
    path: &str,
) -> LlmError {
    let provider = who.provider.clone();
    match status {
        429 => LlmError::RateLimited {
            provider,
            retry_after,
        },
        401 => LlmError::Unauthorized {
            provider,
            key_source: who.key_source.clone(),
        },
        403 => LlmError::Forbidden { provider, message },
        500.. => LlmError::Server {
            provider,
            status,
            message,
        },
        _ if is_context_too_long(&message) => LlmError::ContextTooLong { provider, message },
        404 => LlmError::BadRequest {
            provider,
            status,
            message: format!(
                "nothing at {path} ({message}); check base_url (it usually ends in /v1) and the \
                 model name"
            ),
        },
        _ => LlmError::BadRequest {
            provider,
            status,
            message,
        },
    }
}

/// The server's words from an error body, trimmed to one line.
fn body_message(body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(body) else {
        return trim_message(body);
    };
    let error = json.get("error").unwrap_or(&json);
    let text = match error {
        Value::String(s) => s.clone(),
        Value::Object(o) => {
            let message = o
                .get("message")
                .or_else(|| o.get("detail"))
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                .unwrap_or_default();
            let code = o
                .get("code")
                .and_then(Value::as_str)
                .or_else(|| o.get("type").and_then(Value::as_str));
            match code {
                Some(code) if !message.is_empty() => format!("{code}: {message}"),
                Some(code) => code.to_string(),
                None if message.is_empty() => error.to_string(),
                None => message,
            }
        }
        other => other.to_string(),
    };
    trim_message(&text)
}

/// Whether a refusal says the prompt does not fit the context window, in the words of
/// OpenAI, vLLM, llama.cpp, Ollama or OpenRouter.
pub(crate) fn is_context_too_long(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "context_length_exceeded",
        "maximum context length",
        "context length",
        "exceed_context_size",
        "exceeds the available context size",
        "context window",
        "prompt is too long",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> Who {
        Who {
            provider: "p".into(),
            key_source: "environment variable OPENAI_API_KEY".into(),
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        let e = |status, body: &str| http_error(&who(), status, None, body, "/v1/chat/completions");
        let openai = r#"{"error":{"message":"This model's maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}"#;
        assert!(matches!(e(400, openai), LlmError::ContextTooLong { .. }));
        let llama = r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#;
        assert!(matches!(e(400, llama), LlmError::ContextTooLong { .. }));
        assert!(matches!(
            e(400, r#"{"error":{"message":"bad tools"}}"#),
            LlmError::BadRequest { status: 400, ref message, .. } if message == "bad tools"
        ));
        assert!(matches!(
            e(401, "{}"),
            LlmError::Unauthorized { ref key_source, .. } if key_source.contains("OPENAI_API_KEY")
        ));
        assert!(matches!(e(403, "no"), LlmError::Forbidden { .. }));
        assert!(matches!(
            e(503, "<html><body>Bad gateway</body></html>"),
            LlmError::Server { status: 503, .. }
        ));
        let missing = e(404, r#"{"error":"model 'qwen' not found"}"#);
        assert!(
            missing.to_string().contains("/v1/chat/completions")
                && missing.to_string().contains("model 'qwen' not found"),
            "{missing}"
        );
        assert!(matches!(
            e(422, r#"{"detail":[{"loc":["body","messages"],"msg":"field required"}]}"#),
            LlmError::BadRequest { status: 422, ref message, .. } if message.contains("field required")
        ));
        let limited = http_error(&who(), 429, Some(Duration::from_secs(3)), "", "/");
        assert_eq!(limited.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn stream_faults_map_to_kinds() {
        let f = |status, message: &str| {
            fault_error(
                &who(),
                Fault::Api {
                    status,
                    message: message.into(),
                },
            )
        };
        assert!(matches!(f(Some(429), "slow"), LlmError::RateLimited { .. }));
        assert!(matches!(
            f(None, "context_length_exceeded: x"),
            LlmError::ContextTooLong { .. }
        ));
        assert!(matches!(
            f(None, "boom"),
            LlmError::Server { status: 500, .. }
        ));
        assert!(matches!(
            fault_error(&who(), Fault::Protocol("bad".into())),
            LlmError::Protocol { .. }
        ));
    }
}
