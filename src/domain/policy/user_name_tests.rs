use proptest::prelude::*;

use super::*;

const LINUX: UserRules = UserRules {
    allow_root: false,
    directory_users: false,
};
const DIRECTORY: UserRules = UserRules {
    allow_root: false,
    directory_users: true,
};

/// Names the check document's script and pattern must refuse too
/// (infra/tests/test_check_document.py has the same list): shell text,
/// control characters, quotes, `$`, backticks, `;`, `/`, a leading `-`.
const HOSTILE: &[&str] = &[
    "",
    "$(id)",
    "`id`",
    "a;b",
    "root; rm -rf /",
    "a b",
    "\tuser",
    "user\t",
    "a\nb",
    "ops\n",
    "a\u{7f}b",
    "a\u{0}b",
    "a'b",
    "a\"b",
    "a/b",
    "../etc",
    "-rf",
    "--help",
    "-alice@corp",
    "alice@-corp",
    "CORP\\-alice",
    "alice$@corp",
    "Alice$",
    "CORP\\alice$",
    "a$b",
    "$",
    "*",
    "a*",
    "?",
    "{{User}}",
    "${SSM_User}",
    "alice@corp@example",
    "CORP\\alice@corp",
    "CORP\\\\alice",
    "\\alice",
    "alice\\",
    "@corp",
    "alice@",
    ".alice",
    "alice@.corp",
    "1234",
    "1abc",
    "ålice",
    "alice@corp.example.com\u{202e}",
    "alice:x",
    "alice,bob",
    "a|b",
    "a&b",
    "a>b",
    "a(b)",
    "a#b",
    "a=b",
    "a%b",
    "a+b",
    "a~b",
    "a!b",
];

#[test]
fn linux_names_are_always_accepted() {
    let long = "a".repeat(32);
    let long_dollar = format!("{}$", "a".repeat(31));
    for name in [
        "a",
        "_x",
        "ssm-ops",
        "ec2-user",
        "svc$",
        "u1",
        "_",
        "a$",
        &long,
        &long_dollar,
    ] {
        for rules in [LINUX, DIRECTORY] {
            assert_eq!(check_user(name, rules), Ok(()), "{name:?} {rules:?}");
        }
    }
}

#[test]
fn directory_names_need_the_switch_and_say_which_one() {
    let part = "a".repeat(DIRECTORY_PART_MAX);
    let longest = format!("{part}@{part}");
    let longest_netbios = format!("{part}\\{part}");
    for name in [
        "alice@corp.example.com",
        "Alice.Smith@Corp.Example.COM",
        "CORP\\alice",
        "corp.example.com\\alice",
        "Alice.Smith",
        "alice_smith-2@corp-1.example.com",
        "1234@corp.example.com",
        "CORP\\1234",
        "a.b",
        &"a".repeat(33),
        &longest,
        &longest_netbios,
    ] {
        assert_eq!(check_user(name, DIRECTORY), Ok(()), "{name:?}");
        let refused = check_user(name, LINUX).expect_err(name);
        assert!(
            refused.contains("it is a directory name: set directory_users = true"),
            "{name:?}: {refused}"
        );
    }
}

#[test]
fn hostile_names_are_refused_with_or_without_the_switch() {
    for name in HOSTILE {
        for rules in [LINUX, DIRECTORY] {
            let refused = check_user(name, rules);
            assert!(refused.is_err(), "{name:?} {rules:?}");
            let message = refused.unwrap_err();
            // One line, whatever the name holds.
            assert!(!message.contains('\n'), "{message}");
            assert!(!message.contains('\t'), "{message}");
        }
    }
}

#[test]
fn each_part_is_bounded() {
    let part = "a".repeat(DIRECTORY_PART_MAX + 1);
    for name in [
        part.clone(),
        format!("{part}@corp"),
        format!("alice@{part}"),
        format!("CORP\\{part}"),
        format!("{part}\\alice"),
    ] {
        assert!(check_user(&name, DIRECTORY).is_err(), "{}", name.len());
    }
}

#[test]
fn root_in_any_spelling_needs_allow_root() {
    for name in ["root", "root@corp.example.com", "CORP\\root", "CORP\\RoOt"] {
        let refused = check_user(name, DIRECTORY).expect_err(name);
        assert!(refused.ends_with("needs allow_root = true"), "{refused}");
        let allowed = UserRules {
            allow_root: true,
            directory_users: true,
        };
        assert_eq!(check_user(name, allowed), Ok(()), "{name:?}");
    }
    for name in ["rooty", "CORP\\rootless", "groot@corp", "root.admin@corp"] {
        assert_eq!(check_user(name, DIRECTORY), Ok(()), "{name:?}");
    }
}

