//! The cache's two threads and what they share. The reader owns a read-only connection and
//! answers lookups; the writer owns the read-write connection and stores answers, purges, and
//! writes the counts that lookups add to [`Shared`]. Counts are written in one transaction
//! once the oldest has waited [`COUNT_DELAY`] (or [`COUNT_MAX`] have gathered), and on
//! flush, stats and shutdown; a failed write keeps them for the next one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use super::{
    CacheEntry, CacheStats, CachedAnswer, CachedTokens, KEY_LEN, count, query_stats, signed,
};
use crate::protocol::Millis;
use crate::store::{StoreError, schema};

/// How long a count may wait in memory before it is written.
const COUNT_DELAY: Duration = Duration::from_millis(250);

/// How many counts may gather before they are written, whatever their age.
const COUNT_MAX: usize = 4096;

/// What the reader does.
#[derive(Debug)]
pub(super) enum Read {
    Get {
        key: [u8; KEY_LEN],
        now: Millis,
        reply: oneshot::Sender<Result<Option<CachedAnswer>, StoreError>>,
    },
}

/// What the writer does.
#[derive(Debug)]
pub(super) enum Write {
    Put(u64, Box<CacheEntry>),
    /// Counts are waiting in [`Shared`] (sent with the first of a batch, to start its clock).
    Counted,
    Stats {
        reply: oneshot::Sender<Result<CacheStats, StoreError>>,
    },
    Purge {
        now: Millis,
        reply: oneshot::Sender<Result<u64, StoreError>>,
    },
    Flush {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// State the handle and both threads share, each part behind its own short-held lock.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// Entries put but not committed yet, with the number of their put.
    recent: Mutex<Recent>,
    /// Counts not written yet.
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Recent {
    entries: HashMap<[u8; KEY_LEN], (u64, CacheEntry)>,
    next_seq: u64,
}

#[derive(Debug, Default)]
struct Counts {
    /// Per key: hits and the last hit's time.
    hits: HashMap<[u8; KEY_LEN], (u64, Millis)>,
    total_hits: u64,
    misses: u64,
    saved_usd: f64,
    lookups: usize,
    first_at: Option<Instant>,
}

impl Shared {
    /// The entry put under `key` and not yet committed.
    pub(super) fn recent(&self, key: &[u8; KEY_LEN]) -> Option<CacheEntry> {
        lock(&self.recent).entries.get(key).map(|(_, e)| e.clone())
    }

    /// Holds `entry` until the writer has committed it; returns the number of this put.
    pub(super) fn remember(&self, entry: CacheEntry) -> u64 {
        let mut recent = lock(&self.recent);
        recent.next_seq += 1;
        let seq = recent.next_seq;
        recent.entries.insert(entry.key, (seq, entry));
        seq
    }

    /// Forgets put number `seq` of `key`, unless a later put replaced it.
    pub(super) fn forget(&self, key: &[u8; KEY_LEN], seq: u64) {
        let mut recent = lock(&self.recent);
        if recent.entries.get(key).is_some_and(|(s, _)| *s == seq) {
            recent.entries.remove(key);
        }
    }

    /// Adds one lookup's outcome (`hit` = the dollars it saved); wakes the writer for the
    /// first count of a batch. Never waits and never drops a count.
    pub(super) fn count(
        &self,
        key: &[u8; KEY_LEN],
        hit: Option<f64>,
        at: Millis,
        writer: &mpsc::Sender<Write>,
    ) {
        let first = {
            let mut counts = lock(&self.counts);
            counts.lookups += 1;
            match hit {
                Some(saved) => {
                    let slot = counts.hits.entry(*key).or_insert((0, at));
                    slot.0 += 1;
                    slot.1 = slot.1.max(at);
                    counts.total_hits += 1;
                    counts.saved_usd += saved;
                }
                None => counts.misses += 1,
            }
            let first = counts.first_at.is_none();
            if first {
                counts.first_at = Some(Instant::now());
            }
            first
        };
        if first {
            // A full queue already holds requests that will run the writer's loop.
            let _ = writer.try_send(Write::Counted);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts a named thread running `body`.
pub(super) fn spawn(
    db: &Path,
    name: &str,
    body: impl FnOnce() + Send + 'static,
) -> Result<(), StoreError> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map(|_| ())
        .map_err(|source| StoreError::Io {
            path: db.to_path_buf(),
            action: "start the cache's threads",
            source,
        })
}

/// The reader thread: lookups on a read-only connection.
pub(super) struct Reader {
    conn: Connection,
    path: PathBuf,
    shared: Arc<Shared>,
    writes: mpsc::Sender<Write>,
}

impl Reader {
    pub(super) fn new(
        conn: Connection,
        path: &Path,
        shared: Arc<Shared>,
        writes: mpsc::Sender<Write>,
    ) -> Reader {
        Reader {
            conn,
            path: path.to_path_buf(),
            shared,
            writes,
        }
    }

    pub(super) fn run(self, mut rx: mpsc::Receiver<Read>) {
        while let Some(Read::Get { key, now, reply }) = rx.blocking_recv() {
            let result = self.get(&key, now);
            if let Ok(found) = &result {
                // Counted before the reply, so that a `stats` after it sees this lookup.
                let hit = found.as_ref().map(|answer| answer.cost_usd);
                self.shared.count(&key, hit, now, &self.writes);
            }
            let _ = reply.send(result);
        }
    }

    fn get(&self, key: &[u8; KEY_LEN], now: Millis) -> Result<Option<CachedAnswer>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT provider, model, events, input_tokens, output_tokens, cached_tokens, \
                 cache_write_tokens, cost_usd, created_at, expires_at, hits \
                 FROM llm_cache WHERE key = ?1 AND expires_at > ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![&key[..], now.0], |row| {
                    Ok(CachedAnswer {
                        provider: row.get(0)?,
                        model: row.get(1)?,
                        events: row.get(2)?,
                        tokens: CachedTokens {
                            input: count(row.get(3)?),
                            output: count(row.get(4)?),
                            cached: count(row.get(5)?),
                            cache_write: count(row.get(6)?),
                        },
                        cost_usd: row.get(7)?,
                        created_at: Millis(row.get(8)?),
                        expires_at: Millis(row.get(9)?),
                        hits: count(row.get(10)?),
                    })
                })
                .optional()
            })
            .map_err(|e| schema::classify(&self.path, e))
    }
}

