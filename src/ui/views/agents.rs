//! The agent family tree as a fold: who spawned whom, each agent's role, model, status,
//! current task, age and cumulative usage, the usage of each subtree, and each agent's live
//! detail ([`AgentDetail`]: token stream, context window, injected memories). The flattened
//! tree order and the subtree totals are caches, rebuilt by [`AgentsView::refresh`] only after
//! something they depend on changed. Pure: no IO, no ratatui.

use std::collections::{BTreeMap, HashMap};

use crate::protocol::{AgentId, AgentStatus, Event, Millis, TaskId};
use crate::store::AgentRow;

use super::agent_detail::AgentDetail;
use super::tree;

/// One agent as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    /// The agent.
    pub id: AgentId,
    /// Who spawned it.
    pub parent: Option<AgentId>,
    /// Its role.
    pub role: String,
    /// Its model.
    pub model: String,
    /// What it is doing.
    pub status: AgentStatus,
    /// The task it works on.
    pub task: Option<TaskId>,
    /// Prompt tokens so far.
    pub input_tokens: u64,
    /// Completion tokens so far.
    pub output_tokens: u64,
    /// Dollars so far.
    pub cost_usd: f64,
    /// When it was spawned.
    pub spawned_at: Millis,
}

impl Agent {
    /// How long it has been at work, from its spawn until `now`; `None` once it is done or
    /// failed (the store keeps no end time, and a live fold and a snapshot must agree).
    pub fn elapsed(&self, now: Millis) -> Option<i64> {
        match self.status {
            AgentStatus::Done | AgentStatus::Failed => None,
            _ => Some(now.0.saturating_sub(self.spawned_at.0).max(0)),
        }
    }

    /// Tokens in and out.
    pub fn tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// "role#id", how the screen names an agent.
    pub fn label(&self) -> String {
        format!("{}#{}", self.role, self.id)
    }
}

/// Tokens and dollars added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    /// Tokens in and out.
    pub tokens: u64,
    /// Dollars.
    pub cost_usd: f64,
}

/// One line of the flattened tree.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeRow {
    /// The agent on this line.
    pub id: AgentId,
    /// Tree glyphs drawn before it ("│ ├─").
    pub prefix: String,
    /// Whether it has children.
    pub has_children: bool,
    /// Its parent's row.
    pub parent_row: Option<usize>,
    /// Its own usage plus its descendants'.
    pub subtree: Totals,
}

/// The family tree.
#[derive(Debug, Clone, Default)]
pub struct AgentsView {
    agents: BTreeMap<AgentId, Agent>,
    rows: Vec<TreeRow>,
    index: HashMap<AgentId, usize>,
    details: HashMap<AgentId, AgentDetail>,
    total: Totals,
    tree_dirty: bool,
    usage_dirty: bool,
}

impl AgentsView {
    /// The tree of a snapshot's agents.
    pub fn from_rows(rows: &[AgentRow]) -> Self {
        let mut view = AgentsView::default();
        for row in rows {
            view.agents.insert(
                row.id,
                Agent {
                    id: row.id,
                    parent: row.parent,
                    role: row.role.clone(),
                    model: row.model.clone(),
                    status: row.status,
                    task: row.task,
                    input_tokens: row.input_tokens,
                    output_tokens: row.output_tokens,
                    cost_usd: row.cost_usd,
                    spawned_at: row.spawned_at,
                },
            );
        }
        view.tree_dirty = true;
        view.refresh();
        view
    }

