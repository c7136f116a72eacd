//! `warroom attach`: the full war room in another terminal (a second SSH session, a tmux
//! window) for a repository whose `warroom` runs elsewhere. Unlike `warroom watch` it may act:
//! chat, approvals (with the inbox's edits, partial patches and grants) and cancels are
//! queued in the database's `commands` table, and the owner process carries them out, so a
//! decision made here and one made at the owner's screen meet in one place and the first
//! wins. Refuses to start when no owner runs: commands would wait unseen.

use color_eyre::eyre::{Result, eyre};

use crate::store::{OwnerState, probe_owner};

use super::Context;

/// Opens the attached screen, or says why it cannot.
pub fn run(ctx: &Context) -> Result<()> {
    if !ctx.paths.db.exists() {
        return Err(eyre!(
            "no war room in {}: start `warroom` there first, then attach",
            ctx.paths.repo.display()
        ));
    }
    let owner = probe_owner(&ctx.paths.lock);
    if owner == OwnerState::NoOwner {
        return Err(eyre!("{}", no_owner_words(&ctx.paths.repo)));
    }
    crate::screen::attach(ctx, owner, sender())
}

/// Who the owner's log says decided ("attach pid 123").
pub fn sender() -> String {
    format!("attach pid {}", std::process::id())
}

fn no_owner_words(repo: &std::path::Path) -> String {
    format!(
        "no warroom is running for {}: attach sends chat, decisions and cancels to the running \
         owner. Start `warroom` there, or follow the database read-only with `warroom watch`",
        repo.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_says_what_to_do() {
        let words = no_owner_words(std::path::Path::new("/home/dev/app"));
        assert!(words.contains("/home/dev/app"));
        assert!(words.contains("`warroom watch`"));
        assert!(sender().starts_with("attach pid "));
    }
}
