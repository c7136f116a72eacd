//! Where the router's events go: the store's writer queue (the owner process), a channel (a
//! test, or a front end that forwards), or nowhere. Events of one call are sent in order; a
//! call cancelled by dropping its stream sends its last event from a spawned task, since a
//! destructor cannot wait.

use tokio::sync::mpsc;

use crate::protocol::{Event, RunId};
use crate::store::Store;

/// A destination for `(run, event)` pairs.
#[derive(Debug, Clone)]
pub enum EventSink {
    /// Appended to the event log (and so projected into `llm_calls`).
    Store(Store),
    /// Sent on a channel.
    Channel(mpsc::Sender<(RunId, Event)>),
    /// Dropped.
    Discard,
}

impl EventSink {
    /// Sends one event, waiting while the destination is full. A closed destination is logged
    /// and otherwise ignored: the call it describes goes on.
    pub async fn emit(&self, run: RunId, event: Event) {
        match self {
            EventSink::Store(store) => {
                if let Err(error) = store.append(run, event).await {
                    tracing::warn!(%error, "router: the store refused an event");
                }
            }
            EventSink::Channel(tx) => {
                if tx.send((run, event)).await.is_err() {
                    tracing::debug!("router: the event channel is closed");
                }
            }
            EventSink::Discard => {}
        }
    }

    /// Sends `events` in order from a task on the current runtime (for destructors). Outside a
    /// runtime they are lost, and logged.
    pub fn emit_detached(&self, run: RunId, events: Vec<Event>) {
        if events.is_empty() || matches!(self, EventSink::Discard) {
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let sink = self.clone();
                handle.spawn(async move {
                    for event in events {
                        sink.emit(run, event).await;
                    }
                });
            }
            Err(_) => tracing::warn!(
                count = events.len(),
                "router: events of a dropped call were lost (no runtime)"
            ),
        }
    }
}
