//! The part of a failing test run a model needs: each runner's failure report (assertion
//! messages, tracebacks, compiler errors), not the list of passing tests, bounded in size.

use super::strip_ansi;

/// Room kept for the "… N more bytes cut" line.
const MARKER_ROOM: usize = 48;

/// The failure report of a test run (pytest's FAILURES/ERRORS, unittest's FAIL/ERROR blocks,
/// libtest's `---- name stdout ----` blocks and rustc errors, Go's `--- FAIL` and file:line
/// messages, Jest's `●` blocks, node's failing tests, Mocha's and Vitest's failure lists), at
/// most `max_bytes` long. With no report found, the end of the output, where errors land.
pub fn failure_excerpt(stdout: &str, stderr: &str, max_bytes: usize) -> String {
    let mut sections = Vec::new();
    for text in [strip_ansi(stdout), strip_ansi(stderr)] {
        let lines: Vec<&str> = text.lines().collect();
        sections.extend(sections_of(&lines));
    }
    if sections.is_empty() {
        let all = tidy(&format!("{}\n{}", strip_ansi(stdout), strip_ansi(stderr)));
        return cap_tail(&all, max_bytes);
    }
    cap_head(&tidy(&sections.join("\n\n")), max_bytes)
}

/// The failure sections of one stream, in order.
fn sections_of(lines: &[&str]) -> Vec<String> {
    let mut sections = Vec::new();
    let mut go_lines = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        let next = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let rest = || lines[i..].join("\n");
        // Reports that run to the end of the output: take the rest and stop.
        let to_end = (banner(t, "FAILURES") || banner(t, "ERRORS"))
            || (is_rule(t, '=') && (next.starts_with("FAIL: ") || next.starts_with("ERROR: ")))
            || t == "✖ failing tests:"
            || t.contains("Failed Tests ") && t.contains('⎯')
            || mocha_failing(t);
        if to_end {
            sections.push(drop_pytest_noise(&lines[i..]).unwrap_or_else(rest));
            break;
        }
        // Blocks that end before the next one starts.
        let end = if t == "failures:" && next.starts_with("---- ") {
            Some(find_from(lines, i + 1, |l| l.trim() == "failures:"))
        } else if t.starts_with("error[E") || (t.starts_with("error") && next.starts_with("--> ")) {
            Some(find_from(lines, i + 1, |l| l.trim().is_empty()))
        } else if t.starts_with("● ") {
            let stop = |l: &str| {
                let l = l.trim();
                l.starts_with("● ")
                    || l.starts_with("PASS ")
                    || l.starts_with("FAIL ")
                    || l.starts_with("Test Suites:")
            };
            Some(find_from(lines, i + 1, stop))
        } else if t.starts_with("not ok ") {
            let at = line.len() - line.trim_start().len();
            let close = |l: &str| l.trim() == "..." && l.len() - l.trim_start().len() <= at + 2;
            Some((find_from(lines, i + 1, close) + 1).min(lines.len()))
        } else {
            None
        };
        if let Some(end) = end {
            let block: Vec<&str> = lines[i..end.min(lines.len())]
                .iter()
                .copied()
                .filter(|l| !l.trim_start().starts_with("duration_ms:"))
                .collect();
            let block = without_backtraces(&block);
            let subtests_only = block
                .iter()
                .any(|l| l.contains("failureType: 'subtestsFailed'"));
            if !subtests_only {
                sections.push(block.join("\n"));
            }
            i = end.max(i + 1);
            continue;
        }
        if is_go_failure(line) {
            go_lines.push(line);
        }
        i += 1;
    }
    if go_lines
        .iter()
        .any(|l| l.contains("--- FAIL") || l.starts_with("FAIL\t") || l.starts_with("panic: "))
    {
        sections.push(go_lines.join("\n"));
    }
    sections
}

/// `block` without Rust's `stack backtrace:` listings (frames of the standard library and
/// the test harness; the panic line above them already names the failing line).
fn without_backtraces<'a>(block: &[&'a str]) -> Vec<&'a str> {
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in block {
        if line.trim() == "stack backtrace:" {
            skipping = true;
        } else if skipping && line.starts_with("note: ") {
            skipping = false;
            continue;
        }
        if !skipping {
            kept.push(*line);
        }
    }
    kept
}

/// pytest's report from its first FAILURES/ERRORS banner, without the "warnings summary" and
/// "PASSES" sections; `None` when `lines` is not a pytest report.
fn drop_pytest_noise(lines: &[&str]) -> Option<String> {
    if !lines
        .first()
        .is_some_and(|l| banner(l.trim(), "FAILURES") || banner(l.trim(), "ERRORS"))
    {
        return None;
    }
    let mut kept = Vec::new();
    let mut skipping = false;
    for line in lines {
        let t = line.trim();
        if t.starts_with("====") && t.ends_with("====") {
            skipping = banner(t, "warnings summary") || banner(t, "PASSES");
        }
        if !skipping {
            kept.push(*line);
        }
    }
    Some(kept.join("\n"))
}

/// "===== TITLE =====".
fn banner(t: &str, title: &str) -> bool {
    t.starts_with('=') && t.ends_with('=') && t.trim_matches('=').trim() == title
}

fn is_rule(t: &str, c: char) -> bool {
    t.len() >= 20 && t.chars().all(|x| x == c)
}

/// Mocha's "2 failing" summary line.
fn mocha_failing(t: &str) -> bool {
    t.strip_suffix(" failing")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// A line of Go's test output worth keeping: a verdict, a `file.go:12: message` from a test,
/// a package's FAIL line, a panic or a compile error (`./x.go:3:5: msg`).
fn is_go_failure(line: &str) -> bool {
    let t = line.trim();
    if t.starts_with("--- FAIL") || line.starts_with("FAIL\t") || t.starts_with("panic: ") {
        return true;
    }
    let Some((file, rest)) = t.split_once(".go:") else {
        return false;
    };
    !file.contains(' ')
        && rest
            .split(':')
            .next()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// The index of the first line at or after `from` where `stop` holds, else the end.
fn find_from(lines: &[&str], from: usize, stop: impl Fn(&str) -> bool) -> usize {
    (from..lines.len())
        .find(|&j| stop(lines[j]))
        .unwrap_or(lines.len())
}

/// Lines without trailing blanks, runs of empty lines folded into one, no empty ends.
fn tidy(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// The start of `text`, cut at a line end, with a note of how much was cut.
fn cap_head(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    if max < MARKER_ROOM * 2 {
        return text[..floor_char(text, max)].to_string();
    }
    let mut end = floor_char(text, max - MARKER_ROOM);
    if let Some(nl) = text[..end].rfind('\n').filter(|&nl| nl > end / 2) {
        end = nl;
    }
    format!("{}\n… {} more bytes cut", &text[..end], text.len() - end)
}

/// The end of `text`, cut at a line start, with a note of how much was cut.
fn cap_tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    if max < MARKER_ROOM * 2 {
        return text[ceil_char(text, text.len() - max)..].to_string();
    }
    let mut start = ceil_char(text, text.len() - (max - MARKER_ROOM));
    if let Some(nl) = text[start..]
        .find('\n')
        .filter(|&nl| nl < (text.len() - start) / 2)
    {
        start += nl + 1;
    }
    format!("… {} earlier bytes cut\n{}", start, &text[start..])
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}
