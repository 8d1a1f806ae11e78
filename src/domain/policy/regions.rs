//! The AWS regions this build knows, and the checks on the `regions` key: a
//! malformed or repeated name is refused, a well-formed unknown one is
//! governed with a warning.

use crate::domain::trigger::is_region_name;

use super::validate::{shorten, Problem};

/// Every AWS region name runas-guard knows: the commercial partition, AWS
/// GovCloud (US), China, the European Sovereign Cloud and the isolated
/// partitions. A region AWS opens later needs a new entry here.
pub const KNOWN_REGIONS: &[&str] = &[
    // aws
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    // aws-us-gov
    "us-gov-east-1",
    "us-gov-west-1",
    // aws-cn
    "cn-north-1",
    "cn-northwest-1",
    // aws-eusc
    "eusc-de-east-1",
    // isolated partitions
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "eu-isoe-west-1",
];

/// A real AWS region name (see [`KNOWN_REGIONS`]).
pub fn is_known_region(s: &str) -> bool {
    KNOWN_REGIONS.contains(&s)
}

/// Every bad name is pushed to `out`, not only the first.
pub(super) fn check_regions(regions: &[String], out: &mut Vec<Problem>) {
    if regions.is_empty() {
        out.push(("regions".into(), "must name at least one region".into()));
    }
    for (i, r) in regions.iter().enumerate() {
        if !is_region_name(r) {
            out.push((
                format!("regions[{i}]"),
                format!("{} is not a region name", shorten(r)),
            ));
        } else if regions[..i].contains(r) {
            // A well-formed name this build does not know is a region AWS
            // opened since: accepted, with a warning (`Policy::warnings`).
            out.push((format!("regions[{i}]"), format!("{r} is listed twice")));
        }
    }
}

/// What a governed region name is to this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Known,
    /// Within two edits of this known region and not merely its next
    /// number: almost surely a slip of the fingers.
    Typo(&'static str),
    /// Well-formed and far from every known name, or a known area's next
    /// number (how AWS names a new region, `us-east-3`): new regions are fine.
    New,
}

/// Known, a typo of a known region, or a region this build has not heard of.
pub fn region_kind(region: &str) -> RegionKind {
    if is_known_region(region) {
        return RegionKind::Known;
    }
    if KNOWN_REGIONS.iter().any(|k| area(k) == area(region)) {
        return RegionKind::New;
    }
    match nearest_region(region) {
        Some(near) => RegionKind::Typo(near),
        None => RegionKind::New,
    }
}

/// `ap-southeast` of `ap-southeast-7`: what a new region's name shares
/// with its neighbours.
fn area(region: &str) -> &str {
    region.rsplit_once('-').map_or(region, |(area, _)| area)
}

/// The known region a malformed or mistyped name was probably meant to be.
pub fn nearest_region(region: &str) -> Option<&'static str> {
    super::suggest::closest(region, KNOWN_REGIONS.iter().copied(), 2)
}

/// One warning per governed region missing from [`KNOWN_REGIONS`], naming its key.
pub(super) fn unknown_region_warnings(regions: &[String]) -> Vec<String> {
    regions
        .iter()
        .enumerate()
        .filter(|(_, r)| !is_known_region(r))
        .map(|(i, r)| {
            let hint = match region_kind(r) {
                RegionKind::Typo(near) => format!(" (did you mean {near}?)"),
                _ => String::new(),
            };
            format!("`regions[{i}]`: {r} is not a region this build knows{hint}; governed as given (check the spelling, and that the region is enabled: runas-guard doctor)")
        })
        .collect()
}

/// A `--region` filter checked against the regions that are governed:
/// well-formed but governed nowhere (`us-east-11`, a region the policy
/// leaves out) matches nothing, so it is refused with the one line that
/// names it, the governed region it is closest to and every governed one
/// (`governed` is the policy's list, or what the state table records).
pub fn ungoverned_filter(asked: &[String], governed: &[String]) -> Result<(), String> {
    let Some(bad) = asked.iter().find(|r| !governed.contains(r)) else {
        return Ok(());
    };
    let near = super::suggest::closest(bad, governed.iter().map(String::as_str), 2)
        .map(|n| format!(" (did you mean {n}?)"))
        .unwrap_or_default();
    let listed = match governed {
        [] => "none yet".to_string(),
        all => all.join(", "),
    };
    Err(format!(
        "--region {} is not a governed region{near}: governed are {listed}",
        shorten(bad)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_told_from_new_regions() {
        for (name, want) in [
            ("eu-west-1", RegionKind::Known),
            ("eu-wset-1", RegionKind::Typo("eu-west-1")),
            ("us-esat-2", RegionKind::Typo("us-east-2")),
            ("me-centrl-1", RegionKind::Typo("me-central-1")),
            ("EU-WEST-1", RegionKind::Typo("eu-west-1")),
            ("us-east-3", RegionKind::New),
            ("ap-southeast-8", RegionKind::New),
            ("xx-mars-1", RegionKind::New),
            ("us-gov-east-2", RegionKind::New),
        ] {
            assert_eq!(region_kind(name), want, "{name}");
        }
        assert_eq!(nearest_region("me-central1"), Some("me-central-1"));
        assert_eq!(nearest_region("EU-WEST-1"), Some("eu-west-1"));
        assert_eq!(nearest_region(&"a".repeat(10_000)), None);
    }

    #[test]
    fn a_region_filter_outside_the_governed_regions_is_refused_by_name() {
        let governed = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
        let hostile = format!("us-{}-1", "a".repeat(500));
        // (asked, governed, what the refusal says; None: accepted)
        type Case<'a> = (Vec<&'a str>, &'a [String], Option<&'a [&'a str]>);
        let cases: Vec<Case> = vec![
            (vec![], &governed, None),
            (vec!["eu-west-1"], &governed, None),
            (vec!["us-east-1", "eu-west-1"], &governed, None),
            (
                vec!["us-east-11"],
                &governed,
                Some(&[
                    "\"us-east-11\"",
                    "did you mean us-east-1?",
                    "governed are us-east-1, eu-west-1",
                ]),
            ),
            (
                vec!["eu-west-1", "ap-south-1"],
                &governed,
                Some(&["\"ap-south-1\"", "governed are us-east-1, eu-west-1"]),
            ),
            (vec!["us-east-1"], &[], Some(&["governed are none yet"])),
            (vec![hostile.as_str()], &governed, Some(&["..."])),
        ];
        for (asked, governed, want) in cases {
            let asked: Vec<String> = asked.iter().map(|s| s.to_string()).collect();
            let got = ungoverned_filter(&asked, governed);
            match (want, got) {
                (None, Ok(())) => {}
                (Some(says), Err(line)) => {
                    assert!(says.iter().all(|s| line.contains(s)), "{asked:?}: {line}");
                    assert!(!line.contains('\n') && line.len() < 400, "{line}");
                    assert!(
                        !line.contains("did you mean")
                            || says.iter().any(|s| s.contains("did you")),
                        "{line}"
                    );
                }
                (want, got) => panic!("{asked:?}: want {want:?}, got {got:?}"),
            }
        }
    }
}