/// The writer thread: entries, counts and purges on the read-write connection.
pub(super) struct Writer {
    conn: Connection,
    path: PathBuf,
    shared: Arc<Shared>,
}

impl Writer {
    pub(super) fn new(conn: Connection, path: &Path, shared: Arc<Shared>) -> Writer {
        Writer {
            conn,
            path: path.to_path_buf(),
            shared,
        }
    }

    pub(super) fn run(&mut self, mut rx: mpsc::Receiver<Write>) {
        let Ok(clock) = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        else {
            tracing::error!("cache: cannot build the writer's timer");
            return;
        };
        loop {
            let (first_at, gathered) = {
                let counts = lock(&self.shared.counts);
                (counts.first_at, counts.lookups)
            };
            let request = match first_at {
                None => rx.blocking_recv(),
                Some(first) => {
                    let left = COUNT_DELAY.saturating_sub(first.elapsed());
                    if left.is_zero() || gathered >= COUNT_MAX {
                        self.write_counts_or_log();
                        continue;
                    }
                    // The timer must be made inside the runtime, hence the async block.
                    let wait = async { tokio::time::timeout(left, rx.recv()).await };
                    match clock.block_on(wait) {
                        Ok(request) => request,
                        Err(_) => {
                            self.write_counts_or_log();
                            continue;
                        }
                    }
                }
            };
            let Some(request) = request else { break };
            self.handle(request);
        }
        self.write_counts_or_log();
    }

