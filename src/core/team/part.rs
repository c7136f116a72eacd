//! A patch approved in part: the person accepted some of a verified patch's hunks in the
//! approval inbox, and the decision carries the diff of those hunks. Before anything reaches
//! the working tree the part is checked to be made of whole hunks of the verified patch
//! (`crate::hunks::check_part`), then recorded as a patch of its own (so `warroom patches`
//! lists what was really applied and `warroom rollback` takes back exactly that).

use std::sync::Arc;

use super::shared::Shared;
use crate::protocol::{AgentId, Event, LogLevel, PatchId, TaskId};

/// Checks `part` against the verified `diff` of `patch` and records it as a new patch; returns
/// the new patch's id, diff and files, or why nothing may be applied.
pub async fn take(
    shared: &Arc<Shared>,
    agent: AgentId,
    task: TaskId,
    patch: PatchId,
    diff: &str,
    part: String,
) -> Result<(PatchId, String, Vec<String>), String> {
    crate::hunks::check_part(diff, &part).map_err(|why| {
        format!("patch {patch} was not applied: the accepted part is not the patch's own: {why}")
    })?;
    let parsed = crate::hunks::parse(&part);
    let (kept, all) = (parsed.units(), crate::hunks::parse(diff).units());
    let files: Vec<String> = parsed.files.iter().map(|f| f.path.clone()).collect();
    let id = shared.next_patch();
    shared
        .emit(Event::PatchProposed {
            patch: id,
            task: Some(task),
            agent,
            files: files.clone(),
            diff: part.clone(),
        })
        .await;
    shared
        .log(
            Some(agent),
            LogLevel::Info,
            format!(
                "patch {id} holds the {kept} of {all} parts of verified patch {patch} that the \
                 person accepted (not verified on its own)"
            ),
        )
        .await;
    Ok((id, part, files))
}
