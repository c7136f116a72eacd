//! The words of synthesized memory: with and without the model's answer.

use super::*;

fn verified_facts() -> TaskFacts {
    TaskFacts {
        run: 4,
        title: "Fix the failing tests".into(),
        role: "analyst".into(),
        outcome: "verified patch 2".into(),
        signatures: vec!["NameError: name 'RATES' is not defined".into()],
        failing: vec!["test_sunday".into(), "test_total".into()],
        verified: Some((2, vec!["booking.py".into()])),
        rejected: vec!["patch 1: test_sunday still fails".into()],
        diff: "-RATES\n+NIGHTLY_CENTS".into(),
    }
}

#[test]
fn the_model_answer_is_read_line_by_line() {
    let written = parse(
        "Sure!\n**SUMMARY:** The rename left RATES behind.\nfix: renamed RATES to NIGHTLY_CENTS\n",
    );
    assert_eq!(
        written.summary.as_deref(),
        Some("The rename left RATES behind.")
    );
    assert_eq!(
        written.fix.as_deref(),
        Some("renamed RATES to NIGHTLY_CENTS")
    );
    assert_eq!(parse("FIX: none").fix, None);
    assert_eq!(parse("nothing useful"), Written::default());
}

#[test]
fn without_the_model_the_facts_are_still_written() {
    let facts = verified_facts();
    let nothing = Written::default();
    assert_eq!(
        task_summary(&facts, &nothing),
        "Fix the failing tests (analyst, run 4): verified patch 2"
    );
    assert_eq!(
        resolutions(&facts, &nothing),
        vec![
            "NameError: name 'RATES' is not defined -> fixed by patch 2 in run 4, which changed \
             booking.py"
        ]
    );
    let written = parse("SUMMARY: renamed a constant\nFIX: renamed RATES to NIGHTLY_CENTS");
    assert_eq!(
        resolutions(&facts, &written),
        vec![
            "NameError: name 'RATES' is not defined -> renamed RATES to NIGHTLY_CENTS (patch 2 \
             in run 4: booking.py)"
        ]
    );
    let mut no_signature = facts.clone();
    no_signature.signatures.clear();
    assert!(
        resolutions(&no_signature, &nothing)[0]
            .starts_with("failing tests test_sunday, test_total -> ")
    );
    no_signature.verified = None;
    assert!(resolutions(&no_signature, &nothing).is_empty());
    let asked = prompt(&facts);
    assert!(asked.contains("Rejected attempt: patch 1"));
    assert!(asked.contains("+NIGHTLY_CENTS"));
    assert!(asked.ends_with("FIX: <one sentence: what change fixed the error, or none>"));
}

#[test]
fn repo_facts_and_the_block_in_the_brief() {
    assert_eq!(
        repo_facts(Some("pytest -q"), Some("make")),
        vec!["tests run with `pytest -q`", "builds with `make`"]
    );
    assert!(repo_facts(None, None).is_empty());
    let brief = "Goal: g\n\nYour task: Fix it\n\nFound: x\n\nNow fix the code.";
    let with = insert_block(brief, "Fix it", "MEM");
    assert_eq!(
        with,
        "Goal: g\n\nYour task: Fix it\n\nMEM\n\nFound: x\n\nNow fix the code."
    );
    assert_eq!(insert_block("other", "Fix it", "MEM"), "other\n\nMEM");
}

#[test]
fn a_plain_conversation_summary_stays_short_and_keeps_the_newest() {
    let turns: Vec<(String, String)> = (0..100)
        .map(|i| {
            (
                "person".to_string(),
                format!("message number {i}\nsecond line"),
            )
        })
        .collect();
    let text = plain_conversation(Some("we fixed dates"), &turns);
    assert!(text.starts_with("Before that: we fixed dates\n"));
    assert!(text.len() < 1700, "{}", text.len());
    assert!(text.ends_with("person: message number 99"));
    assert!(!text.contains("second line"));
}
