//! Anthropic's errors as [`LlmError`]s: HTTP statuses with their error bodies
//! (`{"type":"error","error":{"type":..,"message":..}}`) and `error` events inside a stream.
//! Pure. Server messages are trimmed here; the key is redacted by the caller.

use std::time::Duration;

use serde::Deserialize;

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

/// The error for an HTTP status other than 2xx, from its `retry-after` header and its body
/// (Anthropic's `{"type":"error","error":{"type":..,"message":..}}`, or anything else).
pub(crate) fn http_error(
    who: &Who,
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
) -> LlmError {
    let message = serde_json::from_str::<WireErrorBody>(body)
        .map(|b| trim_message(&b.error.message))
        .unwrap_or_else(|_| trim_message(body));
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
        _ => LlmError::BadRequest {
            provider,
            status,
            message,
        },
    }
}

/// The error for an `error` event inside a stream, which has a type but no HTTP status.
pub(crate) fn event_error(who: &Who, kind: &str, message: &str) -> LlmError {
    let message = trim_message(message);
    let provider = who.provider.clone();
    let server = |status| LlmError::Server {
        provider: provider.clone(),
        status,
        message: message.clone(),
    };
    let refused = |status| LlmError::BadRequest {
        provider: provider.clone(),
        status,
        message: message.clone(),
    };
    match kind {
        "overloaded_error" => server(529),
        "api_error" => server(500),
        "timeout_error" => server(504),
        "rate_limit_error" => LlmError::RateLimited {
            provider,
            retry_after: None,
        },
        "authentication_error" => LlmError::Unauthorized {
            provider,
            key_source: who.key_source.clone(),
        },
        "permission_error" => LlmError::Forbidden { provider, message },
        "invalid_request_error" if is_context_too_long(&message) => {
            LlmError::ContextTooLong { provider, message }
        }
        "invalid_request_error" => refused(400),
        "billing_error" => refused(402),
        "not_found_error" => refused(404),
        "request_too_large" => refused(413),
        _ => LlmError::Protocol {
            provider,
            message: format!("error event `{kind}`: {message}"),
        },
    }
}

fn is_context_too_long(message: &str) -> bool {
    message.to_ascii_lowercase().contains("prompt is too long")
}

#[derive(Deserialize)]
struct WireErrorBody {
    error: WireError,
}

/// The `error` object of an error body or an `error` event.
#[derive(Deserialize)]
pub(crate) struct WireError {
    /// Anthropic's error type, e.g. `overloaded_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it said.
    #[serde(default)]
    pub message: String,
}
