//! The HTTP side of a streamed answer, shared by SSE providers: reading a response body as
//! chunks under a first-byte deadline and an idle timeout (so a stalled server becomes an
//! [`LlmError::Timeout`] naming the phase, never a hang), reading an error body, parsing
//! `Retry-After`, and describing a transport error in one line. Parsing the event stream itself
//! is eventsource-stream's job; the caller chains `.eventsource()` on [`timed_chunks`].

use std::time::{Duration, SystemTime};

use futures_util::Stream;
use futures_util::stream;
use reqwest::header::HeaderMap;
use tokio::time::{Instant, timeout, timeout_at};

use super::LlmError;

/// The longest line an event stream may send (a 10 MB tool argument fits; a server that never
/// sends a newline does not exhaust memory).
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// The body's chunks, each read under its timeout: the first by `deadline` (reported as "first
/// byte" after `first_byte`), each next one within `idle` of the one before ("next chunk").
/// A broken connection ends it with [`LlmError::Connection`]. Dropping it drops the response,
/// which closes the connection.
///
/// Reads are gathered until they hold a line break before they are passed on: an SSE parser
/// re-reads an unfinished line each time more of it arrives, which made a 10 MB line arriving
/// in 16 KB reads quadratic.
pub fn timed_chunks(
    response: reqwest::Response,
    provider: String,
    deadline: Instant,
    first_byte: Duration,
    idle: Duration,
) -> impl Stream<Item = Result<impl AsRef<[u8]> + Send, LlmError>> + Send + 'static {
    let reader = Reader {
        response,
        first: true,
        pending: Vec::new(),
    };
    stream::unfold(Some(reader), move |state| {
        let provider = provider.clone();
        async move {
            let mut reader = state?;
            loop {
                let (read, phase, after) = if reader.first {
                    let read = timeout_at(deadline, reader.response.chunk()).await;
                    (read, "first byte", first_byte)
                } else {
                    let read = timeout(idle, reader.response.chunk()).await;
                    (read, "next chunk", idle)
                };
                reader.first = false;
                let chunk = match read {
                    Err(_) => {
                        let error = LlmError::Timeout {
                            provider,
                            phase,
                            after,
                        };
                        return Some((Err(error), None));
                    }
                    Ok(Err(e)) => {
                        let message = format!("the connection broke mid-answer: {}", describe(&e));
                        return Some((Err(LlmError::Connection { provider, message }), None));
                    }
                    Ok(Ok(None)) if reader.pending.is_empty() => return None,
                    Ok(Ok(None)) => {
                        let rest = std::mem::take(&mut reader.pending);
                        return Some((Ok(rest), None));
                    }
                    Ok(Ok(Some(chunk))) => chunk,
                };
                reader.pending.extend_from_slice(&chunk);
                if chunk.contains(&b'\n') || chunk.contains(&b'\r') {
                    let lines = std::mem::take(&mut reader.pending);
                    return Some((Ok(lines), Some(reader)));
                }
                if reader.pending.len() > MAX_LINE {
                    let message = format!(
                        "a line of the event stream is longer than {} MiB",
                        MAX_LINE / (1024 * 1024)
                    );
                    return Some((Err(LlmError::Protocol { provider, message }), None));
                }
            }
        }
    })
}

struct Reader {
    response: reqwest::Response,
    first: bool,
    /// Bytes read since the last line break.
    pending: Vec<u8>,
}

/// Up to `limit` bytes of a body, for an error message; gives up quietly on a slow or broken
/// body (the status already says what happened).
pub async fn read_some(mut response: reqwest::Response, idle: Duration, limit: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match timeout(idle, response.chunk()).await {
            Ok(Ok(Some(chunk))) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(limit);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// How long a 429 or 503 asks us to wait: `retry-after-ms` (OpenAI), else `retry-after` in
/// seconds or as an HTTP date (RFC 9110). A date in the past means "now".
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| seconds(v, 1000.0)) {
        return Some(ms);
    }
    let value = header("retry-after")?;
    seconds(value, 1.0).or_else(|| {
        let at = httpdate::parse_http_date(value.trim()).ok()?;
        Some(at.duration_since(now).unwrap_or(Duration::ZERO))
    })
}

/// A non-negative number of `per_second` units as a duration.
fn seconds(value: &str, per_second: f64) -> Option<Duration> {
    let n = value.trim().parse::<f64>().ok()?;
    (n.is_finite() && n >= 0.0 && n / per_second < 1e9)
        .then(|| Duration::from_secs_f64(n / per_second))
}

/// A server's words made fit for an error line: one line, at most 300 characters.
pub fn trim_message(text: &str) -> String {
    const MAX: usize = 300;
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None if flat.is_empty() => "(no message)".into(),
        None => flat,
    }
}

/// A reqwest error with its causes, in one line.
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    // reqwest names the URL in its own line; the caller names it once where it helps.
    if let Some(url) = error.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    trim_message(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let get = |pairs: &[(&'static str, &str)]| retry_after(&headers(pairs), now);
        assert_eq!(get(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        assert_eq!(
            get(&[("retry-after", " 1.5 ")]),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            get(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            Some(Duration::from_millis(250))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            get(&[("retry-after", &later)]),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(get(&[("retry-after", &earlier)]), Some(Duration::ZERO));
        assert_eq!(get(&[("retry-after", "soon")]), None);
        assert_eq!(get(&[("retry-after", "-1")]), None);
        assert_eq!(get(&[("retry-after", "1e300")]), None);
        assert_eq!(get(&[]), None);
    }

    #[test]
    fn messages_are_one_short_line() {
        assert_eq!(trim_message("  a\n\n b\t"), "a b");
        assert_eq!(trim_message(""), "(no message)");
        let long = "é".repeat(1000);
        let trimmed = trim_message(&long);
        assert_eq!(trimmed.chars().count(), 301);
        assert!(trimmed.ends_with('…'));
    }
}
