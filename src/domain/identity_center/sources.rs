//! What a declared mapping may hold (the sso-admin API model's limits, so a
//! bad key is refused at load, not by an enforce write at 3 a.m.), and
//! which `SSMSessionRunAs` sources can work: Session Manager needs exactly
//! one value per user, and a user with two values (a group-derived source,
//! a multi-valued attribute) cannot sign in at all.

/// The key Session Manager reads (IAM compares tag keys without case).
pub const RUN_AS_KEY: &str = crate::domain::trigger::RUN_AS_TAG;
/// `AccessControlAttributeList` max.
pub const MAX_ATTRIBUTES: usize = 50;

/// Single-valued user attributes Identity Center documents for access
/// control ("Attribute mappings between IAM Identity Center and External
/// Identity Providers directory").
const SINGLE_VALUED: [&str; 24] = [
    "userName",
    "name.familyName",
    "name.givenName",
    "name.formatted",
    "name.middleName",
    "displayName",
    "nickName",
    "emails[primary eq true].value",
    "addresses[type eq \"work\"].streetAddress",
    "addresses[type eq \"work\"].locality",
    "addresses[type eq \"work\"].region",
    "addresses[type eq \"work\"].postalCode",
    "addresses[type eq \"work\"].country",
    "addresses[type eq \"work\"].formatted",
    "phoneNumbers[type eq \"work\"].value",
    "userType",
    "title",
    "locale",
    "timezone",
    "enterprise.employeeNumber",
    "enterprise.costCenter",
    "enterprise.organization",
    "enterprise.division",
    "enterprise.department",
];
/// SCIM's multi-valued user attributes: one value per user only through a filter.
const MULTI_VALUED: [&str; 5] = [
    "emails",
    "addresses",
    "phoneNumbers",
    "roles",
    "entitlements",
];

