//! The words of synthesized memory, as pure functions: what a finished task is remembered as
//! when the model writes it and when it cannot (the facts known for sure), how a model's
//! answer is read, where the remembered block goes in a brief, and the plain summary of a
//! long conversation. No IO; `core/team/recall.rs` gathers the facts and writes the entries.

/// What is known for sure about a finished task, gathered from the run's events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFacts {
    /// The run.
    pub run: i64,
    /// The task's title.
    pub title: String,
    /// The role that did it.
    pub role: String,
    /// How it ended, in words ("verified patch 3", "failed: ...").
    pub outcome: String,
    /// The error signatures of the failing tests before any change.
    pub signatures: Vec<String>,
    /// The tests that failed before any change.
    pub failing: Vec<String>,
    /// The verified patch: its id and files.
    pub verified: Option<(i64, Vec<String>)>,
    /// Why earlier attempts were rejected, in order.
    pub rejected: Vec<String>,
    /// The verified patch's diff (trimmed), for the model.
    pub diff: String,
}

/// What the model was asked to write, read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    /// `SUMMARY:` — what the task found or did.
    pub summary: Option<String>,
    /// `FIX:` — what change fixed the error.
    pub fix: Option<String>,
}

/// The most characters of one synthesized entry.
const MAX_ENTRY: usize = 600;

/// The request to the synthesis model: the facts, and the two lines to write.
pub fn prompt(facts: &TaskFacts) -> String {
    let mut text = format!(
        "Task: {}\nRole: {}\nOutcome: {}\n",
        facts.title, facts.role, facts.outcome
    );
    if !facts.signatures.is_empty() {
        text.push_str(&format!(
            "Errors before the change: {}\n",
            facts.signatures.join("; ")
        ));
    }
    if !facts.failing.is_empty() {
        text.push_str(&format!(
            "Failing tests before the change: {}\n",
            facts.failing.join(", ")
        ));
    }
    for reason in &facts.rejected {
        text.push_str(&format!("Rejected attempt: {reason}\n"));
    }
    if let Some((patch, files)) = &facts.verified {
        text.push_str(&format!(
            "Verified patch {patch} changes: {}\nIts diff:\n{}\n",
            files.join(", "),
            facts.diff
        ));
    }
    text.push_str(
        "\nWrite exactly two lines:\nSUMMARY: <one or two sentences: what the task found or did>\n\
         FIX: <one sentence: what change fixed the error, or none>",
    );
    text
}

/// Reads `SUMMARY:` and `FIX:` lines (any case, markdown bold allowed); `none` counts as no fix.
pub fn parse(answer: &str) -> Written {
    let mut written = Written::default();
    for line in answer.lines() {
        let line = line.trim().trim_matches('*').trim();
        let Some((label, rest)) = line.split_once(':') else {
            continue;
        };
        let rest = rest.trim().trim_matches('*').trim();
        if rest.is_empty() {
            continue;
        }
        match label.trim().trim_matches('*').to_ascii_lowercase().as_str() {
            "summary" => written.summary = Some(clip(rest)),
            "fix" if !rest.eq_ignore_ascii_case("none") && !rest.eq_ignore_ascii_case("none.") => {
                written.fix = Some(clip(rest));
            }
            _ => {}
        }
    }
    written
}

/// The task summary: the model's words when it wrote some, else the facts.
pub fn task_summary(facts: &TaskFacts, written: &Written) -> String {
    let said = written
        .summary
        .clone()
        .unwrap_or_else(|| clip(&facts.outcome));
    clip(&format!(
        "{} ({}, run {}): {said}",
        facts.title, facts.role, facts.run
    ))
}

/// Error -> resolution entries of a verified fix: one per error signature (at most three), or
/// one for the failing tests when no signature was found. The fix is the model's sentence when
/// it wrote one; the patch and its files are always named.
pub fn resolutions(facts: &TaskFacts, written: &Written) -> Vec<String> {
    let Some((patch, files)) = &facts.verified else {
        return Vec::new();
    };
    let how = match &written.fix {
        Some(fix) => format!(
            "{fix} (patch {patch} in run {}: {})",
            facts.run,
            files.join(", ")
        ),
        None => format!(
            "fixed by patch {patch} in run {}, which changed {}",
            facts.run,
            files.join(", ")
        ),
    };
    let mut errors: Vec<String> = facts.signatures.iter().take(3).cloned().collect();
    if errors.is_empty() && !facts.failing.is_empty() {
        let names: Vec<&str> = facts.failing.iter().take(5).map(String::as_str).collect();
        errors.push(format!("failing tests {}", names.join(", ")));
    }
    errors
        .into_iter()
        .map(|error| clip(&format!("{error} -> {how}")))
        .collect()
}

/// The repository facts a detection gives: how it is tested and built.
pub fn repo_facts(test: Option<&str>, build: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(test) = test {
        out.push(format!("tests run with `{test}`"));
    }
    if let Some(build) = build {
        out.push(format!("builds with `{build}`"));
    }
    out
}

/// The brief with the remembered block put after the task line (so a brief's last line, what
/// to do now, stays last); at the end when the task line is not found.
pub fn insert_block(brief: &str, title: &str, block: &str) -> String {
    let marker = format!("Your task: {title}");
    match brief.find(&marker) {
        Some(at) => {
            let end = at + marker.len();
            format!("{}\n\n{block}{}", &brief[..end], &brief[end..])
        }
        None => format!("{brief}\n\n{block}"),
    }
}

/// A plain summary of chat turns (`(who, text)`, oldest first) when no model writes one: the
/// earlier summary, then the first line of each turn, within about 1,500 characters (the
/// newest turns kept when it must be cut).
pub fn plain_conversation(earlier: Option<&str>, turns: &[(String, String)]) -> String {
    let mut lines: Vec<String> = turns
        .iter()
        .map(|(who, text)| {
            let first: String = text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .take(160)
                .collect();
            format!("{who}: {first}")
        })
        .collect();
    let mut total: usize = lines.iter().map(|l| l.len() + 1).sum();
    while total > 1500 && lines.len() > 1 {
        total -= lines.remove(0).len() + 1;
    }
    let mut text = String::new();
    if let Some(earlier) = earlier {
        let earlier: String = earlier.chars().take(1000).collect();
        text.push_str(&format!("Before that: {earlier}\n"));
    }
    text.push_str(&lines.join("\n"));
    text
}

fn clip(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = text.chars().take(MAX_ENTRY).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
#[path = "synth_tests.rs"]
mod tests;
