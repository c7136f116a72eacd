//! The demo project (`assets/demo`) end to end with real processes: detection picks its test
//! command, running it shows the one bug (three tests fail, four pass), the parser names them,
//! the failure excerpt points at the behaviour, and the one-line fix makes every test pass.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use warroom::core::tools::detect::detect;
use warroom::core::tools::testparse::{TestReport, failure_excerpt, parse};

const BUG: &str = "return RATES[night.weekday()]";
const FIX: &str = "return NIGHTLY_CENTS[night.weekday()]";

/// Copies the demo's files (not caches) into a fresh temp folder.
fn demo_copy() -> tempfile::TempDir {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// Runs the detected test command the way a shell would, from the project's root.
fn run_tests(root: &Path) -> (Option<i32>, TestReport, String) {
    let test = detect(root).test.expect("the demo has a test command");
    let out = Command::new("sh")
        .arg("-c")
        .arg(&test.line)
        .current_dir(root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = parse(test.framework, &stdout, &stderr);
    (
        out.status.code(),
        report,
        failure_excerpt(&stdout, &stderr, 2000),
    )
}

fn names(list: &[&str]) -> std::collections::BTreeSet<String> {
    list.iter().map(|n| format!("test_booking.{n}")).collect()
}

#[test]
fn demo_fails_two_tests_then_the_one_line_fix_passes_all() {
    let dir = demo_copy();
    let (code, report, excerpt) = run_tests(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(
        report.failed,
        names(&[
            "StayPriceTest.test_sunday_night",
            "StayPriceTest.test_weekday_stay",
            "StayPriceTest.test_weekend_stay"
        ])
    );
    assert_eq!(
        report.passed,
        names(&[
            "FormatPriceTest.test_cents",
            "FormatPriceTest.test_thousands",
            "StayNightsTest.test_one_night",
            "StayNightsTest.test_rejects_check_out_before_check_in",
        ])
    );
    // The traceback leads into the code at fault, not only the test.
    assert!(excerpt.contains("in night_price"), "{excerpt}");
    assert!(
        excerpt.contains("NameError: name 'RATES' is not defined"),
        "{excerpt}"
    );
    assert!(!excerpt.contains("... ok"), "{excerpt}");

    let source = dir.path().join("booking.py");
    let text = std::fs::read_to_string(&source).unwrap();
    assert_eq!(text.matches(BUG).count(), 1, "the bug is one line");
    std::fs::write(&source, text.replace(BUG, FIX)).unwrap();

    let (code, fixed, _) = run_tests(dir.path());
    assert_eq!(code, Some(0));
    assert!(fixed.failed.is_empty(), "{fixed:?}");
    assert_eq!(fixed.passed.len(), 7);
    assert_eq!(fixed.fixed_since(&report), report.failed);
    assert!(fixed.regressed_since(&report).is_empty());
}