    fn handle(&mut self, request: Write) {
        match request {
            Write::Put(seq, entry) => {
                if let Err(e) = self.put(&entry) {
                    tracing::warn!("cache: answer not stored: {e}");
                }
                self.shared.forget(&entry.key, seq);
            }
            Write::Counted => {}
            Write::Stats { reply } => {
                let result = self.write_counts().and_then(|()| {
                    query_stats(&self.conn).map_err(|e| schema::classify(&self.path, e))
                });
                let _ = reply.send(result);
            }
            Write::Purge { now, reply } => {
                let _ = reply.send(self.purge(now));
            }
            Write::Flush { reply } => {
                let _ = reply.send(self.write_counts());
            }
        }
    }

    fn put(&mut self, entry: &CacheEntry) -> Result<(), StoreError> {
        let tokens = entry.tokens;
        self.conn
            .prepare_cached(
                "INSERT INTO llm_cache(key, provider, model, events, input_tokens, output_tokens, \
                 cached_tokens, cache_write_tokens, cost_usd, created_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT(key) DO UPDATE SET provider = excluded.provider, \
                 model = excluded.model, events = excluded.events, \
                 input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, \
                 cached_tokens = excluded.cached_tokens, \
                 cache_write_tokens = excluded.cache_write_tokens, cost_usd = excluded.cost_usd, \
                 created_at = excluded.created_at, expires_at = excluded.expires_at, hits = 0, \
                 last_hit_at = NULL",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    &entry.key[..],
                    entry.provider,
                    entry.model,
                    entry.events,
                    signed(tokens.input),
                    signed(tokens.output),
                    signed(tokens.cached),
                    signed(tokens.cache_write),
                    entry.cost_usd,
                    entry.created_at.0,
                    entry.expires_at.0,
                ])
            })
            .map(|_| ())
            .map_err(|e| schema::classify(&self.path, e))
    }

    pub(super) fn purge(&mut self, now: Millis) -> Result<u64, StoreError> {
        self.conn
            .execute(
                "DELETE FROM llm_cache WHERE expires_at <= ?1",
                params![now.0],
            )
            .map(|n| n as u64)
            .map_err(|e| schema::classify(&self.path, e))
    }

    fn write_counts_or_log(&mut self) {
        if let Err(e) = self.write_counts() {
            tracing::warn!("cache: counters not written, will retry: {e}");
        }
    }

    /// Writes the gathered counts in one transaction; on failure puts them back.
    fn write_counts(&mut self) -> Result<(), StoreError> {
        let counts = std::mem::take(&mut *lock(&self.shared.counts));
        if counts.lookups == 0 {
            return Ok(());
        }
        let result = self.write(&counts);
        if result.is_err() {
            let mut pending = lock(&self.shared.counts);
            for (key, (n, at)) in counts.hits {
                let slot = pending.hits.entry(key).or_insert((0, at));
                slot.0 += n;
                slot.1 = slot.1.max(at);
            }
            pending.total_hits += counts.total_hits;
            pending.misses += counts.misses;
            pending.saved_usd += counts.saved_usd;
            pending.lookups += counts.lookups;
            // Retried after another delay rather than at once, in a loop.
            pending.first_at = Some(Instant::now());
        }
        result
    }

    fn write(&mut self, counts: &Counts) -> Result<(), StoreError> {
        let path = self.path.clone();
        let classify = |e| schema::classify(&path, e);
        let tx = self.conn.transaction().map_err(classify)?;
        {
            let mut hit = tx
                .prepare_cached(
                    "UPDATE llm_cache SET hits = hits + ?2, last_hit_at = ?3 WHERE key = ?1",
                )
                .map_err(classify)?;
            for (key, (n, at)) in &counts.hits {
                hit.execute(params![&key[..], signed(*n), at.0])
                    .map_err(classify)?;
            }
            tx.execute(
                "UPDATE llm_cache_stats SET hits = hits + ?1, misses = misses + ?2, \
                 saved_usd = saved_usd + ?3 WHERE id = 1",
                params![
                    signed(counts.total_hits),
                    signed(counts.misses),
                    counts.saved_usd
                ],
            )
            .map_err(classify)?;
        }
        tx.commit().map_err(classify)
    }
}
