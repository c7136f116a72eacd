//! The response cache's table (`llm_cache`) and its lifetime counters (`llm_cache_stats`).
//!
//! The cache is not part of the event log, so it has its own connection, owned by its own
//! thread (`warroom-cache`); everything else holds a cheap, cloneable [`CacheStore`] handle and
//! sends it requests, like the event writer. SQLite's WAL lets it write beside the writer.
//! A lookup is one indexed read; the hit and miss counters it produces are kept in memory and
//! written once the queue is idle, after the reply, so a lookup never waits for a write lock.
//!
//! Knows rows and bytes only: the key is opaque (the caller hashes requests) and the answer's
//! events are JSON text that the caller encodes and decodes. Never reads the event log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::{mpsc, oneshot};

use crate::protocol::Millis;

use super::{StoreError, schema};

/// The length of a cache key: a sha256.
pub const KEY_LEN: usize = 32;

/// Token counts of a cached answer, as the original call reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CachedTokens {
    /// Prompt tokens.
    pub input: u64,
    /// Completion tokens.
    pub output: u64,
    /// Prompt tokens the provider read from its own cache.
    pub cached: u64,
    /// Prompt tokens written to the provider's cache.
    pub cache_write: u64,
}

/// One answer to store.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntry {
    /// The request's key.
    pub key: [u8; KEY_LEN],
    /// The provider that answered.
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// The answer's stream events, as a JSON array.
    pub events: String,
    /// What the original call used.
    pub tokens: CachedTokens,
    /// What the original call cost, in dollars: what each hit saves.
    pub cost_usd: f64,
    /// When it was stored.
    pub created_at: Millis,
    /// When it stops being served.
    pub expires_at: Millis,
}

/// A stored answer found by [`CacheStore::get`].
#[derive(Debug, Clone, PartialEq)]
pub struct CachedAnswer {
    /// The provider that answered.
    pub provider: String,
    /// The model that answered.
    pub model: String,
    /// The answer's stream events, as a JSON array.
    pub events: String,
    /// What the original call used.
    pub tokens: CachedTokens,
    /// What the original call cost, in dollars.
    pub cost_usd: f64,
    /// When it was stored.
    pub created_at: Millis,
    /// When it stops being served.
    pub expires_at: Millis,
    /// Hits before this one.
    pub hits: u64,
}

/// The cache's lifetime counters.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CacheStats {
    /// Entries stored now (expired ones included until purged).
    pub entries: u64,
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing (or only an expired entry).
    pub misses: u64,
    /// `hits / (hits + misses)`, 0 when there was no lookup.
    pub hit_rate: f64,
    /// Dollars the hits would have cost if sent to the provider.
    pub dollars_saved: f64,
}

/// The owner's handle to the cache. Cheap to clone; the thread stops when the last clone is
/// dropped, after writing its pending counters.
#[derive(Debug, Clone)]
pub struct CacheStore {
    tx: mpsc::Sender<Request>,
    path: PathBuf,
}

