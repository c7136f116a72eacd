//! Flattening a parent-linked forest into display order, shared by the agent and task trees:
//! pre-order, children in id order, with the tree glyphs ("├─", "│ ") each row draws and the
//! extent of each subtree. A node whose parent is unknown, or that sits in a parent cycle, is
//! shown as a root rather than lost. Pure.

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;

/// One row of a flattened forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlatRow<K> {
    /// The node.
    pub id: K,
    /// Tree glyphs drawn before it.
    pub prefix: String,
    /// Its parent's row, `None` for a root.
    pub parent_row: Option<usize>,
    /// One past its last descendant's row: its subtree is `row..end`.
    pub end: usize,
}

/// Flattens `nodes` (id, parent) into pre-order rows.
pub fn flatten<K: Ord + Copy + Hash>(
    nodes: impl IntoIterator<Item = (K, Option<K>)>,
) -> Vec<FlatRow<K>> {
    let nodes: BTreeMap<K, Option<K>> = nodes.into_iter().collect();
    let mut children: BTreeMap<K, Vec<K>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (id, parent) in &nodes {
        match parent {
            Some(p) if p != id && nodes.contains_key(p) => {
                children.entry(*p).or_default().push(*id)
            }
            _ => roots.push(*id),
        }
    }
    let mut rows: Vec<FlatRow<K>> = Vec::with_capacity(nodes.len());
    let mut seen = HashSet::with_capacity(nodes.len());
    for root in roots {
        walk(root, &children, &mut seen, &mut rows);
    }
    // Nodes in a parent cycle were never reached; each unreached one starts a new root.
    for id in nodes.keys() {
        if !seen.contains(id) {
            walk(*id, &children, &mut seen, &mut rows);
        }
    }
    for i in (0..rows.len()).rev() {
        if let Some(p) = rows[i].parent_row {
            let end = rows[i].end;
            rows[p].end = rows[p].end.max(end);
        }
    }
    rows
}

/// Iterative depth-first walk, so a deep tree cannot overflow the stack.
fn walk<K: Ord + Copy + Hash>(
    root: K,
    children: &BTreeMap<K, Vec<K>>,
    seen: &mut HashSet<K>,
    rows: &mut Vec<FlatRow<K>>,
) {
    // (node, its parent's row, its own glyphs, the glyphs its children continue from)
    let mut stack = vec![(root, None, String::new(), String::new())];
    while let Some((id, parent_row, prefix, below)) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        let row = rows.len();
        rows.push(FlatRow {
            id,
            prefix,
            parent_row,
            end: row + 1,
        });
        let kids: Vec<K> = children
            .get(&id)
            .map(|k| k.iter().copied().filter(|c| !seen.contains(c)).collect())
            .unwrap_or_default();
        for (i, kid) in kids.iter().enumerate().rev() {
            let last = i + 1 == kids.len();
            let own = format!("{below}{}", if last { "└─" } else { "├─" });
            let next = format!("{below}{}", if last { "  " } else { "│ " });
            stack.push((*kid, Some(row), own, next));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preorder_with_glyphs_and_extents() {
        let rows = flatten([
            (1, None),
            (2, Some(1)),
            (3, Some(2)),
            (4, Some(1)),
            (5, Some(9)),
        ]);
        let shape: Vec<(i32, &str, usize)> = rows
            .iter()
            .map(|r| (r.id, r.prefix.as_str(), r.end))
            .collect();
        assert_eq!(
            shape,
            vec![
                (1, "", 4),
                (2, "├─", 3),
                (3, "│ └─", 3),
                (4, "└─", 4),
                (5, "", 5)
            ]
        );
    }

    #[test]
    fn cycles_are_shown_not_lost() {
        let rows = flatten([(1, Some(2)), (2, Some(1)), (3, Some(3))]);
        assert_eq!(rows.len(), 3);
    }
}
