//! A real HTTP/1.1 server on 127.0.0.1 for provider tests. It serves scripted responses in the
//! order given (status, headers, a body in timed chunks, and faults: reset, cut, hang, slow
//! drip), records every request (method, path, headers, body) for assertions, and tells when
//! the client closed a connection. It knows nothing of any provider's wire format: a test
//! writes the SSE (OpenAI's `data:` lines, Anthropic's `event:` + `data:` pairs) into chunks.
//!
//! One connection carries one request: every response says `connection: close`, so each
//! request's connection can be watched on its own.
//!
//! ```ignore
//! use std::time::Duration;
//! use support::fake_http::{FakeServer, Script};
//!
//! let server = FakeServer::start(vec![
//!     // First request: a 429 with Retry-After.
//!     Script::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "2"),
//!     // Second: an event stream, one chunk per event, the last one 50 ms late.
//!     Script::sse(["{\"choices\":[]}"]).chunk_after(Duration::from_millis(50), "data: [DONE]\n\n"),
//!     // Third: Anthropic-style named events, reset by the server after the first chunk.
//!     Script::event_stream()
//!         .sse_event("message_start", "{\"type\":\"message_start\"}")
//!         .sse_event("ping", "{\"type\":\"ping\"}")
//!         .reset_after(1),
//! ])
//! .await;
//! let endpoint = format!("{}/v1/chat/completions", server.url());
//! // ... run the client against `endpoint` ...
//! let sent = server.requests();
//! assert_eq!(sent[0].path, "/v1/chat/completions");
//! assert_eq!(sent[0].header("authorization"), Some("Bearer sk-test"));
//! assert_eq!(sent[0].json()["stream"], true);
//! // Dropping the client's stream must close its connection:
//! assert!(server.wait_client_closed(2, Duration::from_secs(2)).await);
//! ```
//!
//! A request that arrives after the scripts ran out gets a 500 whose body says so.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;

/// One scripted response.
#[derive(Debug, Clone)]
pub struct Script {
    /// The HTTP status.
    pub status: u16,
    /// Headers, in order (framing and `connection` headers are added by the server).
    pub headers: Vec<(String, String)>,
    /// A wait before the status line (to test a first-byte timeout).
    pub head_delay: Duration,
    /// The body, in pieces.
    pub chunks: Vec<Chunk>,
    /// How the body's end is marked.
    pub framing: Framing,
    /// What happens after the last chunk.
    pub end: End,
    /// The `content-length` to declare with [`Framing::Length`]; `None` for the chunks' total.
    /// Truncating a script (`abort_after`, ...) keeps the original total, so the body looks cut.
    pub declared_length: Option<usize>,
}

/// A piece of a body, written after `delay`.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// The wait before it is written.
    pub delay: Duration,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// How the body's length is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// `transfer-encoding: chunked`, one HTTP chunk per [`Chunk`] (how servers stream SSE).
    Chunked,
    /// `content-length` of all the chunks together.
    Length,
    /// Neither: the body ends when the server closes the connection.
    Close,
}

/// What the server does after the last chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Ends the body properly and closes the connection.
    Finish,
    /// Closes the connection without ending the body (no last chunk, length not reached).
    Abort,
    /// Resets the connection (SO_LINGER 0, so the client reads a TCP RST).
    Reset,
    /// Sends nothing more and keeps the connection open until the client closes it.
    Hang,
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Headers in the order sent, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (`content-length` bytes).
    pub body: Vec<u8>,
}

/// The running server; stops (and drops every connection) when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

/// A listener whose accept queue is full and that never accepts: connecting to it hangs, which
/// is how a connect timeout is tested without leaving 127.0.0.1.
pub struct Blackhole {
    addr: SocketAddr,
    _listener: TcpListener,
    _fillers: Vec<TcpStream>,
}

impl Script {
    /// A response with this status, no headers and an empty body.
    pub fn new(status: u16) -> Script {
        Script {
            status,
            headers: Vec::new(),
            head_delay: Duration::ZERO,
            chunks: Vec::new(),
            framing: Framing::Chunked,
            end: End::Finish,
            declared_length: None,
        }
    }

    /// A 200 `text/event-stream` with an empty body, to add chunks to.
    pub fn event_stream() -> Script {
        Script::new(200)
            .header("content-type", "text/event-stream")
            .header("cache-control", "no-cache")
    }

