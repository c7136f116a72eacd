//! A command's output: read from its pipe as it comes, streamed in line-sized text chunks to the
//! caller (never waiting on a full channel), and kept for the result as its head and tail
//! within a byte budget.

use std::collections::VecDeque;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;

use crate::protocol::OutputStream;

/// A chunk without a line end is streamed anyway once it is this long.
const MAX_PENDING: usize = 4096;

/// The head and tail of a stream within `limit` bytes, and how much fell between them.
#[derive(Debug)]
pub(crate) struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    head_limit: usize,
    tail_limit: usize,
    total: u64,
}

impl Capture {
    /// An empty capture keeping at most `limit` bytes (half head, half tail).
    pub(crate) fn new(limit: usize) -> Capture {
        let head_limit = limit / 2;
        Capture {
            head: Vec::new(),
            tail: VecDeque::new(),
            head_limit,
            tail_limit: limit - head_limit,
            total: 0,
        }
    }

    /// Adds bytes as they come.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = self.head_limit.saturating_sub(self.head.len());
        let take = room.min(bytes.len());
        self.head.extend_from_slice(&bytes[..take]);
        bytes = &bytes[take..];
        if bytes.len() >= self.tail_limit {
            self.tail.clear();
            self.tail
                .extend(bytes[bytes.len() - self.tail_limit..].iter().copied());
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(self.tail_limit);
        self.tail.drain(..overflow);
        self.tail.extend(bytes.iter().copied());
    }

    /// The kept text (lossy UTF-8, with `... N bytes omitted ...` where bytes fell out) and
    /// the number of bytes omitted.
    pub(crate) fn finish(self) -> (String, u64) {
        let mut tail: Vec<u8> = self.tail.into_iter().collect();
        let kept = (self.head.len() + tail.len()) as u64;
        let omitted = self.total - kept;
        if omitted == 0 {
            let mut all = self.head;
            all.extend_from_slice(&tail);
            return (String::from_utf8_lossy(&all).into_owned(), 0);
        }
        // Cut both ends on character boundaries rather than show broken characters.
        let head_end = utf8_prefix(&self.head);
        let tail_start = tail
            .iter()
            .take(3)
            .take_while(|b| (0x80..0xC0).contains(*b))
            .count();
        let dropped = (self.head.len() - head_end + tail_start) as u64;
        let tail = tail.split_off(tail_start);
        let text = format!(
            "{}\n... {} bytes omitted ...\n{}",
            String::from_utf8_lossy(&self.head[..head_end]),
            omitted + dropped,
            String::from_utf8_lossy(&tail)
        );
        (text, omitted + dropped)
    }
}

/// What reading one stream gave.
#[derive(Debug)]
pub(crate) struct Pumped {
    /// The kept output.
    pub(crate) capture: Capture,
    /// Chunks not streamed because the channel was full.
    pub(crate) dropped_chunks: u64,
}

/// Reads `pipe` to its end, streaming text chunks to `output` and keeping a [`Capture`].
pub(crate) async fn pump<R: AsyncRead + Unpin>(
    mut pipe: R,
    stream: OutputStream,
    output: mpsc::Sender<(OutputStream, String)>,
    limit: usize,
) -> Pumped {
    let mut capture = Capture::new(limit);
    let mut pending: Vec<u8> = Vec::new();
    let mut dropped_chunks = 0u64;
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::debug!("exec: reading {stream:?} stopped: {e}");
                break;
            }
        };
        capture.push(&buf[..n]);
        pending.extend_from_slice(&buf[..n]);
        let cut = match pending.iter().rposition(|b| *b == b'\n') {
            Some(at) => at + 1,
            None if pending.len() >= MAX_PENDING => utf8_prefix(&pending).max(1),
            None => continue,
        };
        let rest = pending.split_off(cut);
        let chunk = String::from_utf8_lossy(&pending).into_owned();
        pending = rest;
        if !offer(&output, stream, chunk) {
            dropped_chunks += 1;
        }
    }
    if !pending.is_empty()
        && !offer(
            &output,
            stream,
            String::from_utf8_lossy(&pending).into_owned(),
        )
    {
        dropped_chunks += 1;
    }
    Pumped {
        capture,
        dropped_chunks,
    }
}

/// Streams one chunk without waiting; false when it had to be dropped because the channel is
/// full. A closed channel means nobody watches, which is not a drop.
fn offer(
    output: &mpsc::Sender<(OutputStream, String)>,
    stream: OutputStream,
    text: String,
) -> bool {
    !matches!(
        output.try_send((stream, text)),
        Err(mpsc::error::TrySendError::Full(_))
    )
}

/// The length of the longest prefix of `bytes` that does not end inside a character.
fn utf8_prefix(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        // Invalid bytes in the middle: lossy conversion shows them; only an incomplete
        // character at the very end is held back.
        Err(_) => {
            let start = bytes.len().saturating_sub(3);
            let incomplete = (start..bytes.len()).find(|&i| {
                bytes[i] >= 0xC0
                    && std::str::from_utf8(&bytes[i..]).is_err_and(|e| e.error_len().is_none())
            });
            incomplete.unwrap_or(bytes.len())
        }
    }
}
