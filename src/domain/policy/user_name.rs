//! Which Run As user names a policy may set (pure), and what the SSM agent
//! asks the node's name service for when it is given one.
//!
//! Two kinds of name:
//! - Linux names, always: 1 to 32 characters of `[a-z_][a-z0-9_-]*`,
//!   optionally ending in `$` (what `useradd` accepts by default, minus
//!   forms that are almost always a mistake).
//! - Directory names, only with `directory_users = true` (AWS documents Run As
//!   with "a domain user for instances joined to an Active Directory"):
//!   `NAME`, `NAME@DOMAIN` or `DOMAIN\NAME`, each part 1 to
//!   [`DIRECTORY_PART_MAX`] characters of letters (any case), digits, `.`, `_`
//!   and `-`, starting with a letter, a digit or `_`; a name without a domain
//!   starts with a letter or `_` (`id 1000` would look up a uid), and in
//!   `DOMAIN\NAME` not both parts with a digit (asked without the backslash,
//!   `1\000` is `1000`). Never a
//!   control character, a quote, `$`, a backtick, `;`, `/`, a space or a
//!   leading `-`: the agent hands the name to `sh -c` unquoted.
//!
//! infra/member.yaml's check document admits exactly the names this rule
//! admits with both switches on, in its parameter's `allowedPattern` and
//! again in its script (infra/tests/test_user_names.py drives one table of
//! names through the three).

use super::shown::shorten as shown;

/// Each side of `@` or `\` (and a name without a domain): at most 127
/// characters, so a whole directory name is at most 255, what glibc's
/// `LOGIN_NAME_MAX` (256 with the terminating NUL) and an IAM tag value
/// (`SSMSessionRunAs`, 256) hold.
pub const DIRECTORY_PART_MAX: usize = 127;

/// The policy's switches that widen the names it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserRules {
    /// `allow_root = true`.
    pub allow_root: bool,
    /// `directory_users = true`.
    pub directory_users: bool,
}

const LINUX_RULE: &str = "[a-z_][a-z0-9_-]* (optionally ending in $)";
const DIRECTORY_RULE: &str = "a directory name: NAME, NAME@DOMAIN or DOMAIN\\NAME, each part 1 to 127 of letters, digits, . _ - starting with a letter, digit or _";

/// Whether `user` may be a Run As user under `rules`; the error says why not
/// and, for a directory name without the switch, which switch allows it.
pub fn check_user(user: &str, rules: UserRules) -> Result<(), String> {
    if let Some(lower) = case_slip(user) {
        let directory = match rules.directory_users {
            true => "; a directory user with capitals is written with its domain (NAME@DOMAIN or DOMAIN\\NAME)",
            false => "",
        };
        return Err(format!(
            "user name {} is looked up as written and Linux user names are case-sensitive (did you mean `{lower}`?){directory}",
            shown(user)
        ));
    }
    let linux = check_linux(user);
    match (linux, rules.directory_users, is_directory_name(user)) {
        (Ok(()), _, _) | (Err(_), true, true) => {}
        (Err(_), true, false) => {
            return Err(format!(
                "user name {} must match {LINUX_RULE}, or be {DIRECTORY_RULE} (directory_users = true)",
                shown(user)
            ))
        }
        (Err(problem), false, true) => {
            return Err(format!(
                "{problem}; it is a directory name: set directory_users = true to govern directory users (SSSD or realmd on an Active Directory-joined fleet)"
            ))
        }
        (Err(problem), false, false) => return Err(problem),
    }
    if is_root(user) && !rules.allow_root {
        return Err(format!("user name {} needs allow_root = true", shown(user)));
    }
    check_asked(user, rules)
}