#[test]
fn the_name_the_agent_will_ask_for_is_judged_too() {
    // DOMAIN\NAME is asked without its backslash: these read as names here
    // and as root, uid 0 and uid 1000 on the node.
    let allowed_root = UserRules {
        allow_root: true,
        directory_users: true,
    };
    for (name, asked, needs) in [
        ("r\\oot", "root", "needs allow_root = true"),
        ("R\\OOT", "ROOT", "needs allow_root = true"),
        ("0\\0", "00", "looks up as a uid"),
        ("1\\000", "1000", "looks up as a uid"),
    ] {
        let refused = check_user(name, DIRECTORY).expect_err(name);
        assert!(
            refused.contains(&format!("asked of the node as {asked:?}"))
                && refused.ends_with(needs),
            "{name:?}: {refused}"
        );
    }
    // allow_root admits the root spelling, never a uid.
    assert_eq!(check_user("r\\oot", allowed_root), Ok(()));
    assert!(check_user("1\\000", allowed_root).is_err());
    // Ordinary directory names are asked as something else and stay.
    for name in [
        "CORP\\alice",
        "1corp\\svc",
        "corp\\0day",
        "x\\1a",
        "1234@corp",
    ] {
        assert_eq!(check_user(name, DIRECTORY), Ok(()), "{name:?}");
    }
    // A digit first on both sides could be a uid, whatever follows: the
    // check document's pattern says the same without telling all digits.
    for name in ["1corp\\0day", "9\\9a"] {
        let refused = check_user(name, allowed_root).expect_err(name);
        assert!(refused.contains("can be a uid"), "{name:?}: {refused}");
    }
}

#[test]
fn the_agents_unquoted_lookup() {
    for (name, asked) in [
        ("alice", AgentLookup::AsWritten),
        ("svc$", AgentLookup::AsWritten),
        ("alice@corp.example.com", AgentLookup::AsWritten),
        ("Alice.Smith", AgentLookup::AsWritten),
        ("CORP\\alice", AgentLookup::Collapsed("CORPalice".into())),
        ("a\\b\\c", AgentLookup::Collapsed("abc".into())),
        ("alice\\", AgentLookup::Unpredictable),
        ("\\-rf", AgentLookup::Unpredictable),
        ("$(id)", AgentLookup::Unpredictable),
        ("a b", AgentLookup::Unpredictable),
        ("a\\ b", AgentLookup::Unpredictable),
        ("-a", AgentLookup::Unpredictable),
        ("", AgentLookup::Unpredictable),
        ("a;b", AgentLookup::Unpredictable),
        ("a'b", AgentLookup::Unpredictable),
    ] {
        assert_eq!(agent_lookup(name), asked, "{name:?}");
    }
}

proptest! {
    /// Whatever the policy accepts, the agent's shell reads as one plain
    /// word: as written, or with the backslash of `DOMAIN\NAME` dropped.
    #[test]
    fn every_accepted_name_is_a_word_to_the_agents_shell(name in "[A-Za-z0-9._@\\\\$;' -]{0,12}") {
        let rules = UserRules { allow_root: true, directory_users: true };
        if check_user(&name, rules).is_ok() {
            match agent_lookup(&name) {
                AgentLookup::AsWritten => prop_assert!(!name.contains('\\')),
                AgentLookup::Collapsed(asked) => {
                    prop_assert_eq!(asked, name.replace('\\', ""));
                }
                AgentLookup::Unpredictable => prop_assert!(false, "{:?}", name),
            }
        }
    }

    /// The switch only widens: a name accepted without it is accepted with it.
    #[test]
    fn the_switch_only_widens(name in "[A-Za-z0-9._@\\\\$-]{0,40}") {
        if check_user(&name, LINUX).is_ok() {
            prop_assert!(check_user(&name, DIRECTORY).is_ok());
        }
    }
}

/// Linux user names are case-sensitive and the node's local users are
/// matched as written: a bare name with capitals that a Linux name spells
/// in lowercase is a slip, refused with the name it meant, whatever the
/// switches (a directory answers the lowercase name too). With a domain,
/// or where no Linux name is spelled, capitals are a directory's.
#[test]
fn a_case_slip_is_refused_with_the_name_it_meant_whatever_the_switches() {
    let everything = UserRules {
        allow_root: true,
        directory_users: true,
    };
    for (name, meant) in [
        ("Ec2-User", "ec2-user"),
        ("EC2-USER", "ec2-user"),
        ("ec2-User", "ec2-user"),
        ("SSM-Ops", "ssm-ops"),
        ("Ubuntu", "ubuntu"),
        ("Alice", "alice"),
        ("ALICE", "alice"),
        ("Svc$", "svc$"),
        ("_X", "_x"),
        ("Root", "root"),
        ("ROOT", "root"),
    ] {
        for rules in [LINUX, DIRECTORY, everything] {
            let refused = check_user(name, rules).expect_err(name);
            assert!(
                refused.contains(&format!("(did you mean `{meant}`?)"))
                    && refused.contains("case-sensitive"),
                "{name:?} {rules:?}: {refused}"
            );
            assert_eq!(
                refused.contains("written with its domain"),
                rules.directory_users,
                "{name:?} {rules:?}: {refused}"
            );
        }
        assert_eq!(case_slip(name).as_deref(), Some(meant));
    }
    // Capitals that are a directory's: with a domain, or no Linux name.
    let long = format!("A{}", "a".repeat(32));
    for name in [
        "Alice.Smith",
        "Alice@corp.example.com",
        "CORP\\Alice",
        "corp\\EC2-USER",
        "Ec2.User",
        long.as_str(),
    ] {
        assert_eq!(case_slip(name), None, "{name:?}");
        assert_eq!(check_user(name, DIRECTORY), Ok(()), "{name:?}");
    }
    // Lowercase names are never a slip.
    for name in ["ec2-user", "alice", "ssm-ops", "svc$"] {
        assert_eq!(case_slip(name), None, "{name:?}");
    }
    // A capital beyond ASCII is no slip of a Linux name either.
    for name in ["ÅLICE", "Ec2-Usér", "EC2-USER\u{202e}"] {
        assert_eq!(case_slip(name), None, "{name:?}");
    }
}