    /// Folds one event committed at `at`; returns whether anything changed. Call
    /// [`refresh`](Self::refresh) after a batch.
    pub fn apply(&mut self, at: Millis, event: &Event) -> bool {
        match event {
            Event::LlmCallBegan { agent, .. }
            | Event::LlmDelta { agent, .. }
            | Event::LlmCallEnded { agent, .. }
            | Event::ContextUpdated { agent, .. }
            | Event::MemoryInjected { agent, .. } => {
                return self.details.entry(*agent).or_default().apply(event);
            }
            Event::AgentSpawned {
                agent,
                parent,
                role,
                model,
            } => {
                self.agents.insert(
                    *agent,
                    Agent {
                        id: *agent,
                        parent: *parent,
                        role: role.clone(),
                        model: model.clone(),
                        status: AgentStatus::Idle,
                        task: None,
                        input_tokens: 0,
                        output_tokens: 0,
                        cost_usd: 0.0,
                        spawned_at: at,
                    },
                );
                self.tree_dirty = true;
            }
            Event::AgentStatusChanged {
                agent,
                status,
                task,
            } => {
                let Some(a) = self.agents.get_mut(agent) else {
                    return false;
                };
                a.status = *status;
                a.task = *task;
            }
            Event::AgentUsageUpdated {
                agent,
                input_tokens,
                output_tokens,
                cost_usd,
            } => {
                let Some(a) = self.agents.get_mut(agent) else {
                    return false;
                };
                a.input_tokens = *input_tokens;
                a.output_tokens = *output_tokens;
                a.cost_usd = *cost_usd;
                self.usage_dirty = true;
            }
            _ => return false,
        }
        true
    }

    /// Rebuilds the tree order and the totals if they are stale.
    pub fn refresh(&mut self) {
        if self.tree_dirty {
            self.flatten();
            self.tree_dirty = false;
            self.usage_dirty = true;
        }
        if self.usage_dirty {
            self.add_up();
            self.usage_dirty = false;
        }
    }

    /// The tree in display order.
    pub fn rows(&self) -> &[TreeRow] {
        &self.rows
    }

    /// One agent.
    pub fn get(&self, id: AgentId) -> Option<&Agent> {
        self.agents.get(&id)
    }

    /// An agent's live detail (`None`: nothing streamed or sent yet).
    pub fn detail(&self, id: AgentId) -> Option<&AgentDetail> {
        self.details.get(&id)
    }

    /// Where an agent is in [`rows`](Self::rows).
    pub fn row_of(&self, id: AgentId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// How many agents.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// Whether there are no agents.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Everyone's usage.
    pub fn total(&self) -> Totals {
        self.total
    }

    /// How many agents have each status.
    pub fn count(&self, status: AgentStatus) -> usize {
        self.agents.values().filter(|a| a.status == status).count()
    }

    /// "role#id" for an agent, "agent#id" for one not (yet) spawned.
    pub fn label(&self, id: AgentId) -> String {
        self.agents
            .get(&id)
            .map_or_else(|| format!("agent#{id}"), Agent::label)
    }

    fn flatten(&mut self) {
        self.rows = tree::flatten(self.agents.values().map(|a| (a.id, a.parent)))
            .into_iter()
            .enumerate()
            .map(|(i, r)| TreeRow {
                id: r.id,
                prefix: r.prefix,
                has_children: r.end > i + 1,
                parent_row: r.parent_row,
                subtree: Totals::default(),
            })
            .collect();
        self.index = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
    }

    /// Children come after their parent in pre-order, so one backward pass adds up subtrees.
    fn add_up(&mut self) {
        for row in &mut self.rows {
            row.subtree = self
                .agents
                .get(&row.id)
                .map_or_else(Totals::default, |a| Totals {
                    tokens: a.tokens(),
                    cost_usd: a.cost_usd,
                });
        }
        for i in (0..self.rows.len()).rev() {
            if let Some(p) = self.rows[i].parent_row {
                let add = self.rows[i].subtree;
                let into = &mut self.rows[p].subtree;
                into.tokens = into.tokens.saturating_add(add.tokens);
                into.cost_usd += add.cost_usd;
            }
        }
        self.total = self.agents.values().fold(Totals::default(), |t, a| Totals {
            tokens: t.tokens.saturating_add(a.tokens()),
            cost_usd: t.cost_usd + a.cost_usd,
        });
    }
}
