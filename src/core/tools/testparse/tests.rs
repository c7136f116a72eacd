//! The parsers against real output of each runner (tests/fixtures/testparse, see its README).

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        (
            include_str!(concat!(
                "../../../../tests/fixtures/testparse/",
                $name,
                ".stdout"
            )),
            include_str!(concat!(
                "../../../../tests/fixtures/testparse/",
                $name,
                ".stderr"
            )),
        )
    };
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn check(report: &TestReport, passed: &[&str], failed: &[&str], skipped: &[&str]) {
    assert_eq!(report.passed, set(passed), "passed");
    assert_eq!(report.failed, set(failed), "failed");
    assert_eq!(report.skipped, set(skipped), "skipped");
}

#[test]
fn pytest_verbose_names_every_outcome() {
    let (out, err) = fixture!("pytest");
    let report = parse(TestFramework::Pytest, out, err);
    let t = "tests/test_calc.py::";
    check(
        &report,
        &[
            &format!("{t}test_add"),
            &format!("{t}test_add_param[1-1-2]"),
            &format!("{t}TestDiv::test_div"),
        ],
        &[
            &format!("{t}test_add_wrong"),
            &format!("{t}test_add_param[2-3-6]"),
            &format!("{t}test_uses_broken"),
        ],
        &[&format!("{t}test_skipped"), &format!("{t}test_xfail")],
    );
}

#[test]
fn pytest_collection_error_fails_the_file() {
    let (out, err) = fixture!("pytest_collect_error");
    check(
        &parse(TestFramework::Pytest, out, err),
        &[],
        &["tests/test_bad_import.py"],
        &[],
    );
}

#[test]
fn unittest_verbose_with_docstrings_subtests_and_import_errors() {
    let (out, err) = fixture!("unittest");
    check(
        &parse(TestFramework::Unittest, out, err),
        &[
            "test_calc.AddTest.test_add",
            "test_calc.DivTest.test_prints",
        ],
        &[
            "unittest.loader._FailedTest.test_broken",
            "test_calc.AddTest.test_add_wrong",
            "test_calc.AddTest.test_subtests",
            "test_calc.DivTest.test_div_zero",
        ],
        &[
            "test_calc.AddTest.test_skipped",
            "test_calc.AddTest.test_expected_failure",
        ],
    );
}

#[test]
fn unittest_before_python_3_11_names_the_same() {
    let old = "test_add (test_calc.AddTest) ... ok\ntest_add_wrong (test_calc.AddTest) ... FAIL\n";
    check(
        &parse(TestFramework::Unittest, "", old),
        &["test_calc.AddTest.test_add"],
        &["test_calc.AddTest.test_add_wrong"],
        &[],
    );
}

#[test]
fn cargo_names_carry_their_target_from_either_stream_layout() {
    let passed = [
        "src/lib.rs::tests::adds",
        "src/lib.rs::tests::div_zero",
        "tests/api.rs::adds",
        "doc-tests calc::src/lib.rs - add",
    ];
    let failed = [
        "src/lib.rs::tests::adds_wrong",
        "tests/api.rs::divides",
        "doc-tests calc::src/lib.rs - div",
    ];
    let (out, err) = fixture!("cargo");
    check(
        &parse(TestFramework::CargoTest, out, err),
        &passed,
        &failed,
        &["src/lib.rs::tests::slow"],
    );
    let (out, err) = fixture!("cargo_merged");
    check(
        &parse(TestFramework::CargoTest, out, err),
        &passed,
        &failed,
        &["src/lib.rs::tests::slow"],
    );
}

