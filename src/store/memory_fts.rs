//! Full-text search of memory: the person's words as safe FTS5 terms, and a plan that keeps a
//! search fast on a large table. BM25 costs about a microsecond per matching entry, so the
//! words are taken rarest first (their entry counts come from a temporary `fts5vocab` table on
//! the reader's connection) while the entries they match stay within a budget; common words
//! say little to BM25 anyway. When even the rarest word is that common, its newest matches are
//! returned instead of scoring them all. Candidates come from FTS5 alone (`ORDER BY rank
//! LIMIT`); only then are the entries read, so forgotten ones are dropped and pinned ones among
//! the candidates put first.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use rusqlite::{OptionalExtension, params};

use super::super::{Reader, StoreError};
use super::{ENTRY_COLUMNS, FtsHit, entry_row, limit_arg};

/// The most words of a query that are searched for.
const MAX_TERMS: usize = 32;
/// The most matching entries the chosen words may add up to (BM25 scores each of them); below
/// this many entries in the table every word is kept.
const DOC_BUDGET: i64 = 1500;
/// The most entries the words of the whole-query phrase may add up to.
const PHRASE_BUDGET: i64 = 10 * DOC_BUDGET;
/// Candidates read per result wanted, for pinned entries to come forward from and forgotten
/// ones to fall out of.
const CANDIDATES_PER_HIT: usize = 3;

/// The person's words as an FTS5 query that cannot be a syntax error: each word (letters,
/// digits, `_`) becomes a quoted term, the terms are joined with `OR`, and the whole run of
/// words is added as one quoted phrase so text that holds them in order (an exact error
/// signature) ranks first. Stop words count only inside the phrase. `None` when the query has
/// no word at all.
pub fn fts_query(text: &str) -> Option<String> {
    plan(&words(text), &|_| 0).map(|p| p.query)
}

/// How one search runs.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Plan {
    /// The FTS5 query.
    pub(super) query: String,
    /// Rank by BM25; `false` when only very common words are left (newest first then).
    pub(super) by_rank: bool,
}

pub(super) fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(MAX_TERMS)
        .collect()
}

/// The query for `words`: stop words left out (unless there is nothing else), then the rest
/// rarest first (`docs` says how many entries hold a word) while their entries add up to the
/// budget, at least one. Quoted, a word is always a string: `NEAR`, `AND`, `OR`, `NOT` and
/// `*` lose their meaning.
pub(super) fn plan(words: &[&str], docs: &dyn Fn(&str) -> i64) -> Option<Plan> {
    if words.is_empty() {
        return None;
    }
    let mut seen = HashSet::new();
    let unique: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| seen.insert(w.to_lowercase()))
        .collect();
    let telling: Vec<&str> = unique
        .iter()
        .copied()
        .filter(|w| !is_stop_word(w))
        .collect();
    let mut candidates: Vec<(i64, &str)> = (if telling.is_empty() {
        &unique
    } else {
        &telling
    })
    .iter()
    .map(|w| (docs(w), *w))
    .collect();
    candidates.sort_by_key(|(d, _)| *d);
    let mut terms = Vec::new();
    let mut total = 0;
    for (d, w) in &candidates {
        if !terms.is_empty() && total + d > DOC_BUDGET {
            break;
        }
        total += d;
        terms.push(*w);
    }
    // Even the rarest word is too common to score every entry it holds: newest first.
    let by_rank = total <= DOC_BUDGET;
    // Keep the person's order (the phrase reads the same either way).
    terms.sort_by_key(|t| unique.iter().position(|u| u == t));
    let mut quoted: Vec<String> = terms.iter().map(|w| format!("\"{w}\"")).collect();
    // A phrase reads the positions of every word in it: worth it unless common words weigh it
    // down.
    let phrase_docs: i64 = words.iter().map(|w| docs(w)).sum();
    if words.len() > 1 && by_rank && phrase_docs <= PHRASE_BUDGET {
        quoted.push(format!("\"{}\"", words.join(" ")));
    }
    Some(Plan {
        query: quoted.join(" OR "),
        by_rank,
    })
}

