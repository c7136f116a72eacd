//! The response cache's table (`llm_cache`) and its lifetime counters (`llm_cache_stats`).
//!
//! The cache is not part of the event log, so it has its own connections, each owned by its
//! own thread, like the event writer (`cache/threads.rs`): a reader (`warroom-cache-r`,
//! read-only) answers lookups, and a writer (`warroom-cache-w`) stores answers, purges, and
//! writes the hit and miss counts that lookups add up in memory, in one transaction every
//! quarter second at most. So a lookup is one indexed read that never waits behind a write or
//! a WAL checkpoint (WAL lets readers go on while a writer commits, this one or the event
//! writer). Everything else holds a cheap, cloneable [`CacheStore`] handle; an answer just put
//! is served from memory until the writer has committed it, so a lookup right after a put
//! finds it.
//!
//! Knows rows and bytes only: the key is opaque (the caller hashes requests) and the answer's
//! events are JSON text that the caller encodes and decodes. Never reads the event log.

mod threads;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use self::threads::{Read, Reader, Shared, Write, Writer};
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
    /// Hits before this one, as last written (counts are written in batches).
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

/// The owner's handle to the cache. Cheap to clone; the threads stop when the last clone is
/// dropped, after writing the pending counts.
#[derive(Debug, Clone)]
pub struct CacheStore {
    reads: mpsc::Sender<Read>,
    writes: mpsc::Sender<Write>,
    shared: Arc<Shared>,
    path: PathBuf,
}

impl CacheStore {
    /// Opens the cache in the database at `db` (creating and migrating the file if needed;
    /// open it after the owner's [`OwnedStore`](super::OwnedStore), which migrates first) and
    /// starts its threads. Expired entries are purged on the way.
    pub fn open(db: &Path, busy_timeout: Duration) -> Result<CacheStore, StoreError> {
        let conn = schema::open_rw(db, busy_timeout)?;
        let read_conn = schema::open_ro(db, busy_timeout)?;
        let shared = Arc::new(Shared::default());
        let (writes, write_rx) = mpsc::channel(QUEUE);
        let (reads, read_rx) = mpsc::channel(QUEUE);
        let mut writer = Writer::new(conn, db, Arc::clone(&shared));
        writer.purge(Millis::now())?;
        let reader = Reader::new(read_conn, db, Arc::clone(&shared), writes.clone());
        threads::spawn(db, "warroom-cache-w", move || writer.run(write_rx))?;
        threads::spawn(db, "warroom-cache-r", move || reader.run(read_rx))?;
        Ok(CacheStore {
            reads,
            writes,
            shared,
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
        if let Some(entry) = self.shared.recent(key).filter(|e| e.expires_at > now) {
            self.shared
                .count(key, Some(entry.cost_usd), now, &self.writes);
            return Ok(Some(CachedAnswer::from_entry(entry)));
        }
        let (reply, rx) = oneshot::channel();
        let get = Read::Get {
            key: *key,
            now,
            reply,
        };
        self.reads.send(get).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues `entry` for writing (replacing any entry with its key) without waiting; a
    /// lookup finds it at once. A cache may lose an entry: when the queue is full (a stuck
    /// disk) it is dropped with a warning rather than holding up the caller, and a failed
    /// write is logged. Fails only when the cache's threads have stopped.
    pub fn put(&self, entry: CacheEntry) -> Result<(), StoreError> {
        let key = entry.key;
        let seq = self.shared.remember(entry.clone());
        match self.writes.try_send(Write::Put(seq, Box::new(entry))) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.shared.forget(&key, seq);
                match e {
                    mpsc::error::TrySendError::Full(_) => {
                        tracing::warn!(path = %self.path.display(), "cache: queue full, answer not stored");
                        Ok(())
                    }
                    mpsc::error::TrySendError::Closed(_) => Err(StoreError::Closed),
                }
            }
        }
    }

    /// The lifetime counters, with every pending count written first.
    pub async fn stats(&self) -> Result<CacheStats, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.write(Write::Stats { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Deletes the entries expired at `now`; returns how many.
    pub async fn purge_expired(&self, now: Millis) -> Result<u64, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.write(Write::Purge { now, reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Waits until everything queued before it is written: entries, and the counts of every
    /// lookup that has returned.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, rx) = oneshot::channel();
        self.write(Write::Flush { reply }).await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn write(&self, request: Write) -> Result<(), StoreError> {
        self.writes
            .send(request)
            .await
            .map_err(|_| StoreError::Closed)
    }
}

/// The cache's counters read from another process (`warroom doctor`, a viewer): a read-only
/// connection, no thread. Counts the owner has not written yet are not included.
pub fn read_stats(db: &Path, busy_timeout: Duration) -> Result<CacheStats, StoreError> {
    let conn = schema::open_ro(db, busy_timeout)?;
    query_stats(&conn).map_err(|e| schema::classify(db, e))
}

/// How many requests may wait for each of the cache's threads.
const QUEUE: usize = 1024;

impl CachedAnswer {
    fn from_entry(entry: CacheEntry) -> CachedAnswer {
        CachedAnswer {
            provider: entry.provider,
            model: entry.model,
            events: entry.events,
            tokens: entry.tokens,
            cost_usd: entry.cost_usd,
            created_at: entry.created_at,
            expires_at: entry.expires_at,
            hits: 0,
        }
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
pub(crate) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(crate) fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
