//! The recording's line format: errors round-trip, and nothing key-shaped is written.

use super::*;
use crate::core::llm::{Message, Role, ToolCall};

#[test]
fn every_error_survives_a_recording() {
    let p = || "openai".to_string();
    let errors = vec![
        LlmError::RateLimited {
            provider: p(),
            retry_after: Some(Duration::from_millis(1500)),
        },
        LlmError::RateLimited {
            provider: p(),
            retry_after: None,
        },
        LlmError::Server {
            provider: p(),
            status: 503,
            message: "busy".into(),
        },
        LlmError::Unauthorized {
            provider: p(),
            key_source: "environment variable OPENAI_API_KEY".into(),
        },
        LlmError::Forbidden {
            provider: p(),
            message: "no".into(),
        },
        LlmError::ContextTooLong {
            provider: p(),
            message: "long".into(),
        },
        LlmError::BadRequest {
            provider: p(),
            status: 404,
            message: "model?".into(),
        },
        LlmError::Timeout {
            provider: p(),
            phase: "first byte",
            after: Duration::from_secs(2),
        },
        LlmError::Timeout {
            provider: p(),
            phase: "connect",
            after: Duration::from_secs(1),
        },
        LlmError::Connection {
            provider: p(),
            message: "reset".into(),
        },
        LlmError::Protocol {
            provider: p(),
            message: "cut".into(),
        },
        LlmError::CircuitOpen {
            provider: p(),
            for_how_long: Duration::from_secs(30),
        },
        LlmError::Budget("run_usd reached".into()),
        LlmError::Config("bad".into()),
    ];
    for error in errors {
        let json = serde_json::to_string(&RecordedError::from(&error)).unwrap();
        let back: RecordedError = serde_json::from_str(&json).unwrap();
        assert_eq!(LlmError::from(back), error, "{json}");
    }
}

#[test]
fn a_recorded_error_carries_no_key() {
    let error = LlmError::Server {
        provider: "openai".into(),
        status: 500,
        message: "echo: Authorization: Bearer sk-live-abcdefghijkl".into(),
    };
    let json = serde_json::to_string(&RecordedError::from(&error)).unwrap();
    assert!(!json.contains("abcdefghijkl"), "{json}");
}

#[test]
fn redaction_reaches_every_text_but_keeps_the_rest() {
    let key = "sk-ant-api03-abcdefghijklmnop";
    let request = ChatRequest {
        model: "m".into(),
        messages: vec![
            Message::text(Role::User, format!("use {key} please")),
            Message {
                role: Role::Assistant,
                content: String::new(),
                tool_calls: vec![ToolCall {
                    id: "1".into(),
                    name: "run".into(),
                    arguments: format!("{{\"env\": \"KEY={key}\"}}"),
                }],
                tool_call_id: None,
            },
        ],
        tools: Vec::new(),
        params: Default::default(),
    };
    let clean = redact_request(&request);
    let json = serde_json::to_string(&clean).unwrap();
    assert!(!json.contains("abcdefghijkl"), "{json}");
    assert_eq!(clean.messages[0].content, "use [redacted] please");
    assert_eq!(clean.model, "m");
    let event = redact_event(&StreamEvent::TextDelta {
        text: format!("here: {key}"),
    });
    assert_eq!(
        event,
        StreamEvent::TextDelta {
            text: "here: [redacted]".into()
        }
    );
}
