//! Removing the attributes 0.9.0 and earlier left on an account-region's
//! state item (`domain::retired` says which): one unconditioned `UpdateItem`
//! per chunk, guarded only by `attribute_exists(pk)` so that it never makes
//! an item of a slot whose item went meanwhile. Removing a name that is
//! already gone is no error, so a retried call (a lost answer) or two runs
//! removing the same names at once change nothing more.

use super::state::StateStore;
use crate::domain::aws_error::AwsError;
use crate::domain::retired::{chunks, placeholder, remove_expression};

impl StateStore {
    /// Removes `names` from the slot's item, a chunk per call; the number
    /// removed (all of them, or none when the item is gone).
    pub async fn remove_retired(
        &self,
        account: &str,
        slot: &str,
        names: &[String],
    ) -> Result<usize, AwsError> {
        let t = self.table();
        let mut removed = 0;
        for chunk in chunks(names) {
            let mut update = t
                .update_region(account, slot)
                .update_expression(remove_expression(chunk.len()))
                .condition_expression("attribute_exists(pk)");
            for (i, name) in chunk.iter().enumerate() {
                update = update.expression_attribute_names(placeholder(i), name);
            }
            match t.applied("UpdateItem", account, update.send().await)? {
                Some(_) => removed += chunk.len(),
                // The item went (the account left the scope): nothing to do.
                None => return Ok(0),
            }
        }
        Ok(removed)
    }
}
