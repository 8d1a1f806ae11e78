//! The tag runas-guard puts on the check's association (`Tags` at creation,
//! `AddTagsToResource` on one made before it tagged): the member role
//! updates only an association that carries it, and the optional SCP lets
//! nobody else update, delete or untag one that does. A module of its own
//! so that the session policy can name the key without the check.

pub const KEY: &str = "runas-guard:managed";
pub const VALUE: &str = "true";
