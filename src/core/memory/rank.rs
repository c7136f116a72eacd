//! Pure ranking and packing of memory entries, with no IO: reciprocal rank fusion of the
//! full-text (BM25) and vector rankings with pinned entries first, the error signatures found
//! in test output, the query a task's memory is looked up by, and packing the best entries
//! into a token budget as the exact text an agent is given.

use std::collections::HashMap;

use crate::protocol::MemoryId;

/// The `k` of reciprocal rank fusion: how much a top rank outweighs a lower one (60 is the
/// value of the original paper and of most search engines).
pub const RRF_K: f64 = 60.0;

/// One entry in a fused ranking.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The entry.
    pub id: MemoryId,
    /// Its fused score (higher is better).
    pub score: f64,
    /// Its best rank in any list (1-based).
    pub best_rank: usize,
    /// Whether it is pinned.
    pub pinned: bool,
}

/// Fuses rankings (each best first: full-text lists, one per query part, and the vector list)
/// with reciprocal rank fusion: an entry scores `Σ 1 / (RRF_K + rank)` over the lists it is
/// in. Pinned entries come first; ties go to the better single rank, then the lower id.
pub fn fuse(lists: &[Vec<(MemoryId, bool)>]) -> Vec<Ranked> {
    let mut by_id: HashMap<MemoryId, Ranked> = HashMap::new();
    for list in lists {
        for (i, (id, pinned)) in list.iter().enumerate() {
            let rank = i + 1;
            let entry = by_id.entry(*id).or_insert(Ranked {
                id: *id,
                score: 0.0,
                best_rank: rank,
                pinned: *pinned,
            });
            entry.score += 1.0 / (RRF_K + rank as f64);
            entry.pinned |= *pinned;
            entry.best_rank = entry.best_rank.min(rank);
        }
    }
    let mut out: Vec<Ranked> = by_id.into_values().collect();
    out.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then(b.score.total_cmp(&a.score))
            .then(a.best_rank.cmp(&b.best_rank))
            .then(a.id.cmp(&b.id))
    });
    out
}

/// A rough token count of `text` (about four bytes a token for English and code), used where
/// the provider has not counted.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// What was packed into a budget: the entries, best first, and the exact text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    /// The entries that fit, in the order given.
    pub ids: Vec<MemoryId>,
    /// The text block, as the agent is given it (empty when nothing fits).
    pub text: String,
    /// Its estimated size in tokens (never more than the budget).
    pub tokens: u64,
}

/// The heading of an injected block.
pub const HEADING: &str =
    "What the team remembers from earlier work (check it before relying on it):";

/// Packs entries (`(id, kind, text)`, best first) into at most `budget` tokens: the heading and
/// one `- [kind #id] text` line per entry, whole entries only; an entry too long for what is
/// left is skipped and a shorter later one may still fit. Nothing fits, nothing is packed.
pub fn pack(entries: &[(MemoryId, String, String)], budget: u64) -> Packed {
    let mut packed = Packed::default();
    let heading_tokens = estimate_tokens(HEADING) + 1;
    if budget <= heading_tokens {
        return packed;
    }
    let mut text = HEADING.to_string();
    for (id, kind, body) in entries {
        let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
        let line = format!("\n- [{kind} #{id}] {body}");
        if estimate_tokens(&text) + estimate_tokens(&line) > budget {
            continue;
        }
        text.push_str(&line);
        packed.ids.push(*id);
    }
    if packed.ids.is_empty() {
        return packed;
    }
    packed.tokens = estimate_tokens(&text);
    packed.text = text;
    packed
}

/// The error signatures in test or build output, in order of appearance and without repeats:
/// Python exceptions (`NameError: name 'X' is not defined`), Rust error codes (`error[E0425]:
/// cannot find value ...`), panics (`panicked at ...: message`), `Error:`/`error:` lines of
/// other tools, and assertion failures. Each is one line, at most 160 characters.
pub fn error_signatures(output: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |sig: &str| {
        let sig: String = sig.trim().chars().take(160).collect();
        if sig.len() > 3 && !out.contains(&sig) {
            out.push(sig);
        }
    };
    let lines: Vec<&str> = output.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim().trim_start_matches("E ").trim();
        if let Some(at) = line.find("error[E") {
            push(&line[at..]);
        } else if line.contains("panicked at") {
            // Since Rust 1.73 the message is on the next line.
            let message = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
            let place = line.split("panicked at").nth(1).unwrap_or_default().trim();
            let place = place.trim_end_matches(':');
            if line.trim_end().ends_with(':') && !message.is_empty() {
                push(&format!("panicked at {place}: {message}"));
            } else {
                push(&format!("panicked at {place}"));
            }
        } else if let Some(sig) = python_exception(line) {
            push(sig);
        } else if line.starts_with("AssertionError")
            || line.starts_with("assertion `left == right` failed")
        {
            push(line);
        }
    }
    out
}

/// `Name: message` where Name is a Python-style exception or error class (`NameError`,
/// `KeyError`, `ModuleNotFoundError`, `TypeError`, `django.core.exceptions.ImproperlyConfigured`).
fn python_exception(line: &str) -> Option<&str> {
    let (name, rest) = line.split_once(':')?;
    let last = name.rsplit('.').next().unwrap_or(name);
    let is_class = !last.is_empty()
        && last.chars().next().is_some_and(char::is_uppercase)
        && last.chars().all(|c| c.is_alphanumeric() || c == '_')
        && (last.ends_with("Error") || last.ends_with("Exception"))
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    (is_class && !rest.trim().is_empty()).then_some(line)
}

/// The texts a task's memories are looked up by, most specific first: each error signature
/// on its own (so an entry holding the exact signature ranks first in its list), the failing
/// tests together, then the task's title with the goal.
pub fn task_queries(
    title: &str,
    goal: &str,
    failing: &[String],
    signatures: &[String],
) -> Vec<String> {
    let mut out: Vec<String> = signatures.iter().take(8).cloned().collect();
    if !failing.is_empty() {
        out.push(
            failing
                .iter()
                .take(16)
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    out.push(format!("{title}\n{goal}"));
    out
}

#[cfg(test)]
#[path = "rank_tests.rs"]
mod tests;