/// A name without a domain, with capitals, whose lowercase is a Linux name
/// (`Ec2-User` for `ec2-user`): its lowercase, as a suggestion (unreleased).
/// The node's local users are matched as written, so such a name reaches
/// no local user, and a directory (SSSD on Active Directory) answers the
/// lowercase name as well: there is nothing the capitals can mean but a
/// slip, with or without `directory_users`. A name with a domain, or one
/// no Linux name spells (`Alice.Smith`), is a directory's, any case.
pub fn case_slip(user: &str) -> Option<String> {
    if user.contains(['@', '\\']) || !user.chars().any(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let lower = user.to_ascii_lowercase();
    check_linux(&lower).ok().map(|()| lower)
}

/// The name the agent will actually ask for ([`agent_lookup`]) judged too:
/// `r\oot` is asked as `root`, and `1\000` as `1000`, which `id` looks up
/// as a uid (`0\0`: uid 0).
fn check_asked(user: &str, rules: UserRules) -> Result<(), String> {
    let AgentLookup::Collapsed(asked) = agent_lookup(user) else {
        return Ok(());
    };
    let name = asked.strip_suffix('$').unwrap_or(&asked);
    let how = "the agent's unquoted lookup drops the backslash";
    if name.eq_ignore_ascii_case("root") && !rules.allow_root {
        return Err(format!(
            "user name {} is asked of the node as {} ({how}): it needs allow_root = true",
            shown(user),
            shown(&asked)
        ));
    }
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "user name {} is asked of the node as {} ({how}), which id looks up as a uid",
            shown(user),
            shown(&asked)
        ));
    }
    // Both sides starting with a digit could be asked as a uid (`1\000`):
    // refused whatever follows, a rule the check document's allowedPattern
    // can say too (a pattern without lookahead cannot tell "all digits").
    let digit = |p: &str| p.starts_with(|c: char| c.is_ascii_digit());
    if let Some((head, tail)) = user.split_once('\\').filter(|(h, t)| digit(h) && digit(t)) {
        return Err(format!(
            "user name {} is asked of the node as {} ({how}): with a digit first on both sides of the backslash it can be a uid; start {} or {} with a letter or _",
            shown(user),
            shown(&asked),
            shown(head),
            shown(tail)
        ));
    }
    Ok(())
}

fn check_linux(user: &str) -> Result<(), String> {
    if user.is_empty() || user.len() > 32 {
        return Err(format!(
            "user name {} must be 1 to 32 characters",
            shown(user)
        ));
    }
    let body = user.strip_suffix('$').unwrap_or(user);
    let mut chars = body.chars();
    let first_ok = matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_');
    if !first_ok
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(format!("user name {} must match {LINUX_RULE}", shown(user)));
    }
    Ok(())
}

/// `NAME`, `NAME@DOMAIN` or `DOMAIN\NAME` as the module's header says.
pub fn is_directory_name(user: &str) -> bool {
    let part = |p: &str, first: fn(char) -> bool| {
        (1..=DIRECTORY_PART_MAX).contains(&p.len())
            && p.chars().next().is_some_and(first)
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let starts_part = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let starts_name = |c: char| c.is_ascii_alphabetic() || c == '_';
    match user.split_once(['@', '\\']) {
        Some((head, tail)) => part(head, starts_part) && part(tail, starts_part),
        None => part(user, starts_name),
    }
}

/// `root`, in any case and under any domain: a directory that answers
/// `ROOT` or `CORP\root` with uid 0 is not ruled out by a policy here.
fn is_root(user: &str) -> bool {
    let name = match user.split_once(['@', '\\']) {
        Some((head, _)) if user.contains('@') => head,
        Some((_, tail)) => tail,
        None => user,
    };
    name.eq_ignore_ascii_case("root")
}

/// What the SSM agent asks the name service for when it is given `user`:
/// it runs `sh -c "id <user>"`, `id -u` and `id -g` the same way, unquoted
/// (amazon-ssm-agent `agent/session/utility/utility_unix.go`,
/// `shell_unix.go getUserCredentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentLookup {
    /// The shell passes the name as it is.
    AsWritten,
    /// The shell drops each backslash: `CORP\alice` is asked as `CORPalice`.
    Collapsed(String),
    /// Anything else the shell would read as more than a word (quotes,
    /// `$`, spaces, `;`, globs): nobody can say what runs.
    Unpredictable,
}

/// Pure: what the agent's unquoted lookup makes of `user`.
pub fn agent_lookup(user: &str) -> AgentLookup {
    let body = user.strip_suffix('$').unwrap_or(user);
    let word = |c: char| c.is_ascii_alphanumeric() || "._-@".contains(c);
    if body.is_empty() || body.starts_with('-') {
        return AgentLookup::Unpredictable;
    }
    if body.chars().all(word) {
        return AgentLookup::AsWritten;
    }
    // An unquoted backslash quotes the next character and is removed; a
    // trailing one would join the next line.
    let mut asked = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) if word(next) => asked.push(next),
                _ => return AgentLookup::Unpredictable,
            },
            c if word(c) => asked.push(c),
            _ => return AgentLookup::Unpredictable,
        }
    }
    if asked.is_empty() || asked.starts_with('-') {
        return AgentLookup::Unpredictable;
    }
    if body.len() < user.len() {
        asked.push('$');
    }
    AgentLookup::Collapsed(asked)
}

#[cfg(test)]
#[path = "user_name_tests.rs"]
mod tests;