fn key_char(c: char) -> bool {
    // \p{L} \p{Z} \p{N} and _.:/=+-@ (AccessControlAttributeKey's pattern).
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

/// `AccessControlAttributeKey`: 1-128 characters of its pattern.
pub fn check_key(key: &str) -> Result<(), String> {
    let n = key.chars().count();
    if !(1..=128).contains(&n) {
        return Err(format!("a key has 1-128 characters; this one has {n}"));
    }
    match key.chars().find(|c| !key_char(*c)) {
        Some(c) => Err(format!(
            "{c:?} is not allowed in a key (letters, digits, spaces and _ . : / = + - @)"
        )),
        None => Ok(()),
    }
}

/// `AccessControlAttributeValueSource`: 0-256 characters of its pattern.
pub fn check_source(source: &str) -> Result<(), String> {
    let n = source.chars().count();
    if n > 256 {
        return Err(format!(
            "a source has at most 256 characters; this one has {n}"
        ));
    }
    match source
        .chars()
        .find(|c| !key_char(*c) && !"[]{}$\\\"".contains(*c))
    {
        Some(c) => Err(format!("{c:?} is not allowed in a source")),
        None => Ok(()),
    }
}

/// The API model's `InstanceArn`: `arn:aws[-x]:sso:::instance/[sso]ins-` and 16 of `[a-zA-Z0-9-.]`.
pub fn check_instance_arn(arn: &str) -> Result<(), String> {
    let bad = || {
        format!("{:?} is not an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-<16 characters>)", arn.chars().take(80).collect::<String>())
    };
    let rest = arn.strip_prefix("arn:").ok_or_else(bad)?;
    let (partition, rest) = rest.split_once(":sso:::instance/").ok_or_else(bad)?;
    let partition_ok = partition.strip_prefix("aws").is_some_and(|p| {
        p.split('-').skip(1).count() <= 3
            && p.split('-')
                .skip(1)
                .all(|x| (1..=5).contains(&x.len()) && x.bytes().all(|b| b.is_ascii_lowercase()))
            && (p.is_empty() || p.starts_with('-'))
    });
    let id = rest.strip_prefix("sso").unwrap_or(rest);
    let id_ok = id.strip_prefix("ins-").is_some_and(|s| {
        s.len() == 16
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    if partition_ok && id_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// Why an `SSMSessionRunAs` source cannot give every user exactly one OS
/// user of their own; `None` when it is a documented single-valued user
/// attribute.
pub fn run_as_source_warning(source: &str) -> Option<String> {
    if source.is_empty() {
        return Some("an empty source: Identity Center passes no value of its own, so the identity provider's SAML attribute AccessControl:SSMSessionRunAs decides; if the provider derives it from groups, a user in two of them gets two values and cannot sign in".into());
    }
    let Some(path) = source
        .strip_prefix("${path:")
        .and_then(|p| p.strip_suffix('}'))
    else {
        return Some(format!("{source:?} is not one user attribute (`${{path:...}}`): every federated user would run as the same value, or none"));
    };
    if path.contains("${") || path.contains('}') {
        return Some(format!(
            "{source:?} combines several attributes; Session Manager needs one user name"
        ));
    }
    if path.to_ascii_lowercase().contains("group") {
        return Some(format!("{source:?} is derived from groups: a user in two qualifying groups has two values and Identity Center rejects the sign-in; use a per-user attribute"));
    }
    if MULTI_VALUED
        .iter()
        .any(|m| path == *m || path.starts_with(&format!("{m}.")))
    {
        return Some(format!("{source:?} is multi-valued: filter it to one value (e.g. emails[primary eq true].value) or use a single-valued attribute"));
    }
    if SINGLE_VALUED.contains(&path) {
        return None;
    }
    Some(format!("{source:?} is not among the single-valued user attributes Identity Center documents for access control; make sure every user has exactly one value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_as_sources_are_judged_by_whether_each_user_gets_exactly_one_value() {
        let cases: &[(&str, Option<&str>)] = &[
            ("${path:userName}", None),
            ("${path:enterprise.employeeNumber}", None),
            ("${path:emails[primary eq true].value}", None),
            ("${path:addresses[type eq \"work\"].locality}", None),
            ("", Some("empty source")),
            ("ec2-user", Some("not one user attribute")),
            ("${path:userName", Some("not one user attribute")),
            ("x${path:userName}", Some("not one user attribute")),
            ("${path:groups}", Some("derived from groups")),
            ("${path:groups[0].displayName}", Some("derived from groups")),
            ("${path:enterprise.groupName}", Some("derived from groups")),
            ("${path:emails}", Some("multi-valued")),
            ("${path:emails.value}", Some("multi-valued")),
            ("${path:phoneNumbers.value}", Some("multi-valued")),
            ("${path:userName}${path:title}", Some("combines several")),
            (
                "${path:enterprise.runAsUser}",
                Some("not among the single-valued"),
            ),
            ("${path:}", Some("not among")),
        ];
        for (source, want) in cases {
            let got = run_as_source_warning(source);
            match want {
                None => assert_eq!(got, None, "{source:?}"),
                Some(part) => assert!(
                    got.as_deref().is_some_and(|g| g.contains(part)),
                    "{source:?}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn keys_and_sources_follow_the_api_model() {
        for ok in [
            "SSMSessionRunAs",
            "Cost Center",
            "a:b/c=d+e-f@g_h.i",
            "Größe",
            &"k".repeat(128),
        ] {
            assert_eq!(check_key(ok), Ok(()), "{ok:?}");
        }
        for bad in [
            "",
            "a\tb",
            "a\nb",
            "a;b",
            "a*b",
            "a$b",
            "{x}",
            &"k".repeat(129),
        ] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        for ok in [
            "",
            "${path:userName}",
            "${path:addresses[type eq \"work\"].region}",
            "back\\slash",
            &"s".repeat(256),
        ] {
            assert_eq!(check_source(ok), Ok(()), "{ok:?}");
        }
        for bad in ["a;b", "a\u{0}b", "a\nb", "a`b", "<x>", &"s".repeat(257)] {
            assert!(check_source(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn instance_arns_follow_the_api_model() {
        for ok in [
            "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            "arn:aws:sso:::instance/ins-1234567890abcdef",
            "arn:aws-us-gov:sso:::instance/ssoins-1234567890ab.-ef",
            "arn:aws-iso-b:sso:::instance/ssoins-1234567890abcdef",
        ] {
            assert_eq!(check_instance_arn(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "ssoins-1234567890abcdef",
            "arn:aws:sso:::instance/ssoins-123",
            "arn:aws:sso:::instance/ssoins-1234567890abcdefg",
            "arn:aws:sso::123456789012:instance/ssoins-1234567890abcdef",
            "arn:gcp:sso:::instance/ssoins-1234567890abcdef",
            "arn:aws-UPPER:sso:::instance/ssoins-1234567890abcdef",
            "arn:aws:sso:::instance/ssoins-1234567890abcde\u{e9}",
            "arn:aws:sso:::instance/ssoins-1234567890abcd/f",
        ] {
            assert!(check_instance_arn(bad).is_err(), "{bad:?}");
        }
    }
}
