//! A request's fingerprint: the sha256 of its canonical JSON (object keys sorted at every
//! depth, no whitespace), so that two requests that mean the same thing get the same key
//! whatever order a map was built in. The response cache keys on the provider's name and the
//! request ([`Fingerprint::for_provider`]); record and replay on the request alone
//! ([`Fingerprint::of_request`]), so a recording made against one provider replays under
//! another's name. Pure; no IO.

use std::fmt::{self, Write as _};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ChatRequest;

/// Bumped whenever what goes into a fingerprint changes, so old cache entries stop matching
/// instead of answering a request they were not made for.
const FORMAT: u32 = 1;

/// The sha256 of a canonical request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of `request` (model, messages, tools and parameters), whoever serves it.
    pub fn of_request(request: &ChatRequest) -> Fingerprint {
        Fingerprint::of_parts(None, request)
    }

    /// The fingerprint of `request` sent to the provider named `provider`: the response
    /// cache's key.
    pub fn for_provider(provider: &str, request: &ChatRequest) -> Fingerprint {
        Fingerprint::of_parts(Some(provider), request)
    }

    /// Its 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Fingerprint> {
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            *byte = (hi * 16 + lo) as u8;
        }
        Some(Fingerprint(out))
    }

    fn of_parts(provider: Option<&str>, request: &ChatRequest) -> Fingerprint {
        // A request always serializes (its maps have string keys); an impossible failure
        // still yields a stable fingerprint of what did serialize rather than a panic.
        let request = serde_json::to_value(request).unwrap_or(Value::Null);
        let mut whole = serde_json::Map::new();
        whole.insert("format".into(), Value::from(FORMAT));
        if let Some(provider) = provider {
            whole.insert("provider".into(), Value::from(provider));
        }
        whole.insert("request".into(), request);
        let text = canonical_json(&Value::Object(whole));
        Fingerprint(Sha256::digest(text.as_bytes()).into())
    }
}

/// Lowercase hex.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// `value` as JSON with every object's keys sorted and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            // Sorted here rather than trusting the map: serde_json's `preserve_order` feature,
            // switched on by any crate in the build, would keep insertion order.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::String(text) => write_string(text, out),
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
}

fn write_string(text: &str, out: &mut String) {
    // serde_json's escaping of a plain string cannot fail.
    out.push_str(&serde_json::to_string(text).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::llm::{Message, Params, Role, ToolSpec};

    fn request(temperature: f32) -> ChatRequest {
        ChatRequest {
            model: "m".into(),
            messages: vec![Message::text(Role::User, "hi")],
            tools: vec![ToolSpec {
                name: "t".into(),
                description: "d".into(),
                parameters: json!({"type": "object", "properties": {"b": {}, "a": {}}}),
            }],
            params: Params {
                temperature: Some(temperature),
                ..Params::default()
            },
        }
    }

    #[test]
    fn key_order_does_not_matter_and_content_does() {
        let a = request(0.0);
        let mut b = request(0.0);
        b.tools[0].parameters = json!({"properties": {"a": {}, "b": {}}, "type": "object"});
        assert_eq!(Fingerprint::of_request(&a), Fingerprint::of_request(&b));
        assert_ne!(
            Fingerprint::of_request(&a),
            Fingerprint::of_request(&request(0.5))
        );
        let mut c = request(0.0);
        c.messages[0].content.push(' ');
        assert_ne!(Fingerprint::of_request(&a), Fingerprint::of_request(&c));
        let mut d = request(0.0);
        d.model = "n".into();
        assert_ne!(Fingerprint::of_request(&a), Fingerprint::of_request(&d));
    }

    #[test]
    fn the_provider_is_part_of_the_cache_key_only() {
        let r = request(0.0);
        let openai = Fingerprint::for_provider("openai", &r);
        assert_ne!(openai, Fingerprint::for_provider("local", &r));
        assert_ne!(openai, Fingerprint::of_request(&r));
    }

    #[test]
    fn hex_round_trips() {
        let f = Fingerprint::of_request(&request(0.0));
        let hex = f.to_string();
        assert_eq!(hex.len(), 64);
        assert_eq!(Fingerprint::from_hex(&hex), Some(f));
        assert_eq!(Fingerprint::from_hex(&hex.to_uppercase()), Some(f));
        assert_eq!(Fingerprint::from_hex("abc"), None);
        assert_eq!(Fingerprint::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn canonical_json_sorts_nested_keys() {
        let v = json!({"b": [{"d": 1, "c": "x\"y"}], "a": null, "e": 1.5, "f": true});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[{"c":"x\"y","d":1}],"e":1.5,"f":true}"#
        );
    }
}
