//! JavaScript runners: node's built-in runner (TAP, its default into a pipe on node 20, and
//! the spec reporter), Jest `--verbose`, Vitest's verbose reporter and Mocha's spec reporter.
//! Names are the describe path joined with " > ", after the file when the runner prints it
//! ("sum.test.js > sum > adds"). Suites are not tests: only a suite that failed with no
//! failing test inside (a hook threw) is named.

use super::{Outcome, TestReport, indent, is_duration, strip_paren_duration};

/// `node --test`, TAP or spec, whichever the output is.
pub(super) fn node_test(text: &str) -> TestReport {
    if text
        .lines()
        .any(|l| l.trim() == "TAP version 13" || l.starts_with("# Subtest: "))
    {
        tap(text)
    } else {
        node_spec(text)
    }
}

/// Jest's verbose tree under each "PASS file" / "FAIL file" header; for a file printed without
/// its tree, the "● describe › test" failure headers; "● Test suite failed to run" fails the file.
pub(super) fn jest(text: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut file: Option<FileBlock> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("PASS ").or_else(|| t.strip_prefix("FAIL ")) {
            if let Some(done) = file.take() {
                done.finish(&mut report);
            }
            file = Some(FileBlock::new(rest.trim().trim_start_matches("./")));
            continue;
        }
        if t.starts_with("Test Suites:") {
            if let Some(done) = file.take() {
                done.finish(&mut report);
            }
            continue;
        }
        let Some(block) = file.as_mut() else { continue };
        if let Some(header) = t.strip_prefix("● ") {
            block.in_tree = false;
            block.bullets.push(header.replace(" › ", " > "));
            continue;
        }
        if !block.in_tree || t.is_empty() {
            continue;
        }
        let marked = [
            ("✓ ", Outcome::Pass),
            ("✕ ", Outcome::Fail),
            ("○ skipped ", Outcome::Skip),
            ("○ todo ", Outcome::Skip),
        ]
        .iter()
        .find_map(|(m, o)| t.strip_prefix(m).map(|rest| (*o, rest)));
        match marked {
            Some((outcome, rest)) => {
                let path = block.tree.path(indent(line), strip_paren_duration(rest));
                block.tests += 1;
                report.record(outcome, format!("{} > {path}", block.name));
            }
            None => block.tree.open(indent(line), t),
        }
    }
    if let Some(done) = file {
        done.finish(&mut report);
    }
    report
}

/// Vitest's verbose lines: "✓ file > describe > test 12ms", "× ...", "↓ ..." (skipped), and
/// the "FAIL file > describe > test" headers of its failure report.
pub(super) fn vitest(text: &str) -> TestReport {
    let mut report = TestReport::default();
    for line in text.lines() {
        let t = line.trim();
        let marked = [
            ("✓ ", Outcome::Pass),
            ("√ ", Outcome::Pass),
            ("× ", Outcome::Fail),
            ("FAIL ", Outcome::Fail),
            ("↓ ", Outcome::Skip),
        ]
        .iter()
        .find_map(|(m, o)| t.strip_prefix(m).map(|rest| (*o, rest.trim())));
        let Some((outcome, rest)) = marked else {
            continue;
        };
        let name = match rest.rsplit_once(' ') {
            Some((head, tail)) if is_duration(tail) => head,
            _ => rest,
        };
        if name.contains(" > ") {
            report.record(outcome, name);
        } else if let Some((file, _)) = name.split_once(" [ ").filter(|_| outcome == Outcome::Fail)
        {
            // "FAIL  sum.test.js [ sum.test.js ]": the file did not load.
            report.record(outcome, file);
        }
    }
    report
}

/// Mocha's spec tree: "✔ name" passed, "1) name" failed, "- name" pending, describe lines in
/// between; it ends at the "N passing" summary (the failure report below repeats names).
pub(super) fn mocha(text: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut tree = Tree::default();
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("> ") || line.starts_with("npm ") {
            continue;
        }
        let mut words = t.split_whitespace();
        let count = words
            .next()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
        if count && matches!(words.next(), Some("passing" | "failing" | "pending")) {
            break;
        }
        let numbered = t
            .split_once(") ")
            .filter(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .map(|(_, rest)| (Outcome::Fail, rest));
        let marked = [
            ("✔ ", Outcome::Pass),
            ("✓ ", Outcome::Pass),
            ("- ", Outcome::Skip),
        ]
        .iter()
        .find_map(|(m, o)| t.strip_prefix(m).map(|rest| (*o, rest)))
        .or(numbered);
        match marked {
            Some((outcome, rest)) => {
                report.record(outcome, tree.path(indent(line), strip_paren_duration(rest)));
            }
            None => tree.open(indent(line), t),
        }
    }
    report
}

