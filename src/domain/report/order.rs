//! One row order for every listing of account-regions (`reconcile`,
//! `sweep`, `status`): by account id, then region, then document, the
//! session preferences document first. A table read twice, or two
//! commands' tables read side by side, line up whatever order the
//! accounts' tasks finished in or DynamoDB returned the items.

use crate::domain::trigger::DOCUMENT_NAME;

/// Where a row is: account, region, and the document (`None` or
/// `SSM-SessionManagerRunShell` for the session preferences document).
pub type Place<'a> = (&'a str, &'a str, Option<&'a str>);

/// The sort key of a place: the default document sorts before every named one.
fn key<'a>((account, region, document): Place<'a>) -> (&'a str, &'a str, bool, &'a str) {
    let document = document.filter(|d| *d != DOCUMENT_NAME);
    (account, region, document.is_some(), document.unwrap_or(""))
}

/// Sorts `rows` into the one order; stable, so rows of the same place keep theirs.
pub fn sort_by_place<T>(rows: &mut [T], place: impl for<'a> Fn(&'a T) -> Place<'a>) {
    rows.sort_by(|a, b| key(place(a)).cmp(&key(place(b))));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_then_region_then_the_default_document_first() {
        // (given order, expected order) as (account, region, document).
        let cases: &[(&[Place], &[Place])] = &[
            (
                &[("222", "us-east-1", None), ("111", "us-east-1", None)],
                &[("111", "us-east-1", None), ("222", "us-east-1", None)],
            ),
            (
                &[("111", "us-east-1", None), ("111", "eu-west-1", None)],
                &[("111", "eu-west-1", None), ("111", "us-east-1", None)],
            ),
            (
                &[
                    ("111", "eu-west-1", Some("SSMRunAs-Admin")),
                    ("111", "eu-west-1", Some(DOCUMENT_NAME)),
                    ("111", "eu-west-1", Some("RunAsGuard-CheckRunAsUser")),
                ],
                &[
                    ("111", "eu-west-1", Some(DOCUMENT_NAME)),
                    ("111", "eu-west-1", Some("RunAsGuard-CheckRunAsUser")),
                    ("111", "eu-west-1", Some("SSMRunAs-Admin")),
                ],
            ),
            (
                &[
                    ("111", "eu-west-1", Some("SSMRunAs-Admin")),
                    ("111", "eu-west-1", None),
                ],
                &[
                    ("111", "eu-west-1", None),
                    ("111", "eu-west-1", Some("SSMRunAs-Admin")),
                ],
            ),
            (&[], &[]),
        ];
        for (given, want) in cases {
            let mut rows = given.to_vec();
            sort_by_place(&mut rows, |p| *p);
            assert_eq!(&rows, want, "from {given:?}");
        }
    }
}
