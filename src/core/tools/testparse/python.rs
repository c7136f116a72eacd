//! pytest and unittest output. Names: pytest's node ids ("tests/test_a.py::TestX::test_y[1]")
//! and unittest's dotted ids ("tests.test_a.TestX.test_y").

use super::{Outcome, TestReport};

/// pytest `-v` lines ("tests/a.py::test_x PASSED [ 50%]"), xdist lines ("[gw0] [ 50%] PASSED
/// tests/a.py::test_x") and the short summary ("FAILED tests/a.py::test_x - msg", "ERROR
/// tests/a.py" for a file that failed to collect).
pub(super) fn pytest(text: &str) -> TestReport {
    let mut report = TestReport::default();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some((outcome, name)) = verbose_line(line).or_else(|| summary_line(line)) {
            report.record(outcome, name);
        }
    }
    report
}

/// unittest `-v` lines ("test_x (pkg.mod.Case.test_x) ... ok", a docstring line carrying the
/// status on the next line, subtest lines) and the "FAIL: test_x (pkg.mod.Case.test_x)"
/// headers of its failure report (which are there even without `-v`).
pub(super) fn unittest(text: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end();
        for (prefix, outcome) in [("FAIL: ", Outcome::Fail), ("ERROR: ", Outcome::Fail)] {
            if let Some(id) = line.strip_prefix(prefix).and_then(unittest_id) {
                report.record(outcome, id.0);
            }
        }
        if let Some((id, rest)) = unittest_id(line.trim_start()) {
            match rest.and_then(unittest_status) {
                Some(outcome) => report.record(outcome, id),
                None => pending = Some(id),
            }
            continue;
        }
        // The docstring line right after a test's id: "First line of the docstring ... ok".
        if let Some(id) = pending.take() {
            let status = line
                .match_indices(" ... ")
                .find_map(|(at, _)| unittest_status(&line[at + 5..]));
            if let Some(outcome) = status {
                report.record(outcome, id);
            }
        }
    }
    report
}

const PYTEST_STATUSES: [(&str, Outcome); 6] = [
    ("PASSED", Outcome::Pass),
    ("XPASS", Outcome::Pass),
    ("FAILED", Outcome::Fail),
    ("ERROR", Outcome::Fail),
    ("SKIPPED", Outcome::Skip),
    ("XFAIL", Outcome::Skip),
];

/// "nodeid STATUS[ (reason)][ [ 50%]]" or "[gw0] [ 50%] STATUS nodeid".
fn verbose_line(line: &str) -> Option<(Outcome, &str)> {
    if line.starts_with("[gw") {
        let rest = line.split_once("] ")?.1;
        let rest = if rest.starts_with('[') {
            rest.split_once("] ")?.1
        } else {
            rest
        };
        let (status, id) = rest.split_once(' ')?;
        let outcome = PYTEST_STATUSES.iter().find(|(s, _)| *s == status)?.1;
        return id.contains("::").then_some((outcome, id.trim()));
    }
    if line.starts_with(' ') {
        return None;
    }
    let (id, rest) = line.split_once(' ')?;
    if !id.contains("::") {
        return None;
    }
    let word = rest.split_whitespace().next()?;
    let outcome = PYTEST_STATUSES.iter().find(|(s, _)| *s == word)?.1;
    Some((outcome, id))
}

/// "STATUS nodeid[ - message]" from the short test summary.
fn summary_line(line: &str) -> Option<(Outcome, &str)> {
    let (word, rest) = line.split_once(' ')?;
    let outcome = PYTEST_STATUSES.iter().find(|(s, _)| *s == word)?.1;
    let id = rest.split(" - ").next()?.trim();
    let file_or_test = id.contains("::") || id.ends_with(".py");
    (file_or_test && !id.contains(' ')).then_some((outcome, id))
}

/// "test_x (pkg.mod.Case.test_x)[ (subtest params)][ ... rest]" -> the dotted id and what
/// follows " ... " (None when the status is on a later line).
fn unittest_id(line: &str) -> Option<(String, Option<&str>)> {
    let (method, rest) = line.split_once(" (")?;
    if method.is_empty() || !method.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    let (qualified, rest) = rest.split_once(')')?;
    if qualified.is_empty()
        || !qualified
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    // Python 3.11+ prints "mod.Case.test_x"; older ones "mod.Case".
    let id = if qualified.ends_with(&format!(".{method}")) {
        qualified.to_string()
    } else {
        format!("{qualified}.{method}")
    };
    let status = match rest.find(" ...") {
        Some(at) => Some(rest[at + 4..].trim_start()),
        None if rest.trim().is_empty() || rest.trim_start().starts_with('(') => None,
        None => return None,
    };
    Some((id, status))
}

fn unittest_status(status: &str) -> Option<Outcome> {
    let status = status.trim();
    match status {
        "ok" => Some(Outcome::Pass),
        "FAIL" | "ERROR" | "unexpected success" => Some(Outcome::Fail),
        "expected failure" => Some(Outcome::Skip),
        s if s.starts_with("skipped") => Some(Outcome::Skip),
        _ => None,
    }
}
