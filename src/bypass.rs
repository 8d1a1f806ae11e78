//! Session documents that skip Run As (pure). The SSM agent applies Run As
//! only when the shell's properties do not ask to run elevated
//! (amazon-ssm-agent `agent/session/shell/shell_unix.go`:
//! `!constants.GetRunAsElevated(shellProps)`); `GetRunAsElevated` reads
//! `properties.linux.runAsElevated` on Linux and `properties.macos.runAsElevated`
//! on macOS. Those properties belong to `InteractiveCommands` and
//! `NonInteractiveCommands` sessions; a `Standard_Stream` session (the shell)
//! has none, and Run As does not apply on Windows. So a document whose
//! elevated flag is on opens a root session whatever Run As says.

use serde_json::Value;

/// Session types whose `properties` the agent's shell reads.
const COMMAND_SESSIONS: [&str; 2] = ["InteractiveCommands", "NonInteractiveCommands"];
/// The platforms Run As applies to, as the document names them.
const RUN_AS_PLATFORMS: [&str; 2] = ["linux", "macos"];

/// The platforms on which `content` (a Session document, as JSON) opens a
/// session that skips Run As; empty when it cannot.
pub fn elevated_platforms(content: &Value) -> Vec<&'static str> {
    let session_type = content.get("sessionType").and_then(Value::as_str);
    if !session_type.is_some_and(|t| COMMAND_SESSIONS.contains(&t)) {
        return vec![];
    }
    RUN_AS_PLATFORMS
        .into_iter()
        .filter(|p| {
            // The agent unmarshals a Go bool: only a JSON `true` is read as
            // elevated (a string fails the session instead of elevating it).
            content
                .get("properties")
                .and_then(|props| props.get(*p))
                .and_then(|shell| shell.get("runAsElevated"))
                == Some(&Value::Bool(true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_command_sessions_with_a_true_elevated_flag_skip_run_as() {
        let props = |linux: Value, macos: Value| {
            json!({"linux": {"commands": "bash", "runAsElevated": linux},
                   "macos": {"commands": "zsh", "runAsElevated": macos}})
        };
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            (
                "interactive, linux",
                json!({"sessionType": "InteractiveCommands", "properties": props(json!(true), json!(false))}),
                vec!["linux"],
            ),
            (
                "non-interactive, both",
                json!({"sessionType": "NonInteractiveCommands", "properties": props(json!(true), json!(true))}),
                vec!["linux", "macos"],
            ),
            (
                "macos only",
                json!({"sessionType": "InteractiveCommands", "properties": props(json!(false), json!(true))}),
                vec!["macos"],
            ),
            (
                "not elevated",
                json!({"sessionType": "InteractiveCommands", "properties": props(json!(false), json!(false))}),
                vec![],
            ),
            (
                "a string is not a Go bool",
                json!({"sessionType": "InteractiveCommands", "properties": props(json!("true"), json!(1))}),
                vec![],
            ),
            (
                "the shell has no properties",
                json!({"sessionType": "Standard_Stream", "properties": props(json!(true), json!(true))}),
                vec![],
            ),
            (
                "port forwarding",
                json!({"sessionType": "Port", "properties": props(json!(true), json!(true))}),
                vec![],
            ),
            (
                "windows only",
                json!({"sessionType": "InteractiveCommands", "properties": {"windows": {"runAsElevated": true}}}),
                vec![],
            ),
            (
                "no properties",
                json!({"sessionType": "InteractiveCommands"}),
                vec![],
            ),
            (
                "properties not an object",
                json!({"sessionType": "InteractiveCommands", "properties": [1]}),
                vec![],
            ),
            ("not a document", json!([]), vec![]),
            (
                "session type mistyped",
                json!({"sessionType": 7, "properties": props(json!(true), json!(true))}),
                vec![],
            ),
        ];
        for (what, doc, want) in cases {
            assert_eq!(elevated_platforms(&doc), want, "{what}");
        }
    }
}