#[test]
fn go_verbose_and_json_agree() {
    let m = "example.com/demo/mathx::";
    let passed = [
        format!("{m}TestAdd"),
        format!("{m}TestAddTable/small"),
        "example.com/demo/strx::TestAdd".to_string(),
    ];
    let failed = [
        format!("{m}TestAddTable"),
        format!("{m}TestAddTable/wrong_want"),
    ];
    let skipped = [format!("{m}TestSkipped")];
    fn as_str(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    for (out, err) in [fixture!("go_v"), fixture!("go_json")] {
        check(
            &parse(TestFramework::GoTest, out, err),
            &as_str(&passed),
            &as_str(&failed),
            &as_str(&skipped),
        );
    }
}

#[test]
fn go_build_failure_fails_the_package() {
    let out = "# example.com/demo/mathx\nmathx/mathx.go:3:30: undefined: x\nFAIL\texample.com/demo/mathx [build failed]\nok  \texample.com/demo/strx\t0.003s\n";
    check(
        &parse(TestFramework::GoTest, out, ""),
        &[],
        &["example.com/demo/mathx"],
        &[],
    );
}

#[test]
fn node_test_tap_and_spec_agree() {
    let passed = ["adds numbers", "rounding > rounds half up"];
    let failed = ["subtracts numbers", "rounding > rounds negatives"];
    for (out, err) in [fixture!("node_tap"), fixture!("node_spec")] {
        check(
            &parse(TestFramework::NodeTest, out, err),
            &passed,
            &failed,
            &["divides later"],
        );
    }
}

#[test]
fn jest_verbose_tree_per_file() {
    let (out, err) = fixture!("jest");
    check(
        &parse(TestFramework::Jest, out, err),
        &[
            "sum.test.js > top level works",
            "sum.test.js > sum > adds two numbers",
            "sum.test.js > sum > with zero > is identity",
            "other.test.js > other passes",
        ],
        &["sum.test.js > sum > adds negatives"],
        &["sum.test.js > sum > adds strings"],
    );
}

#[test]
fn jest_without_verbose_still_names_failures() {
    let err = "FAIL ./sum.test.js\n  ● sum › adds negatives\n\n    expect(received).toBe(expected)\n\nFAIL ./bad.test.js\n  ● Test suite failed to run\n\nTest Suites: 2 failed\n";
    check(
        &parse(TestFramework::Jest, "", err),
        &[],
        &["sum.test.js > sum > adds negatives", "bad.test.js"],
        &[],
    );
}

#[test]
fn vitest_verbose_with_colours() {
    let (out, err) = fixture!("vitest");
    check(
        &parse(TestFramework::Vitest, out, err),
        &[
            "sum.test.js > sum > adds two numbers",
            "sum.test.js > sum > with zero > is identity",
            "sum.test.js > top level works",
        ],
        &["sum.test.js > sum > adds negatives"],
        &["sum.test.js > sum > adds strings"],
    );
}

#[test]
fn mocha_spec_tree() {
    let (out, err) = fixture!("mocha");
    check(
        &parse(TestFramework::Mocha, out, err),
        &[
            "top level works",
            "sum > adds two numbers",
            "sum > with zero > is identity",
        ],
        &["sum > adds negatives"],
        &["sum > adds strings"],
    );
}

#[test]
fn unknown_framework_picks_the_format_that_ran() {
    let (out, err) = fixture!("cargo");
    assert_eq!(
        parse(TestFramework::Unknown, out, err),
        parse(TestFramework::CargoTest, out, err)
    );
    let (out, err) = fixture!("unittest");
    assert_eq!(
        parse(TestFramework::Unknown, out, err),
        parse(TestFramework::Unittest, out, err)
    );
    assert!(parse(TestFramework::Unknown, "make: Nothing to be done", "").is_empty());
}

#[test]
fn names_are_stable_across_runs() {
    // Two runs of the same suite differ in durations, thread ids and percentages only.
    let (out, err) = fixture!("node_spec");
    let rerun = out
        .replace("0.915455ms", "12.5ms")
        .replace("(0.6038ms)", "(3ms)");
    assert_eq!(
        parse(TestFramework::NodeTest, out, err),
        parse(TestFramework::NodeTest, &rerun, err)
    );
}

#[test]
fn fixed_and_regressed_compare_two_runs() {
    let before = TestReport {
        passed: set(&["a", "b"]),
        failed: set(&["c"]),
        skipped: set(&[]),
    };
    let after = TestReport {
        passed: set(&["a", "c"]),
        failed: set(&["b"]),
        skipped: set(&[]),
    };
    assert_eq!(after.fixed_since(&before), set(&["c"]));
    assert_eq!(after.regressed_since(&before), set(&["b"]));
}

#[test]
fn excerpt_keeps_failure_reports_and_drops_passes() {
    let (out, err) = fixture!("pytest");
    let text = failure_excerpt(out, err, 4000);
    assert!(
        text.contains("E       AssertionError: two and two"),
        "{text}"
    );
    assert!(text.contains("fixture broke"), "{text}");
    assert!(!text.contains("test_add PASSED"), "{text}");

    let (out, err) = fixture!("unittest");
    let text = failure_excerpt(out, err, 4000);
    assert!(text.starts_with("======"), "{text}");
    assert!(
        text.contains("AssertionError: 3 != 5") && !text.contains("... ok"),
        "{text}"
    );

    let (out, err) = fixture!("cargo");
    let text = failure_excerpt(out, err, 8000);
    assert!(
        text.contains("---- tests::adds_wrong stdout ----") && text.contains("two and two"),
        "{text}"
    );
    assert!(
        text.contains("---- divides stdout ----") && !text.contains("test tests::adds ... ok"),
        "{text}"
    );

    let (out, err) = fixture!("cargo_compile_error");
    let text = failure_excerpt(out, err, 4000);
    assert!(
        text.starts_with("error[E0277]: cannot add `&str` to `i32`"),
        "{text}"
    );

    let (out, err) = fixture!("go_v");
    let text = failure_excerpt(out, err, 4000);
    assert!(
        text.contains("mathx_test.go:19: Add(2, 2) = 4, want 5") && !text.contains("--- PASS"),
        "{text}"
    );

    let (out, err) = fixture!("jest");
    let text = failure_excerpt(out, err, 4000);
    assert!(
        text.starts_with("  ● sum › adds negatives") && text.contains("Received: -3"),
        "{text}"
    );
    assert!(!text.contains("other passes"), "{text}");

    for name in ["node_tap", "node_spec"] {
        let (out, err) = match name {
            "node_tap" => fixture!("node_tap"),
            _ => fixture!("node_spec"),
        };
        let text = failure_excerpt(out, err, 4000);
        assert!(
            text.contains("2 !== 1")
                && text.contains("-2 !== -3")
                && !text.contains("adds numbers"),
            "{name}: {text}"
        );
    }

    let (out, err) = fixture!("mocha");
    assert!(failure_excerpt(out, err, 4000).contains("-3 !== -4"));
    let (out, err) = fixture!("vitest");
    assert!(failure_excerpt(out, err, 4000).contains("expected -3 to be -4"));
}

#[test]
fn excerpt_is_bounded_and_falls_back_to_the_tail() {
    let (out, err) = fixture!("cargo");
    for max in [10, 100, 300, 1000] {
        let text = failure_excerpt(out, err, max);
        assert!(text.len() <= max, "{max}: {} bytes", text.len());
    }
    assert!(failure_excerpt(out, err, 300).ends_with("more bytes cut"));
    let log = format!(
        "{}Error: cannot find module 'left-pad'\n",
        "building...\n".repeat(200)
    );
    let text = failure_excerpt(&log, "", 200);
    assert!(
        text.len() <= 200 && text.ends_with("Error: cannot find module 'left-pad'"),
        "{text}"
    );
    assert_eq!(failure_excerpt("", "", 100), "");
}

#[test]
fn ansi_codes_are_removed() {
    assert_eq!(
        strip_ansi("\u{1b}[32m✓\u{1b}[39m a\u{1b}]8;;x\u{7}b"),
        "✓ ab"
    );
}