    /// A 200 `text/event-stream` with one chunk per item, each written as `data: {item}\n\n`.
    pub fn sse<I, S>(data: I) -> Script
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        data.into_iter()
            .fold(Script::event_stream(), |s, d| s.sse_data(d.as_ref()))
    }

    /// A complete `application/json` response with `content-length`.
    pub fn json(status: u16, body: &str) -> Script {
        Script::text(status, "application/json", body)
    }

    /// A complete response of the given content type with `content-length`.
    pub fn text(status: u16, content_type: &str, body: &str) -> Script {
        Script::new(status)
            .header("content-type", content_type)
            .framing(Framing::Length)
            .chunk(body)
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Script {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits this long before the status line.
    pub fn head_delay(mut self, delay: Duration) -> Script {
        self.head_delay = delay;
        self
    }

    /// Adds a chunk written at once.
    pub fn chunk(self, bytes: impl AsRef<[u8]>) -> Script {
        self.chunk_after(Duration::ZERO, bytes)
    }

    /// Adds a chunk written after `delay`.
    pub fn chunk_after(mut self, delay: Duration, bytes: impl AsRef<[u8]>) -> Script {
        self.chunks.push(Chunk {
            delay,
            bytes: bytes.as_ref().to_vec(),
        });
        self
    }

    /// Adds the chunk `data: {data}\n\n`.
    pub fn sse_data(self, data: &str) -> Script {
        self.chunk(format!("data: {data}\n\n"))
    }

    /// Adds the chunk `event: {event}\ndata: {data}\n\n`.
    pub fn sse_event(self, event: &str, data: &str) -> Script {
        self.chunk(format!("event: {event}\ndata: {data}\n\n"))
    }

    /// Adds `bytes` one byte at a time, each written `every` after the previous.
    pub fn drip_chunk(mut self, every: Duration, bytes: impl AsRef<[u8]>) -> Script {
        self.chunks.extend(bytes.as_ref().iter().map(|b| Chunk {
            delay: every,
            bytes: vec![*b],
        }));
        self
    }

    /// Re-cuts the whole body into one-byte chunks, each written `every` after the previous.
    pub fn drip(mut self, every: Duration) -> Script {
        let bytes: Vec<u8> = self.chunks.iter().flat_map(|c| c.bytes.clone()).collect();
        self.chunks = bytes
            .into_iter()
            .map(|b| Chunk {
                delay: every,
                bytes: vec![b],
            })
            .collect();
        self
    }

    /// Sets the framing.
    pub fn framing(mut self, framing: Framing) -> Script {
        self.framing = framing;
        self
    }

    /// Sets what happens after the last chunk.
    pub fn end(mut self, end: End) -> Script {
        self.end = end;
        self
    }

    /// Writes the first `n` chunks, then resets the connection.
    pub fn reset_after(self, n: usize) -> Script {
        self.truncate(n).end(End::Reset)
    }

    /// Writes the first `n` chunks, then closes the connection without ending the body.
    pub fn abort_after(self, n: usize) -> Script {
        self.truncate(n).end(End::Abort)
    }

    /// Writes the first `n` chunks, then goes silent with the connection open.
    pub fn hang_after(self, n: usize) -> Script {
        self.truncate(n).end(End::Hang)
    }

    fn truncate(mut self, n: usize) -> Script {
        let total = self.chunks.iter().map(|c| c.bytes.len()).sum();
        self.declared_length.get_or_insert(total);
        self.chunks.truncate(n);
        self
    }
}

impl Request {
    /// The first header of this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", self.body_text()))
    }
}

impl FakeServer {
    /// Starts listening on 127.0.0.1 on a free port; request N gets `scripts[N]`.
    pub async fn start(scripts: Vec<Script>) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            scripts: Mutex::new(scripts.into()),
            requests: Mutex::new(Vec::new()),
            closed: Mutex::new(Vec::new()),
            tasks: Mutex::new(Vec::new()),
            changed: Notify::new(),
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        shared.tasks.lock().unwrap().push(accept.abort_handle());
        FakeServer { addr, shared }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request read so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// How many requests were read so far.
    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// How many scripts are still unserved.
    pub fn scripts_left(&self) -> usize {
        self.shared.scripts.lock().unwrap().len()
    }

    /// Whether the client closed the connection of request `index` (0-based), waiting up to
    /// `within` for it. A connection the server closed itself does not count.
    pub async fn wait_client_closed(&self, index: usize, within: Duration) -> bool {
        self.wait_until(within, |s| {
            s.closed
                .lock()
                .unwrap()
                .get(index)
                .copied()
                .unwrap_or(false)
        })
        .await
    }

    /// Whether at least `n` requests arrived, waiting up to `within`.
    pub async fn wait_requests(&self, n: usize, within: Duration) -> bool {
        self.wait_until(within, |s| s.requests.lock().unwrap().len() >= n)
            .await
    }

