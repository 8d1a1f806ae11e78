//! Whose on-failure records a redrive replays. Lambda's on-failure record
//! names the function that failed (`requestContext.functionArn`, qualified:
//! `...:function:NAME:$LATEST`). Only the function's own records are
//! replayed: a record naming any other function, or none, was not put there
//! by Lambda for this function, and its `requestPayload` is an event nobody
//! vouches for. The function knows its own ARN from each invocation (the
//! ARN Lambda says it was invoked through); a CLI run in its own process
//! knows the function only by what the operator names (`--function`, or the
//! hub stack's function), and by name alone.

/// The function whose on-failure records a run may replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Own {
    /// Its ARN (any qualifier): a record must name the same function, in the
    /// same partition, region and account.
    Arn(String),
    /// Its name only: a record must name a function of that name.
    Name(String),
    /// Not known: no on-failure record is replayed.
    Unknown,
}

/// `arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME` of a function ARN
/// with or without a qualifier; `None` for anything else.
pub fn unqualified(arn: &str) -> Option<String> {
    let parts: Vec<&str> = arn.split(':').collect();
    let shaped = (7..=8).contains(&parts.len())
        && parts[0] == "arn"
        && parts[2] == "lambda"
        && parts[5] == "function"
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 140)
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit());
    shaped.then(|| parts[..7].join(":"))
}

impl Own {
    /// What the operator named in the CLI: an ARN is taken as one (its
    /// alias or version dropped), anything else as a name; nothing named is
    /// `Unknown`.
    pub fn named(function: Option<&str>) -> Own {
        match function.map(str::trim).filter(|f| !f.is_empty()) {
            None => Own::Unknown,
            Some(f) => match unqualified(f) {
                Some(arn) => Own::Arn(arn),
                None => Own::Name(f.to_string()),
            },
        }
    }

    /// Why a record naming `function_arn` (its `requestContext.functionArn`)
    /// is not replayed; `None`: it is this function's own.
    pub fn refuses(&self, function_arn: Option<&str>) -> Option<String> {
        const WHY: &str = "not replayed: only the function's own on-failure records are";
        let Some(named) = function_arn else {
            return Some(format!(
                "Lambda's on-failure record without `requestContext.functionArn`: {WHY}"
            ));
        };
        let shown: String = named.chars().take(160).collect();
        let Some(theirs) = unqualified(named) else {
            return Some(format!(
                "on-failure record whose `requestContext.functionArn` {shown:?} is not a function ARN: {WHY}"
            ));
        };
        let same = match self {
            Own::Arn(own) => unqualified(own).is_some_and(|own| own == theirs),
            Own::Name(own) => theirs.rsplit(':').next() == Some(own.as_str()),
            Own::Unknown => {
                return Some(format!(
                    "on-failure record of {shown}: this run does not know which function is its own, so it replays no on-failure record; name it with --function NAME|ARN or --stack"
                ))
            }
        };
        match same {
            true => None,
            false => Some(format!(
                "on-failure record of another function ({shown}, this is {}): {WHY}",
                self.said()
            )),
        }
    }

    /// Why `replay` is not replayed for its origin: an on-failure record
    /// that is not this function's own. Every other shape passes.
    pub fn refuses_replay(&self, replay: &super::Replay) -> Option<String> {
        match replay.shape {
            super::Shape::OnFailure => self.refuses(replay.from_function.as_deref()),
            _ => None,
        }
    }

    fn said(&self) -> &str {
        match self {
            Own::Arn(a) | Own::Name(a) => a,
            Own::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINE: &str = "arn:aws:lambda:us-east-1:123456789012:function:runas-guard";

    #[test]
    fn only_the_functions_own_records_are_replayed() {
        let own = Own::Arn(format!("{MINE}:operator"));
        // (the record's functionArn, replayed)
        let rows = [
            (Some(format!("{MINE}:$LATEST")), true),
            (Some(MINE.to_string()), true),
            (Some(format!("{MINE}:7")), true),
            (
                Some("arn:aws:lambda:us-east-1:123456789012:function:other:$LATEST".into()),
                false,
            ),
            (
                Some("arn:aws:lambda:us-east-1:999999999999:function:runas-guard:$LATEST".into()),
                false,
            ),
            (
                Some("arn:aws:lambda:eu-west-1:123456789012:function:runas-guard:$LATEST".into()),
                false,
            ),
            (
                Some("arn:aws-cn:lambda:us-east-1:123456789012:function:runas-guard".into()),
                false,
            ),
            (Some("runas-guard".into()), false),
            (Some(format!("{MINE}:$LATEST:x")), false),
            (Some(String::new()), false),
            (None, false),
        ];
        for (arn, replayed) in rows {
            let refused = own.refuses(arn.as_deref());
            assert_eq!(refused.is_none(), replayed, "{arn:?}: {refused:?}");
            if let Some(why) = refused {
                assert!(why.contains("not replayed"), "{why}");
            }
        }
    }

    #[test]
    fn a_name_matches_by_name_and_nothing_known_refuses_every_record() {
        let record = format!("{MINE}:$LATEST");
        assert_eq!(Own::named(Some("runas-guard")).refuses(Some(&record)), None);
        assert!(Own::named(Some("other")).refuses(Some(&record)).is_some());
        assert_eq!(
            Own::named(Some(&format!("{MINE}:operator"))),
            Own::Arn(MINE.into())
        );
        for none in [None, Some(""), Some("  ")] {
            let own = Own::named(none);
            assert_eq!(own, Own::Unknown);
            let why = own.refuses(Some(&record)).unwrap();
            assert!(why.contains("--function"), "{why}");
        }
    }
}
