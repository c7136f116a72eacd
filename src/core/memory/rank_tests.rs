//! Fusion, packing and signature extraction, as pure functions.

use super::*;

fn ids(ranked: &[Ranked]) -> Vec<i64> {
    ranked.iter().map(|r| r.id.0).collect()
}

#[test]
fn fusion_rewards_entries_in_both_lists_and_puts_pins_first() {
    let fts = vec![
        (MemoryId(1), false),
        (MemoryId(2), false),
        (MemoryId(3), false),
    ];
    let vector = vec![(MemoryId(3), false), (MemoryId(4), false)];
    let fused = fuse(&[fts.clone(), vector.clone()]);
    assert_eq!(
        ids(&fused),
        vec![3, 1, 2, 4],
        "2 and 4 tie: the lower id first"
    );
    assert_eq!(fused[0].best_rank, 1);
    let pinned = fuse(&[fts, vec![(MemoryId(5), true)]]);
    assert_eq!(pinned[0].id, MemoryId(5));
    assert!(fuse(&[]).is_empty());
}

#[test]
fn packing_keeps_whole_entries_within_the_budget() {
    let entries = vec![
        (
            MemoryId(1),
            "repo_fact".to_string(),
            "tests run with `pytest -q`".to_string(),
        ),
        (MemoryId(2), "task_summary".to_string(), "x".repeat(400)),
        (
            MemoryId(3),
            "error_resolution".to_string(),
            "NameError:\n  fixed".to_string(),
        ),
    ];
    let packed = pack(&entries, 60);
    assert_eq!(packed.ids, vec![MemoryId(1), MemoryId(3)], "{packed:?}");
    assert!(packed.tokens <= 60);
    assert_eq!(packed.tokens, estimate_tokens(&packed.text));
    assert!(packed.text.starts_with(HEADING));
    assert!(
        packed
            .text
            .contains("- [repo_fact #1] tests run with `pytest -q`")
    );
    assert!(
        packed
            .text
            .contains("- [error_resolution #3] NameError: fixed")
    );
    assert_eq!(pack(&entries, 5), Packed::default());
    assert_eq!(pack(&entries, 0), Packed::default());
    let all = pack(&entries, 10_000);
    assert_eq!(all.ids.len(), 3);
}

#[test]
fn signatures_are_found_in_python_rust_and_panic_output() {
    let output = "\
booking.py:12: in total
    return RATES[day]
E   NameError: name 'RATES' is not defined
FAILED tests/test_booking.py::test_sunday - NameError: name 'RATES' is not defined
error[E0425]: cannot find value `rates` in this scope
  --> src/lib.rs:3:5
thread 'parse::dates' panicked at src/parse.rs:10:9:
called `Option::unwrap()` on a `None` value
thread 'main' panicked at 'boom', src/main.rs:2:5
ModuleNotFoundError: No module named 'requests'
AssertionError: assert 3 == 4
Error: plain words that are not a class
";
    let sigs = error_signatures(output);
    assert_eq!(
        sigs,
        vec![
            "NameError: name 'RATES' is not defined",
            "error[E0425]: cannot find value `rates` in this scope",
            "panicked at src/parse.rs:10:9: called `Option::unwrap()` on a `None` value",
            "panicked at 'boom', src/main.rs:2:5",
            "ModuleNotFoundError: No module named 'requests'",
            "AssertionError: assert 3 == 4",
            "Error: plain words that are not a class",
        ]
    );
    assert!(error_signatures("all good\n3 passed").is_empty());
}

#[test]
fn task_queries_put_signatures_first() {
    let queries = task_queries(
        "Fix the booking",
        "make tests pass",
        &["test_a".into(), "test_b".into()],
        &["NameError: x".into()],
    );
    assert_eq!(
        queries,
        vec![
            "NameError: x",
            "test_a test_b",
            "Fix the booking\nmake tests pass"
        ]
    );
}