/// Node's spec reporter: "✔ name (1ms)", "✖ name (1ms)", "﹣ name (1ms) # SKIP", "▶ suite"
/// opening a suite and "▶ suite (2ms)" / "✖ suite (2ms)" closing it.
fn node_spec(text: &str) -> TestReport {
    let mut report = TestReport::default();
    let mut tree = Tree::default();
    for line in text.lines() {
        let t = line.trim();
        if t == "✖ failing tests:" {
            break; // The failures are repeated below without their suites.
        }
        let marked = [
            ("✔ ", Outcome::Pass),
            ("✖ ", Outcome::Fail),
            ("﹣ ", Outcome::Skip),
            ("▶ ", Outcome::Pass),
        ]
        .iter()
        .find_map(|(m, o)| t.strip_prefix(m).map(|rest| (m.starts_with('▶'), *o, rest)));
        let Some((suite, outcome, rest)) = marked else {
            continue;
        };
        let (rest, directive) = split_directive(rest);
        let name = strip_paren_duration(rest);
        let at = indent(line);
        if tree.closes(at, name) {
            continue;
        }
        if suite {
            tree.open(at, name);
        } else {
            let outcome = if directive { Outcome::Skip } else { outcome };
            report.record(outcome, tree.path(at, name));
        }
    }
    report
}

/// TAP from node's runner: "# Subtest: name" opens, "ok N - name" / "not ok N - name" closes,
/// nesting by indentation.
fn tap(text: &str) -> TestReport {
    struct Open {
        at: usize,
        name: String,
        children: bool,
        child_failed: bool,
    }
    let mut report = TestReport::default();
    let mut stack: Vec<Open> = Vec::new();
    for line in text.lines() {
        let at = indent(line);
        let t = line.trim();
        if let Some(name) = t.strip_prefix("# Subtest: ") {
            stack.retain(|o| o.at < at);
            stack.push(Open {
                at,
                name: name.to_string(),
                children: false,
                child_failed: false,
            });
            continue;
        }
        let (failed, rest) = match (t.strip_prefix("not ok "), t.strip_prefix("ok ")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => continue,
        };
        let name = rest.split_once(" - ").map_or("", |(_, name)| name);
        let (name, directive) = split_directive(name);
        stack.retain(|o| o.at <= at);
        let me = if stack.last().is_some_and(|o| o.at == at) {
            stack.pop()
        } else {
            None
        };
        if let Some(parent) = stack.last_mut() {
            parent.children = true;
            parent.child_failed |= failed;
        }
        let is_suite = me.as_ref().is_some_and(|m| m.children);
        let hook_failed = me.as_ref().is_some_and(|m| failed && !m.child_failed);
        if is_suite && !hook_failed {
            continue;
        }
        let mut path: Vec<&str> = stack.iter().map(|o| o.name.as_str()).collect();
        path.push(name.trim());
        let outcome = match (failed, directive) {
            (true, _) => Outcome::Fail,
            (false, true) => Outcome::Skip,
            (false, false) => Outcome::Pass,
        };
        report.record(outcome, path.join(" > "));
    }
    report
}

/// "name # SKIP reason" -> ("name", true); TODO counts as skipped too.
fn split_directive(name: &str) -> (&str, bool) {
    match name.rsplit_once(" # ") {
        Some((head, d))
            if d.to_ascii_uppercase().starts_with("SKIP")
                || d.to_ascii_uppercase().starts_with("TODO") =>
        {
            (head, true)
        }
        _ => (name, false),
    }
}

/// The open describe blocks above the current line, by indentation.
#[derive(Default)]
struct Tree {
    open: Vec<(usize, String)>,
}

impl Tree {
    /// The full name of a test at indentation `at`: the enclosing blocks, then `name`.
    fn path(&mut self, at: usize, name: &str) -> String {
        self.open.retain(|(i, _)| *i < at);
        let mut parts: Vec<&str> = self.open.iter().map(|(_, n)| n.as_str()).collect();
        parts.push(name);
        parts.join(" > ")
    }

    /// A describe block opening at `at`.
    fn open(&mut self, at: usize, name: &str) {
        self.open.retain(|(i, _)| *i < at);
        self.open.push((at, name.to_string()));
    }

    /// Whether this line closes the block open at `at` with this name (and closes it).
    fn closes(&mut self, at: usize, name: &str) -> bool {
        self.open.retain(|(i, _)| *i <= at);
        let closing = self.open.last().is_some_and(|(i, n)| *i == at && n == name);
        if closing {
            self.open.pop();
        }
        closing
    }
}

/// One Jest file's block of output.
struct FileBlock {
    name: String,
    tree: Tree,
    in_tree: bool,
    tests: usize,
    bullets: Vec<String>,
}

impl FileBlock {
    fn new(name: &str) -> Self {
        FileBlock {
            name: name.to_string(),
            tree: Tree::default(),
            in_tree: true,
            tests: 0,
            bullets: Vec::new(),
        }
    }

    fn finish(self, report: &mut TestReport) {
        for bullet in self.bullets {
            if bullet == "Test suite failed to run" {
                report.record(Outcome::Fail, self.name.clone());
            } else if self.tests == 0 {
                report.record(Outcome::Fail, format!("{} > {bullet}", self.name));
            }
        }
    }
}