impl Reader {
    /// Entries whose text matches the person's words, pinned ones first, then by BM25; never
    /// forgotten ones. Any text is accepted (see [`fts_query`]); no word means no hits.
    pub fn memory_search(&self, text: &str, limit: usize) -> Result<Vec<FtsHit>, StoreError> {
        let words = words(text);
        let total = self.memory_rows()?;
        let vocab = VocabCheck::default();
        let docs = |w: &str| vocab.docs(self, w, total);
        let Some(plan) = plan(&words, &docs) else {
            return Ok(Vec::new());
        };
        let order = if plan.by_rank { "rank" } else { "rowid DESC" };
        let sql = format!(
            "SELECT rowid, bm25(memory_fts) FROM memory_fts WHERE memory_fts MATCH ?1
             ORDER BY {order} LIMIT ?2"
        );
        let candidates = self.scored(&sql, &plan.query, limit * CANDIDATES_PER_HIT + 10)?;
        let mut hits = Vec::new();
        let mut seen = HashSet::new();
        let entry_sql = format!("SELECT {ENTRY_COLUMNS} FROM memory m WHERE m.id = ?1");
        let mut stmt = self
            .conn()
            .prepare_cached(&entry_sql)
            .map_err(|e| self.err(e))?;
        for (id, bm25) in candidates {
            if !seen.insert(id) {
                continue;
            }
            let entry = stmt
                .query_row(params![id], entry_row)
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(entry) = entry.filter(|e| e.forgotten_at.is_none()) {
                hits.push(FtsHit { entry, bm25 });
            }
        }
        // Pinned first; the sort is stable, so each group keeps the plan's order.
        hits.sort_by_key(|h| !h.entry.pinned);
        hits.truncate(limit);
        Ok(hits)
    }

    fn scored(&self, sql: &str, query: &str, limit: usize) -> Result<Vec<(i64, f64)>, StoreError> {
        let mut stmt = self.conn().prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.query_map(params![query, limit_arg(limit)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(|e| self.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))
    }

    /// About how many entries there are (the largest id: an index lookup, not a count).
    fn memory_rows(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("SELECT coalesce(max(id), 0) FROM memory", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}

/// Looks words up in a temporary `fts5vocab` table made on the reader's own connection (a temp
/// table is allowed on a read-only connection and vanishes with it). If it cannot be made or
/// read, every word counts as telling (slower, never wrong) and the log says why.
#[derive(Default)]
struct VocabCheck {
    ready: std::cell::Cell<bool>,
    failed: std::cell::Cell<bool>,
}

impl VocabCheck {
    /// How many entries hold `word` (0 when the table is small or the count is unavailable).
    /// Counting a common word reads its whole doclist, so counts are remembered per database
    /// until the table has grown by a tenth.
    fn docs(&self, reader: &Reader, word: &str, total: i64) -> i64 {
        if total < DOC_BUDGET || self.failed.get() {
            return 0;
        }
        let key = (reader.path().to_path_buf(), word.to_lowercase());
        if let Some(docs) = counts()
            .get(&key)
            .filter(|(_, at)| total <= at + at / 10)
            .map(|(d, _)| *d)
        {
            return docs;
        }
        let docs = self.count(reader, &key.1);
        let mut cache = counts();
        if cache.len() >= COUNTS_KEPT {
            cache.clear();
        }
        cache.insert(key, (docs, total));
        docs
    }

    fn count(&self, reader: &Reader, word: &str) -> i64 {
        let conn = reader.conn();
        if !self.ready.get() {
            let made = conn.execute_batch(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.memory_vocab
                 USING fts5vocab(main, 'memory_fts', 'row')",
            );
            if let Err(e) = made {
                self.fail(e);
                return 0;
            }
            self.ready.set(true);
        }
        let docs: Result<Option<i64>, _> = conn
            .prepare_cached("SELECT doc FROM temp.memory_vocab WHERE term = ?1")
            .and_then(|mut s| s.query_row(params![word], |r| r.get(0)).optional());
        match docs {
            Ok(docs) => docs.unwrap_or(0),
            Err(e) => {
                self.fail(e);
                0
            }
        }
    }

    fn fail(&self, e: rusqlite::Error) {
        tracing::warn!("memory search: word frequencies unavailable ({e}); ranking every word");
        self.failed.set(true);
    }
}

/// The most remembered word counts (all databases together).
const COUNTS_KEPT: usize = 50_000;

type Counts = HashMap<(PathBuf, String), (i64, i64)>;

/// Remembered word counts: `(database, word) -> (entries holding it, entries then)`.
fn counts() -> MutexGuard<'static, Counts> {
    static COUNTS: OnceLock<Mutex<Counts>> = OnceLock::new();
    COUNTS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// English words too common to say anything alone.
fn is_stop_word(word: &str) -> bool {
    const STOP: &[&str] = &[
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "do", "does", "for", "from", "has",
        "have", "i", "if", "in", "into", "is", "it", "its", "of", "on", "or", "so", "that", "the",
        "then", "this", "to", "was", "we", "were", "what", "when", "with", "you",
    ];
    STOP.contains(&word.to_lowercase().as_str())
}
