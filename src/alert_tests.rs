//! Alert decisions and messages, table-driven.

use super::*;

#[test]
fn subjects_are_sns_safe() {
    let s = clean_subject(&format!("a\nb\u{e9}{}", "x".repeat(200)));
    assert!(s.len() < 100 && !s.contains('\n') && s.is_ascii());
}

#[test]
fn actors_shorten() {
    assert_eq!(
        short_actor("arn:aws:iam::111122223333:role/Admin"),
        "role/Admin"
    );
    assert_eq!(
        short_actor(
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin"
        ),
        "role/AWSReservedSSO_Admin"
    );
    assert_eq!(
        short_actor("arn:aws:iam::111122223333:user/bob"),
        "user/bob"
    );
    assert_eq!(short_actor("arn:aws:iam::111122223333:root"), "root");
    assert_eq!(short_actor("ssm.amazonaws.com"), "ssm.amazonaws.com");
}