    async fn wait_until(&self, within: Duration, done: impl Fn(&Shared) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let changed = self.shared.changed.notified();
            if done(&self.shared) {
                return true;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return done(&self.shared);
            }
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        for task in self.shared.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Blackhole {
    /// Binds 127.0.0.1 with the smallest backlog, never accepts, and fills the accept queue so
    /// that the kernel drops further SYNs.
    pub async fn start() -> Blackhole {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let addr = socket.local_addr().expect("local addr");
        let listener = socket.listen(0).expect("listen");
        let mut fillers = Vec::new();
        for _ in 0..16 {
            match tokio::time::timeout(Duration::from_millis(200), TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => fillers.push(stream),
                _ => break,
            }
        }
        Blackhole {
            addr,
            _listener: listener,
            _fillers: fillers,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A port on 127.0.0.1 where nothing listens (connecting is refused).
pub async fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

struct Shared {
    scripts: Mutex<VecDeque<Script>>,
    requests: Mutex<Vec<Request>>,
    /// Per request: whether the client closed its connection.
    closed: Mutex<Vec<bool>>,
    tasks: Mutex<Vec<AbortHandle>>,
    changed: Notify,
}

impl Shared {
    fn mark_closed(&self, index: usize) {
        if let Some(c) = self.closed.lock().unwrap().get_mut(index) {
            *c = true;
        }
        self.changed.notify_waiters();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let task = tokio::spawn(serve(stream, Arc::clone(&shared)));
        shared.tasks.lock().unwrap().push(task.abort_handle());
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    let (index, script) = {
        let mut requests = shared.requests.lock().unwrap();
        requests.push(request);
        shared.closed.lock().unwrap().push(false);
        let index = requests.len() - 1;
        let script = shared.scripts.lock().unwrap().pop_front();
        (index, script)
    };
    shared.changed.notify_waiters();
    let script = script.unwrap_or_else(|| {
        Script::text(
            500,
            "text/plain",
            &format!("fake server: no script left for request #{index}"),
        )
    });
    let reset = script.end == End::Reset;
    if reset {
        stream.set_zero_linger().expect("SO_LINGER 0");
    }
    let (read, mut write) = stream.into_split();
    let (stop, stopped) = oneshot::channel();
    let watcher = tokio::spawn(watch_close(read, stopped, Arc::clone(&shared), index));
    let wrote = write_response(&mut write, &script).await;
    if wrote.is_ok() && script.end == End::Hang {
        // Until the client gives up.
        let _ = watcher.await;
        return;
    }
    let _ = stop.send(());
    let read = watcher.await.ok().flatten();
    match (script.end, read) {
        (End::Finish, _) if wrote.is_ok() => {
            let _ = write.shutdown().await;
        }
        (End::Reset, Some(read)) => {
            // A RST makes the client's kernel discard what it has not read yet: give it a
            // moment to read the chunks that came before the fault.
            tokio::time::sleep(Duration::from_millis(100)).await;
            // Dropping a write half alone would send a FIN first; closing the whole socket
            // with SO_LINGER 0 sends only the RST.
            drop(read.reunite(write));
        }
        _ => {}
    }
}

/// Reads until EOF (the client closed) or until told to stop; gives the read half back when
/// stopped, so the caller decides when the socket closes.
async fn watch_close(
    mut read: OwnedReadHalf,
    stop: oneshot::Receiver<()>,
    shared: Arc<Shared>,
    index: usize,
) -> Option<OwnedReadHalf> {
    let mut buf = [0u8; 1024];
    let eof = async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = eof => {
            shared.mark_closed(index);
            None
        }
        _ = stop => Some(read),
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        let n = stream.read(&mut tmp).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&tmp[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(head_len) = parsed
            .parse(&buf)
            .expect("fake server: malformed request head")
        else {
            continue;
        };
        let method = parsed.method.unwrap_or_default().to_string();
        let path = parsed.path.unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_ascii_lowercase(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        let mut body = buf.split_off(head_len);
        while body.len() < length {
            let n = stream.read(&mut tmp).await.ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&tmp[..n]);
        }
        body.truncate(length);
        return Some(Request {
            method,
            path,
            headers,
            body,
        });
    }
}

async fn write_response(write: &mut OwnedWriteHalf, script: &Script) -> std::io::Result<()> {
    if !script.head_delay.is_zero() {
        tokio::time::sleep(script.head_delay).await;
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", script.status, reason(script.status));
    for (name, value) in &script.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match script.framing {
        Framing::Chunked => head.push_str("transfer-encoding: chunked\r\n"),
        Framing::Length => {
            let total: usize = script
                .declared_length
                .unwrap_or_else(|| script.chunks.iter().map(|c| c.bytes.len()).sum());
            head.push_str(&format!("content-length: {total}\r\n"));
        }
        Framing::Close => {}
    }
    head.push_str("connection: close\r\n\r\n");
    write.write_all(head.as_bytes()).await?;
    write.flush().await?;
    for chunk in &script.chunks {
        if !chunk.delay.is_zero() {
            tokio::time::sleep(chunk.delay).await;
        }
        if chunk.bytes.is_empty() {
            continue; // an empty HTTP chunk would end the body
        }
        if script.framing == Framing::Chunked {
            write
                .write_all(format!("{:x}\r\n", chunk.bytes.len()).as_bytes())
                .await?;
            write.write_all(&chunk.bytes).await?;
            write.write_all(b"\r\n").await?;
        } else {
            write.write_all(&chunk.bytes).await?;
        }
        write.flush().await?;
    }
    if script.end == End::Finish && script.framing == Framing::Chunked {
        write.write_all(b"0\r\n\r\n").await?;
        write.flush().await?;
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
