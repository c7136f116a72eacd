//! The `grants` table: "always allow this prefix" grants that reach every run of the repository,
//! kept from `prefix_granted` events (the projection writes it), read when a run starts.

use super::{Reader, StoreError};

impl Reader {
    /// The command prefixes granted for the whole repository, oldest first.
    pub fn repo_grants(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .conn()
            .prepare_cached("SELECT prefix FROM grants ORDER BY granted_at, prefix")
            .map_err(|e| self.err(e))?;
        let rows = statement
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }
}
