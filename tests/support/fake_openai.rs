//! A scripted OpenAI-compatible chat-completions server on 127.0.0.1 for the team's end-to-end
//! tests. Unlike `fake_http.rs` (responses in a fixed order), it decides each answer from the
//! request itself: a test gives a [`Brain`] that sees the request (which role is asking, from
//! the system prompt; whether the last message is a tool result; the role's earlier requests)
//! and returns a [`Reply`], streamed as `data:` events. Every request is recorded.
//!
//! It owns nothing of the crate under test; it uses `support::chat_chunks` for the stream's
//! payloads, so the test file that declares it must also declare `mod support;`.

// Test-only code: failing loudly is the point.
#![allow(dead_code, clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::support::chat_chunks::{call_fragment, finish, text, usage};

/// One chat-completions request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The role that asked: the word after "You are the " in the system prompt ("planner",
    /// "observer", "analyst", ...), or "member" for the generic prompt.
    pub role: String,
    /// How many earlier requests came from the same role (0 for its first).
    pub turn: usize,
    /// The JSON body.
    pub body: Value,
}

impl Seen {
    /// The messages sent.
    pub fn messages(&self) -> Vec<Value> {
        self.body["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The last message sent.
    pub fn last(&self) -> Value {
        self.messages().last().cloned().unwrap_or(Value::Null)
    }

    /// Whether the last message is a tool's result.
    pub fn after_tool(&self) -> bool {
        self.last()["role"] == "tool"
    }

    /// The names of the tools offered.
    pub fn tool_names(&self) -> Vec<String> {
        self.body["tools"]
            .as_array()
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t["function"]["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `response_format` sent, or `Null`.
    pub fn response_format(&self) -> Value {
        self.body["response_format"].clone()
    }

    /// Every message's text, joined, for "did the model get told X" checks.
    pub fn all_text(&self) -> String {
        self.messages()
            .iter()
            .filter_map(|m| m["content"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What the model answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Plain text (the agent's final answer for this turn).
    Text(String),
    /// One tool call with these raw argument text (not checked: malformed is allowed).
    Tool {
        /// The tool's name.
        name: String,
        /// The arguments as sent on the wire.
        arguments: String,
    },
    /// This text as the first piece of a streamed answer, then nothing more: the connection
    /// stays open until the client gives up (a provider that stops answering mid-stream).
    Stall(String),
}

impl Reply {
    /// Plain text.
    pub fn text(t: &str) -> Reply {
        Reply::Text(t.to_string())
    }

    /// A tool call whose arguments are `args` serialized.
    pub fn tool(name: &str, args: Value) -> Reply {
        Reply::Tool {
            name: name.to_string(),
            arguments: args.to_string(),
        }
    }
}

/// Picks the answer to a request.
pub type Brain = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// The running server; stops when dropped.
pub struct FakeOpenAi {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    accept: AbortHandle,
}

impl FakeOpenAi {
    /// Starts a server on a free port of 127.0.0.1 that answers with `brain`.
    pub async fn start(brain: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeOpenAi {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let brain: Brain = Arc::new(brain);
        let accept = {
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, Arc::clone(&seen), Arc::clone(&brain)));
                }
            })
            .abort_handle()
        };
        FakeOpenAi { addr, seen, accept }
    }

    /// The base URL a provider config takes (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests of one role, in order.
    pub fn requests_of(&self, role: &str) -> Vec<Seen> {
        self.requests()
            .into_iter()
            .filter(|s| s.role == role)
            .collect()
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// The role named by a system prompt.
fn role_of(body: &Value) -> String {
    let system = body["messages"][0]["content"].as_str().unwrap_or_default();
    match system.strip_prefix("You are the ") {
        Some(rest) => rest
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-')
            .next()
            .unwrap_or_default()
            .to_string(),
        None if system.starts_with("You are a member") => "member".to_string(),
        None => "unknown".to_string(),
    }
}

/// The head of every answer: an event stream whose end is the connection's close.
const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                        cache-control: no-cache\r\nconnection: close\r\n\r\n";

async fn serve(mut stream: TcpStream, seen: Arc<Mutex<Vec<Seen>>>, brain: Brain) {
    let Some((path, body)) = read_request(&mut stream).await else {
        return;
    };
    if !path.ends_with("/chat/completions") {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        return;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let request = {
        let mut seen = seen.lock().unwrap();
        let role = role_of(&body);
        let turn = seen.iter().filter(|s| s.role == role).count();
        let request = Seen { role, turn, body };
        seen.push(request.clone());
        (request, seen.len())
    };
    let (request, number) = request;
    let reply = brain(&request);
    let mut events = match reply {
        Reply::Stall(t) => {
            let first = format!("{SSE_HEAD}data: {}\n\n", text(&t));
            let _ = stream.write_all(first.as_bytes()).await;
            let mut ignored = [0u8; 256];
            while matches!(stream.read(&mut ignored).await, Ok(n) if n > 0) {}
            return;
        }
        Reply::Text(t) => vec![text(&t), finish("stop")],
        Reply::Tool { name, arguments } => vec![
            call_fragment(0, Some(&format!("call_{number}")), Some(&name), &arguments),
            finish("tool_calls"),
        ],
    };
    events.push(usage(10, 5, 0));
    events.push("[DONE]".to_string());
    let mut out = String::from(SSE_HEAD);
    for event in events {
        out.push_str(&format!("data: {event}\n\n"));
    }
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request's target and body (by `content-length`); `None` when the client went away.
async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let path = head.split_whitespace().nth(1)?.to_string();
    let length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((path, buf[head_end..head_end + length].to_vec()))
}
