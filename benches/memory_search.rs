//! Targets: memory search with 100,000 entries, full-text (FTS5, BM25) p99 <= 5 ms; vector
//! top-k over 100,000 x 384 <= 20 ms.
//!
//! A fresh database with the real migrations under cargo's target/tmp gets 100,000 entries
//! through the real writer (`MemoryWritten` events and their projection, which keeps the FTS5
//! index), their texts drawn from a vocabulary of 5,000 words (Zipf-like: a few common words,
//! many rare ones, plus error signatures with names), and 100,000 random 384-value vectors
//! through `VectorWriter`. Then, each call timed on its own:
//!
//! - FTS: `Reader::memory_search` (limit 20) of 500 queries of 1 to 6 words, some with FTS
//!   syntax characters and some whole error signatures: what the target names.
//! - hybrid: `core::memory::hybrid` of three full-text lists and the vector list (the search an
//!   agent's brief gets), with the vectors loaded for each call.
//! - vector top-k: `VectorIndex::top_k` (k = 50) over the loaded 100,000 x 384 matrix: what the
//!   target names. Loading the matrix from the file is timed apart.

use std::time::{Duration, Instant};

use warroom::core::memory;
use warroom::paths::RepoPaths;
use warroom::protocol::{Event, MemoryId, MemoryKind, RunId};
use warroom::store::{OwnedStore, Reader, StoreOptions, VectorIndex, VectorWriter};
use warroom::synth::Rng;

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const FTS_P99: Duration = Duration::from_millis(5);
const VECTOR_TARGET: Duration = Duration::from_millis(20);
const DIM: usize = 384;
const MODEL: &str = "bench-embed";

fn main() -> Res<()> {
    if common::skip_unless_bench("memory_search") {
        return Ok(());
    }
    banner("memory_search");
    let entries = size(100_000, 10_000);
    let queries = size(500, 100);
    println!(
        "{entries} entries x {DIM} dims, {queries} timed queries per case; {}",
        common::machine()
    );
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let paths = RepoPaths::new(dir.path())?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let words: Vec<String> = (0..5000).map(|i| word(&mut rng, i)).collect();

    let started = Instant::now();
    let owned = OwnedStore::open(&paths, StoreOptions::default())?;
    for i in 0..entries {
        let text = entry_text(&mut rng, &words, i);
        let event = Event::MemoryWritten {
            memory: MemoryId(i as i64 + 1),
            memory_kind: if i % 3 == 0 {
                MemoryKind::ErrorResolution
            } else {
                MemoryKind::TaskSummary
            },
            text,
            agent: None,
            task: None,
        };
        owned.store.append_blocking(RunId(1), event)?;
    }
    owned.close()?;
    let mut writer = VectorWriter::open(&paths.db, Duration::from_secs(5))?;
    for chunk in (0..entries).collect::<Vec<_>>().chunks(5000) {
        let rows: Vec<(MemoryId, Vec<f32>)> = chunk
            .iter()
            .map(|i| (MemoryId(*i as i64 + 1), vector(&mut rng)))
            .collect();
        writer.put_all(MODEL, &rows)?;
    }
    let bytes = std::fs::metadata(&paths.db)?.len();
    println!(
        "filled in {:.1} s; the file is {:.0} MB",
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );

    let reader = Reader::open(&paths.db, Duration::from_secs(5))?;
    let texts: Vec<String> = (0..queries)
        .map(|i| query_text(&mut rng, &words, i))
        .collect();
    // Warm the page cache and the statements once, as a running warroom has.
    for text in texts.iter().take(20) {
        reader.memory_search(text, 20)?;
    }
    let mut fts = Vec::with_capacity(queries);
    let mut hits = 0usize;
    for text in &texts {
        let t = Instant::now();
        hits += reader.memory_search(text, 20)?.len();
        fts.push(t.elapsed());
    }
    let fts = Stats::of(&fts);
    println!(
        "FTS search (limit 20): p50 {} ms, p99 {} ms, max {} ms ({} hits a query on average) \
         — target p99 <= {} ms: {}",
        ms(fts.p50),
        ms(fts.p99),
        ms(fts.max),
        hits / queries.max(1),
        ms(FTS_P99),
        verdict(fts.p99 <= FTS_P99)
    );

    let t = Instant::now();
    let index = VectorIndex::load(&reader, MODEL)?;
    let load = t.elapsed();
    println!(
        "vector matrix load: {} ms for {} x {} ({} skipped)",
        ms(load),
        index.len(),
        index.dim(),
        index.skipped.len()
    );
    let mut tops = Vec::with_capacity(queries);
    for _ in 0..queries {
        let q = vector(&mut rng);
        let t = Instant::now();
        let found = index.top_k(&q, 50);
        tops.push(t.elapsed());
        assert_eq!(
            found.hits.len().min(1),
            1,
            "a random query finds neighbours"
        );
    }
    let top = Stats::of(&tops);
    println!(
        "vector top-50 over {} x {DIM}: p50 {} ms, p99 {} ms, max {} ms — target <= {} ms \
         (p99): {}",
        index.len(),
        ms(top.p50),
        ms(top.p99),
        ms(top.max),
        ms(VECTOR_TARGET),
        verdict(top.p99 <= VECTOR_TARGET)
    );

    let hybrid_n = size(20, 5);
    let mut hybrid = Vec::with_capacity(hybrid_n);
    for text in texts.iter().take(hybrid_n) {
        let q = vector(&mut rng);
        let parts = vec![
            text.clone(),
            "NameError defined".into(),
            "fix the tests".into(),
        ];
        let t = Instant::now();
        memory::hybrid(&reader, &parts, Some((MODEL, &q)), 20)?;
        hybrid.push(t.elapsed());
    }
    let hybrid = Stats::of(&hybrid);
    println!(
        "hybrid search (3 FTS lists + vectors loaded from the file each call): p50 {} ms, \
         p99 {} ms",
        ms(hybrid.p50),
        ms(hybrid.p99)
    );
    Ok(())
}

/// `0..n` as a usize.
fn below(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// An index in `0..n` with a Zipf-like draw: low indexes far more often.
fn zipf(rng: &mut Rng, n: usize) -> usize {
    let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
}

fn word(rng: &mut Rng, i: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "ru", "ta", "po", "se", "di", "fa", "gu", "ho", "ji", "be", "zo",
        "wen",
    ];
    let len = 2 + below(rng, 3);
    let mut w: String = (0..len).map(|_| SYLLABLES[below(rng, 16)]).collect();
    w.push_str(&(i % 97).to_string());
    w
}

fn entry_text(rng: &mut Rng, words: &[String], i: usize) -> String {
    let n = 8 + below(rng, 30);
    let body: Vec<&str> = (0..n)
        .map(|_| words[zipf(rng, words.len())].as_str())
        .collect();
    if i % 3 == 0 {
        let name = &words[below(rng, words.len())];
        format!(
            "NameError: name '{name}' is not defined -> {}",
            body.join(" ")
        )
    } else {
        body.join(" ")
    }
}

fn query_text(rng: &mut Rng, words: &[String], i: usize) -> String {
    match i % 5 {
        0 => format!(
            "NameError: name '{}' is not defined",
            words[below(rng, words.len())]
        ),
        1 => format!(
            "\"{}* NEAR({})",
            words[zipf(rng, words.len())],
            words[below(rng, words.len())]
        ),
        _ => {
            let n = 1 + below(rng, 6);
            (0..n)
                .map(|_| words[zipf(rng, words.len())].as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

fn vector(rng: &mut Rng) -> Vec<f32> {
    (0..DIM)
        .map(|_| (rng.next() >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        .collect()
}