impl CacheStore {
    /// Opens the cache in the database at `db` (creating and migrating the file if needed;
    /// open it after the owner's [`OwnedStore`](super::OwnedStore), which migrates first) and
    /// starts its thread. Expired entries are purged on the way.
    pub fn open(db: &Path, busy_timeout: Duration) -> Result<CacheStore, StoreError> {
        let conn = schema::open_rw(db, busy_timeout)?;
        let mut actor = Actor {
            conn,
            path: db.to_path_buf(),
            pending: Pending::default(),
        };
        actor.purge(Millis::now())?;
        let (tx, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("warroom-cache".into())
            .spawn(move || actor.run(rx))
            .map_err(|source| StoreError::Io {
                path: db.to_path_buf(),
                action: "start the cache thread",
                source,
            })?;
        Ok(CacheStore {
            tx,
            path: db.to_path_buf(),
        })
    }

    /// The answer stored under `key` that has not expired at `now`, counting a hit (and the
    /// dollars it saves) or a miss.
    pub async fn get(
        &self,
        key: &[u8; KEY_LEN],
        now: Millis,
    ) -> Result<Option<CachedAnswer>, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Get {
            key: *key,
            now,
            reply,
        })
        .await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues `entry` for writing (replacing any entry with its key) without waiting. A cache
    /// may lose an entry: when the queue is full (a stuck disk) it is dropped with a warning
    /// rather than holding up the caller, and a failed write is logged. Fails only when the
    /// cache's thread has stopped.
    pub fn put(&self, entry: CacheEntry) -> Result<(), StoreError> {
        match self.tx.try_send(Request::Put(Box::new(entry))) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(path = %self.path.display(), "cache: queue full, answer not stored");
                Ok(())
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(StoreError::Closed),
        }
    }

    /// The lifetime counters, with every pending count written first.
    pub async fn stats(&self) -> Result<CacheStats, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Stats { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Deletes the entries expired at `now`; returns how many.
    pub async fn purge_expired(&self, now: Millis) -> Result<u64, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Purge { now, reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits until everything queued before it is written (entries and counters).
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.send(Request::Flush { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn send(&self, request: Request) -> Result<(), StoreError> {
        self.tx.send(request).await.map_err(|_| StoreError::Closed)
    }
}

/// The cache's counters read from another process (`warroom doctor`, a viewer): a read-only
/// connection, no thread. Counts the owner has not written yet are not included.
pub fn read_stats(db: &Path, busy_timeout: Duration) -> Result<CacheStats, StoreError> {
    let conn = schema::open_ro(db, busy_timeout)?;
    query_stats(&conn).map_err(|e| schema::classify(db, e))
}

/// How many requests may wait for the cache's thread.
const QUEUE: usize = 1024;

/// Counts kept in memory are written once this many have gathered, even under steady load.
const PENDING_MAX: usize = 256;

#[derive(Debug)]
enum Request {
    Get {
        key: [u8; KEY_LEN],
        now: Millis,
        reply: oneshot::Sender<Result<Option<CachedAnswer>, StoreError>>,
    },
    Put(Box<CacheEntry>),
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

/// Counts not yet written.
#[derive(Debug, Default)]
struct Pending {
    /// Per key: hits and the last hit's time.
    hits: HashMap<[u8; KEY_LEN], (u64, Millis)>,
    total_hits: u64,
    misses: u64,
    saved_usd: f64,
    lookups: usize,
}

struct Actor {
    conn: Connection,
    path: PathBuf,
    pending: Pending,
}

impl Actor {
    fn run(&mut self, mut rx: mpsc::Receiver<Request>) {
        loop {
            let request = match rx.try_recv() {
                Ok(request) => request,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                // Idle: a good moment to write the counters.
                Err(mpsc::error::TryRecvError::Empty) => {
                    self.write_counts_or_log();
                    match rx.blocking_recv() {
                        Some(request) => request,
                        None => break,
                    }
                }
            };
            self.handle(request);
            if self.pending.lookups >= PENDING_MAX {
                self.write_counts_or_log();
            }
        }
        self.write_counts_or_log();
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Get { key, now, reply } => {
                let _ = reply.send(self.get(&key, now));
            }
            Request::Put(entry) => {
                if let Err(e) = self.put(&entry) {
                    tracing::warn!("cache: answer not stored: {e}");
                }
            }
            Request::Stats { reply } => {
                let result = self
                    .write_counts()
                    .and_then(|()| query_stats(&self.conn).map_err(|e| self.classify(e)));
                let _ = reply.send(result);
            }
            Request::Purge { now, reply } => {
                let _ = reply.send(self.purge(now));
            }
            Request::Flush { reply } => {
                let _ = reply.send(self.write_counts());
            }
        }
    }

    fn get(
        &mut self,
        key: &[u8; KEY_LEN],
        now: Millis,
    ) -> Result<Option<CachedAnswer>, StoreError> {
        let found = self
            .conn
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
            .map_err(|e| self.classify(e))?;
        let pending = &mut self.pending;
        pending.lookups += 1;
        match &found {
            Some(answer) => {
                let slot = pending.hits.entry(*key).or_insert((0, now));
                slot.0 += 1;
                slot.1 = now;
                pending.total_hits += 1;
                pending.saved_usd += answer.cost_usd;
            }
            None => pending.misses += 1,
        }
        Ok(found.map(|mut answer| {
            // Hits counted in memory but not yet written still count.
            answer.hits += self.pending.hits.get(key).map_or(0, |(n, _)| *n - 1);
            answer
        }))
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
            .map_err(|e| self.classify(e))?;
        // A hit counted on the entry this one replaces belongs to the old answer.
        self.pending.hits.remove(&entry.key);
        Ok(())
    }

    fn purge(&mut self, now: Millis) -> Result<u64, StoreError> {
        self.conn
            .execute(
                "DELETE FROM llm_cache WHERE expires_at <= ?1",
                params![now.0],
            )
            .map(|n| n as u64)
            .map_err(|e| self.classify(e))
    }

    fn write_counts_or_log(&mut self) {
        if let Err(e) = self.write_counts() {
            tracing::warn!("cache: counters not written, will retry: {e}");
        }
    }

    /// Writes the pending counters in one transaction; keeps them on failure.
    fn write_counts(&mut self) -> Result<(), StoreError> {
        if self.pending.lookups == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let classify = |e| schema::classify(&path, e);
        let tx = self.conn.transaction().map_err(classify)?;
        {
            let mut hit = tx
                .prepare_cached(
                    "UPDATE llm_cache SET hits = hits + ?2, last_hit_at = ?3 WHERE key = ?1",
                )
                .map_err(classify)?;
            for (key, (n, at)) in &self.pending.hits {
                hit.execute(params![&key[..], signed(*n), at.0])
                    .map_err(classify)?;
            }
            tx.execute(
                "UPDATE llm_cache_stats SET hits = hits + ?1, misses = misses + ?2, \
                 saved_usd = saved_usd + ?3 WHERE id = 1",
                params![
                    signed(self.pending.total_hits),
                    signed(self.pending.misses),
                    self.pending.saved_usd
                ],
            )
            .map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        self.pending = Pending::default();
        Ok(())
    }

    fn classify(&self, error: rusqlite::Error) -> StoreError {
        schema::classify(&self.path, error)
    }
}

fn query_stats(conn: &Connection) -> rusqlite::Result<CacheStats> {
    let entries: i64 = conn.query_row("SELECT count(*) FROM llm_cache", [], |r| r.get(0))?;
    let (hits, misses, saved): (i64, i64, f64) = conn.query_row(
        "SELECT hits, misses, saved_usd FROM llm_cache_stats WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let (hits, misses) = (count(hits), count(misses));
    let lookups = hits + misses;
    Ok(CacheStats {
        entries: count(entries),
        hits,
        misses,
        hit_rate: if lookups == 0 {
            0.0
        } else {
            hits as f64 / lookups as f64
        },
        dollars_saved: saved,
    })
}

/// SQLite integers are signed; counts never go below zero.
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
