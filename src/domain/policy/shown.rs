//! How a value from the policy file is shown in a message. Its own
//! module: the checks of every section quote values, and none of them
//! should reach into another's file for it.

/// A value quoted for an error message, cut to 40 characters (with its
/// length) so that a huge value still gives one short line.
pub(super) fn shorten(value: &str) -> String {
    const SHOWN: usize = 40;
    let count = value.chars().count();
    if count <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}... ({count} characters)")
    }
}
