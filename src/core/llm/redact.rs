//! Keys out of text. Every message a provider builds from what a server or a library said goes
//! through here before it becomes an [`LlmError`]: the configured key itself, `Bearer ...`
//! tokens, `sk-...` words and `api_key: ...` / `api-key=...` values are replaced by
//! `[redacted]`. Pure; no IO.

use super::LlmError;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// `text` with `key` (when given) and anything that looks like a key replaced by `[redacted]`.
pub fn redact(text: &str, key: Option<&str>) -> String {
    let mut out = match key {
        // A very short "key" would blank out ordinary words; such a key is refused upstream.
        Some(key) if key.len() >= 8 => text.replace(key, REDACTED),
        _ => text.to_string(),
    };
    out = redact_sk_words(&out);
    out = redact_after(&out, "bearer ", false);
    for marker in [
        "api_key",
        "api-key",
        "apikey",
        "x-api-key",
        "x-goog-api-key",
    ] {
        out = redact_after(&out, marker, true);
    }
    out
}

/// The error with [`redact`] applied to every message it carries.
pub fn redact_error(error: LlmError, key: Option<&str>) -> LlmError {
    let clean = |text: String| redact(&text, key);
    match error {
        LlmError::Server {
            provider,
            status,
            message,
        } => LlmError::Server {
            provider,
            status,
            message: clean(message),
        },
        LlmError::Forbidden { provider, message } => LlmError::Forbidden {
            provider,
            message: clean(message),
        },
        LlmError::ContextTooLong { provider, message } => LlmError::ContextTooLong {
            provider,
            message: clean(message),
        },
        LlmError::BadRequest {
            provider,
            status,
            message,
        } => LlmError::BadRequest {
            provider,
            status,
            message: clean(message),
        },
        LlmError::Connection { provider, message } => LlmError::Connection {
            provider,
            message: clean(message),
        },
        LlmError::Protocol { provider, message } => LlmError::Protocol {
            provider,
            message: clean(message),
        },
        LlmError::Budget(message) => LlmError::Budget(clean(message)),
        LlmError::Config(message) => LlmError::Config(clean(message)),
        other @ (LlmError::RateLimited { .. }
        | LlmError::Unauthorized { .. }
        | LlmError::Timeout { .. }
        | LlmError::CircuitOpen { .. }) => other,
    }
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'
}

/// `sk-` at the start of a word followed by at least 8 key characters (OpenAI's `sk-...`,
/// `sk-proj-...`, Anthropic's `sk-ant-...`), even when a trimmed message cut it short.
fn redact_sk_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("sk-") {
        let at_word_start = rest[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let tail = &rest[i + 3..];
        let run = tail.find(|c: char| !is_key_char(c)).unwrap_or(tail.len());
        out.push_str(&rest[..i]);
        if at_word_start && run >= 8 {
            out.push_str(REDACTED);
            rest = &tail[run..];
        } else {
            out.push_str("sk-");
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Replaces the token after `marker` (ASCII, matched case-insensitively). With
/// `needs_separator`, only when a `:` or `=` stands between them (so that "the api_key
/// parameter" keeps its words).
fn redact_after(text: &str, marker: &str, needs_separator: bool) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(found) = lower[from..].find(marker) {
        let at = from + found;
        let after_marker = at + marker.len();
        // Only a whole word: "invalid_api_key: Incorrect key" names no key.
        let inside_word = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if inside_word {
            out.push_str(&text[from..after_marker]);
            from = after_marker;
            continue;
        }
        let gap = text[after_marker..]
            .find(|c: char| !matches!(c, ' ' | '"' | '\'' | ':' | '=' | '\t'))
            .unwrap_or(text.len() - after_marker);
        let gap_text = &text[after_marker..after_marker + gap];
        let token_at = after_marker + gap;
        let token = text[token_at..]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ')' | ';'))
            .unwrap_or(text.len() - token_at);
        let separated = gap_text.contains(':') || gap_text.contains('=');
        out.push_str(&text[from..token_at]);
        if token > 0 && (separated || !needs_separator) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&text[token_at..token_at + token]);
        }
        from = token_at + token;
    }
    out.push_str(&text[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_and_key_shaped_words_are_redacted() {
        let key = "sk-proj-abcdefghijklmnop";
        let text = format!(
            "Incorrect API key provided: {key}. Authorization: Bearer {key} and sk-abcdef1234 \
             cut sk-ant-api03-xyzxyzxy… {{\"api_key\": \"hunter22hunter\"}} api-key=zzzzzz9 x"
        );
        let clean = redact(&text, Some(key));
        assert!(!clean.contains("abcdefghijkl"), "{clean}");
        assert!(!clean.contains("sk-abcdef1234"), "{clean}");
        assert!(!clean.contains("xyzxyzxy"), "{clean}");
        assert!(!clean.contains("hunter22"), "{clean}");
        assert!(!clean.contains("zzzzzz9"), "{clean}");
        assert!(
            clean.starts_with("Incorrect API key provided: [redacted]."),
            "{clean}"
        );
        assert!(clean.ends_with(" x"), "{clean}");
    }

    #[test]
    fn ordinary_words_survive() {
        for text in [
            "the api_key parameter is missing",
            "task-sk-1 and disk-space and ask-me",
            "sk-short",
            "no Bearer",
            "",
            "ünïcödé sk-ü bearer ",
            "invalid_api_key: Incorrect API key provided",
        ] {
            assert_eq!(redact(text, None), text);
        }
        assert_eq!(redact("a key", Some("key")), "a key");
    }

    #[test]
    fn errors_carry_no_key() {
        let e = LlmError::Server {
            provider: "p".into(),
            status: 500,
            message: "echo Bearer abc.def".into(),
        };
        assert_eq!(
            redact_error(e, None).to_string(),
            "p: server error 500: echo Bearer [redacted]"
        );
    }
}
