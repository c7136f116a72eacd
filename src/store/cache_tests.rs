//! The cache table against a real temp database with the real migrations.

use super::*;

const WAIT: Duration = Duration::from_secs(5);

fn db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    (dir, path)
}

fn entry(key: u8, cost_usd: f64, created_at: i64, expires_at: i64) -> CacheEntry {
    CacheEntry {
        key: [key; KEY_LEN],
        provider: "openai".into(),
        model: "gpt-test".into(),
        events: format!("[{{\"n\":{key}}}]"),
        tokens: CachedTokens {
            input: 10,
            output: 5,
            cached: 2,
            cache_write: 1,
        },
        cost_usd,
        created_at: Millis(created_at),
        expires_at: Millis(expires_at),
    }
}

#[tokio::test]
async fn a_stored_answer_is_found_until_it_expires_and_counted() {
    let (_dir, path) = db();
    let cache = CacheStore::open(&path, WAIT).unwrap();
    cache.put(entry(1, 0.25, 1_000, 2_000)).unwrap();

    assert_eq!(cache.get(&[9; KEY_LEN], Millis(1_500)).await.unwrap(), None);
    let answer = cache
        .get(&[1; KEY_LEN], Millis(1_500))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.events, "[{\"n\":1}]");
    assert_eq!(answer.tokens.output, 5);
    assert_eq!(
        (answer.provider.as_str(), answer.model.as_str()),
        ("openai", "gpt-test")
    );
    assert_eq!(answer.hits, 0);
    cache.flush().await.unwrap();
    let again = cache
        .get(&[1; KEY_LEN], Millis(1_600))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.hits, 1, "the first hit, written by the flush");
    // At expires_at it is gone: a miss.
    assert_eq!(cache.get(&[1; KEY_LEN], Millis(2_000)).await.unwrap(), None);

    let stats = cache.stats().await.unwrap();
    assert_eq!((stats.entries, stats.hits, stats.misses), (1, 2, 2));
    assert!((stats.hit_rate - 0.5).abs() < 1e-9);
    assert!((stats.dollars_saved - 0.5).abs() < 1e-9);

    assert_eq!(cache.purge_expired(Millis(2_000)).await.unwrap(), 1);
    let stats = cache.stats().await.unwrap();
    assert_eq!(stats.entries, 0);
    assert_eq!(stats.hits, 2, "lifetime counters outlive their entries");
}

#[tokio::test]
async fn counters_survive_a_reopen_and_are_readable_from_another_connection() {
    let (_dir, path) = db();
    {
        let cache = CacheStore::open(&path, WAIT).unwrap();
        cache.put(entry(1, 0.1, 0, i64::MAX)).unwrap();
        assert!(cache.get(&[1; KEY_LEN], Millis(5)).await.unwrap().is_some());
        assert!(cache.get(&[2; KEY_LEN], Millis(5)).await.unwrap().is_none());
        cache.flush().await.unwrap();
    }
    let stats = read_stats(&path, WAIT).unwrap();
    assert_eq!((stats.entries, stats.hits, stats.misses), (1, 1, 1));
    assert!((stats.dollars_saved - 0.1).abs() < 1e-9);
    let cache = CacheStore::open(&path, WAIT).unwrap();
    let answer = cache.get(&[1; KEY_LEN], Millis(6)).await.unwrap().unwrap();
    assert_eq!(answer.hits, 1);
}

#[tokio::test]
async fn a_new_answer_replaces_the_old_one_and_its_hits() {
    let (_dir, path) = db();
    let cache = CacheStore::open(&path, WAIT).unwrap();
    cache.put(entry(1, 0.1, 0, i64::MAX)).unwrap();
    cache.get(&[1; KEY_LEN], Millis(1)).await.unwrap().unwrap();
    cache.flush().await.unwrap();
    let mut newer = entry(1, 0.2, 10, i64::MAX);
    newer.events = "[]".into();
    cache.put(newer).unwrap();
    let answer = cache.get(&[1; KEY_LEN], Millis(11)).await.unwrap().unwrap();
    assert_eq!((answer.events.as_str(), answer.hits), ("[]", 0));
    assert_eq!(cache.stats().await.unwrap().entries, 1);
}

#[tokio::test]
async fn opening_purges_expired_entries() {
    let (_dir, path) = db();
    {
        let cache = CacheStore::open(&path, WAIT).unwrap();
        cache.put(entry(1, 0.0, 0, 1)).unwrap();
        cache.put(entry(2, 0.0, 0, i64::MAX)).unwrap();
        cache.flush().await.unwrap();
        assert_eq!(cache.stats().await.unwrap().entries, 2);
    }
    let cache = CacheStore::open(&path, WAIT).unwrap();
    assert_eq!(cache.stats().await.unwrap().entries, 1);
}

#[test]
fn a_viewer_cannot_read_stats_of_a_missing_database() {
    let (_dir, path) = db();
    let err = read_stats(&path, WAIT).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
}

#[tokio::test]
async fn a_lookup_right_after_a_put_finds_the_entry() {
    let (_dir, path) = db();
    let cache = CacheStore::open(&path, WAIT).unwrap();
    for key in 0..200u8 {
        cache.put(entry(key, 0.0, 0, i64::MAX)).unwrap();
        let found = cache.get(&[key; KEY_LEN], Millis(1)).await.unwrap();
        assert_eq!(found.map(|a| a.events), Some(format!("[{{\"n\":{key}}}]")));
    }
    // An expired entry is not served from memory either.
    cache.put(entry(250, 0.0, 0, 5)).unwrap();
    assert_eq!(cache.get(&[250; KEY_LEN], Millis(5)).await.unwrap(), None);
    let stats = cache.stats().await.unwrap();
    assert_eq!((stats.hits, stats.misses), (200, 1));
}
