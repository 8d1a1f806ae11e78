//! The member StackSet's targets against the policy's `[scope]` (a staged
//! rollout): a scoped OU or account it does not reach stays `pending`, then
//! fails; targets reaching only accounts outside the scope are harmless but
//! broad. Pure: the reads are in `stack.rs`.

use std::collections::{BTreeMap, BTreeSet};

use super::Verdict;
use crate::domain::ids::is_account_id;
use crate::domain::policy::Scope;

/// Ids a detail, and a command, names before "and N more".
const NAMED: usize = 10;
const IN_COMMAND: usize = 50;
pub const ITEM: &str = "stackset scope";
const AGAIN: &str = ": run doctor again after";

/// One stack instance, as ListStackInstances says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub account: String,
    pub region: String,
    /// SERVICE_MANAGED: the OU (or root) target that reached the account.
    pub ou: Option<String>,
}

/// What DescribeStackSet says of the StackSet's targets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    pub service_managed: bool,
    /// SERVICE_MANAGED: its OU (or root) targets, also those with no account yet.
    pub ous: Vec<String>,
    /// SERVICE_MANAGED: `AutoDeployment.Enabled`; `None` when not said.
    pub auto_deployment: Option<bool>,
}

/// The organization: every OU (root included) and account, with the ids
/// above it (root first), and names.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    above: BTreeMap<String, Vec<String>>,
    names: BTreeMap<String, String>,
    /// SERVICE_MANAGED StackSets never deploy there (plain stacks do).
    pub management: Option<String>,
}

impl Tree {
    /// `above`: the `(id, name)`s above `id`, root first (none for the root).
    pub fn add(&mut self, id: &str, name: &str, above: &[(String, String)]) {
        for (a, n) in above {
            self.names.entry(a.clone()).or_insert_with(|| n.clone());
        }
        self.names.insert(id.to_string(), name.to_string());
        let ids = above.iter().map(|(a, _)| a.clone()).collect();
        self.above.insert(id.to_string(), ids);
    }

    pub fn has(&self, id: &str) -> bool {
        self.above.contains_key(id)
    }

    /// `id` is `ou` or below it.
    fn within(&self, id: &str, ou: &str) -> bool {
        let above = self.above.get(id).map(Vec::as_slice).unwrap_or_default();
        id == ou || above.iter().any(|a| a == ou)
    }

    /// The accounts at or below `ou` but the management account.
    fn accounts_within(&self, ou: &str) -> Vec<&str> {
        (self.above.keys())
            .filter(|id| is_account_id(id) && self.within(id, ou))
            .filter(|id| self.management.as_ref() != Some(*id))
            .map(String::as_str)
            .collect()
    }

    /// `ou` and every OU below it; the root alone (LZA's `Root` is all).
    fn ous_within<'s>(&'s self, ou: &'s str) -> Vec<&'s str> {
        let below = (self.above.keys().map(String::as_str))
            .filter(|id| !is_account_id(id) && *id != ou && self.within(id, ou));
        let below = below.filter(|_| !ou.starts_with("r-"));
        std::iter::once(ou).chain(below).collect()
    }

    /// As LZA's organization-config.yaml names an OU: `Root`, `Workloads/Prod`.
    fn lza_name(&self, ou: &str) -> String {
        if ou.starts_with("r-") {
            return "Root".into();
        }
        let above = self.above.get(ou).map(Vec::as_slice).unwrap_or_default();
        let path = above.iter().filter(|a| !a.starts_with("r-") && *a != ou);
        (path.chain([&ou.to_string()]))
            .map(|a| self.names.get(a).unwrap_or(a).clone())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// `ou-x (Workloads/Prod)`, `111122223333 (pilot)`, or the id alone.
    pub fn label(&self, id: &str) -> String {
        match (is_account_id(id), self.names.get(id)) {
            (false, _) if self.has(id) => format!("{id} ({})", self.lza_name(id)),
            (true, Some(n)) if !n.is_empty() => format!("{id} ({n})"),
            _ => id.to_string(),
        }
    }
}

/// What the check reads, as plain data.
pub struct Case<'a> {
    pub name: &'a str,
    pub scope: &'a Scope,
    pub tree: &'a Tree,
    pub targets: &'a Targets,
    pub instances: &'a [Instance],
    /// The regions a new target needs: the governed ones, us-east-1 and
    /// those the StackSet already deploys to.
    pub regions: &'a [String],
}

impl Case<'_> {
    /// Its OU targets: DescribeStackSet's and the instances'.
    pub fn target_ous(&self) -> BTreeSet<&str> {
        let from_instances = self.instances.iter().filter_map(|i| i.ou.as_deref());
        (self.targets.ous.iter().map(String::as_str))
            .chain(from_instances)
            .filter(|o| !o.is_empty())
            .collect()
    }

    /// A scoped account, or at or below a scoped OU.
    pub fn in_scope(&self, id: &str) -> bool {
        self.scope.accounts.iter().any(|a| a == id)
            || self.scope.ous.iter().any(|s| self.tree.within(id, s))
    }

    /// An OU target reaches a scoped account: it is in the scope, or a
    /// scoped OU or account is below it.
    pub fn reaches_scope(&self, target: &str) -> bool {
        let scoped = self.scope.ous.iter().chain(&self.scope.accounts);
        let tree = self.tree;
        tree.has(target)
            && (self.in_scope(target) || scoped.clone().any(|s| tree.within(s, target)))
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub item: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    pub fix: Option<String>,
}

/// How the StackSet reaches one scoped OU or account.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// Through an OU target at or above it; `missing`: accounts without one.
    Target { via: String, missing: Vec<String> },
    /// A scoped account with an instance.
    Instance,
    /// All its `n` accounts have instances; no target at or above it.
    Accounts(usize),
    /// Accounts without an instance, of how many (none of none: an empty
    /// OU no SERVICE_MANAGED target names).
    Missing(Vec<String>, usize),
    /// SELF_MANAGED, no account in it: whether it is targeted cannot be read.
    Unreadable,
    /// The management account, or not in the organization (`policy ids`).
    Elsewhere,
}

struct Seen<'a> {
    case: &'a Case<'a>,
    target_ous: BTreeSet<&'a str>,
    reached: BTreeSet<&'a str>,
}

impl Seen<'_> {
    fn reach(&self, id: &str) -> Reach {
        let tree = self.case.tree;
        if !tree.has(id) || tree.management.as_deref() == Some(id) {
            return Reach::Elsewhere;
        }
        let account = is_account_id(id);
        let accounts = if account {
            vec![id]
        } else {
            tree.accounts_within(id)
        };
        let total = accounts.len();
        let missing: Vec<String> = (accounts.into_iter())
            .filter(|a| !self.reached.contains(a))
            .map(str::to_string)
            .collect();
        match self.target_ous.iter().find(|o| tree.within(id, o)) {
            _ if account && missing.is_empty() => Reach::Instance,
            Some(via) => Reach::Target {
                via: via.to_string(),
                missing,
            },
            None if !missing.is_empty() => Reach::Missing(missing, total),
            None if total > 0 => Reach::Accounts(total),
            None if self.case.targets.service_managed => Reach::Missing(vec![], 0),
            None => Reach::Unreadable,
        }
    }
}

/// The scoped OUs and accounts: those not reached (✗), reached in part or
/// not told (!), else all reached (✓).
pub fn judge(case: &Case) -> Vec<Finding> {
    let seen = Seen {
        case,
        target_ous: case.target_ous(),
        reached: case.instances.iter().map(|i| i.account.as_str()).collect(),
    };
    let (mut passed, mut warned, mut failed) = (vec![], vec![], vec![]);
    let (mut fail, mut warn) = (Targeting::default(), Targeting::default());
    for id in case.scope.ous.iter().chain(&case.scope.accounts) {
        let reach = seen.reach(id);
        match say(&seen, id, &reach) {
            Some((Verdict::Fail, said)) => {
                failed.push(said);
                fail.add(case, id, &reach);
            }
            Some((Verdict::Warn, said)) => {
                warned.push(said);
                warn.add(case, id, &reach);
            }
            Some((_, said)) => passed.push(said),
            None => {}
        }
    }
    let mut out = Vec::new();
    let mut line = |verdict, detail: String, fix: Option<String>| {
        let detail = format!("{}{}", detail, management_note(&seen));
        out.push(Finding {
            item: ITEM,
            verdict,
            detail,
            fix,
        });
    };
    if !failed.is_empty() {
        let detail = format!("{} does not reach scoped {}: accounts there are pending, then failed once the pending window ends", case.name, named(&failed));
        line(Verdict::Fail, detail, Some(fail.fix(case)));
    }
    if !warned.is_empty() {
        let detail = format!("{}: {}", case.name, warned.join("; "));
        line(Verdict::Warn, detail, Some(warn.fix(case)));
    }
    if failed.is_empty() && warned.is_empty() {
        line(Verdict::Pass, reached(case, &passed), None);
    }
    out
}

/// One scoped OU or account: its verdict and what is said of it; `None`
/// when it is not the StackSet's to reach.
fn say(seen: &Seen, id: &str, reach: &Reach) -> Option<(Verdict, String)> {
    let service_managed = seen.case.targets.service_managed;
    let (verdict, text) = match reach {
        Reach::Target { via, missing } if missing.is_empty() => (Verdict::Pass, if via == id { "a target".into() } else { format!("through {via}") }),
        Reach::Target { via, missing } => (Verdict::Warn, format!("targeted through {via}, yet {} without an instance", named(missing))),
        Reach::Instance => (Verdict::Pass, "its instance".into()),
        Reach::Accounts(n) if service_managed => (Verdict::Warn, format!("its {n} account(s) have instances, but no target is at or above it: an account vended into it or moved into it gets none")),
        Reach::Accounts(n) => (Verdict::Pass, format!("its {n} account(s) have instances")),
        Reach::Missing(_, 0) => (Verdict::Fail, "no account yet, and not a target".into()),
        Reach::Missing(_, _) if is_account_id(id) => (Verdict::Fail, "no instance".into()),
        Reach::Missing(m, n) => (Verdict::Fail, format!("{} of {n} account(s) without an instance", m.len())),
        Reach::Unreadable => (Verdict::Warn, "no account in it yet: a self-managed StackSet's targets are accounts, so whether its deployer targets this OU cannot be read".into()),
        Reach::Elsewhere => return None,
    };
    Some((verdict, format!("{}: {text}", seen.case.tree.label(id))))
}

/// What to add to the StackSet's targets.
#[derive(Default)]
struct Targeting {
    ous: Vec<String>,
    accounts: Vec<String>,
    /// An account in a target has no instance: say how to see why.
    why: bool,
}

impl Targeting {
    fn add(&mut self, case: &Case, id: &str, reach: &Reach) {
        let once = |list: &mut Vec<String>, id: &str| {
            if !list.iter().any(|i| i == id) {
                list.push(id.to_string());
            }
        };
        self.why |= matches!(reach, Reach::Target { .. });
        match reach {
            Reach::Target { via, .. } => once(&mut self.ous, via),
            _ if is_account_id(id) => once(&mut self.accounts, id),
            Reach::Missing(missing, _) if !case.targets.service_managed => {
                once(&mut self.ous, id);
                missing.iter().for_each(|a| once(&mut self.accounts, a));
            }
            _ => once(&mut self.ous, id),
        }
    }

    /// The AWS CLI command(s) and the LZA line.
    fn fix(&self, case: &Case) -> String {
        let (name, regions) = (case.name, case.regions.join(" "));
        let mut fixes = Vec::new();
        let service_managed = case.targets.service_managed;
        if service_managed && !self.ous.is_empty() {
            let ous = list(&self.ous, IN_COMMAND, ",", AGAIN);
            fixes.push(format!("add the OUs to the StackSet's deployment targets: aws cloudformation create-stack-instances --stack-set-name {name} --deployment-targets OrganizationalUnitIds={ous} --regions {regions}"));
        }
        if service_managed && !self.accounts.is_empty() {
            let parents: BTreeSet<&str> = (self.accounts.iter())
                .filter_map(|a| Some(case.tree.above.get(a)?.last()?.as_str()))
                .collect();
            let targets = serde_json::json!({"OrganizationalUnitIds": parents, "Accounts": self.accounts.iter().take(IN_COMMAND).collect::<Vec<_>>(), "AccountFilterType": "INTERSECTION"});
            fixes.push(format!("for the accounts (or target their OU): aws cloudformation create-stack-instances --stack-set-name {name} --deployment-targets '{targets}' --regions {regions}"));
        } else if !self.accounts.is_empty() {
            let accounts = list(&self.accounts, IN_COMMAND, " ", AGAIN);
            fixes.push(format!("aws cloudformation create-stack-instances --stack-set-name {name} --accounts {accounts} --regions {regions}"));
        }
        fixes.push(self.lza(case));
        if self.why {
            fixes.push(format!("why an account has no instance: aws cloudformation list-stack-instances --stack-set-name {name} --stack-instance-account ID"));
        }
        fixes.join("; ")
    }

    /// LZA's `deploymentTargets` (OUs by name, accounts by their LZA names).
    fn lza(&self, case: &Case) -> String {
        let names: BTreeSet<String> = (self.ous.iter())
            .flat_map(|o| case.tree.ous_within(o))
            .map(|o| yaml_item(&case.tree.lza_name(o)))
            .collect();
        let mut targets = vec![];
        if !names.is_empty() {
            let names: Vec<String> = names.into_iter().collect();
            targets.push(format!("organizationalUnits: [{}]", names.join(", ")));
        }
        if self
            .accounts
            .iter()
            .any(|a| case.scope.accounts.contains(a))
        {
            targets.push("accounts: [their accounts-config.yaml names]".into());
        }
        format!(
            "with LZA, in customizations-config.yaml, the StackSet's deploymentTargets: {}",
            targets.join(" and ")
        )
    }
}

/// Every scoped OU and account reached: the ✓ line.
fn reached(case: &Case, said: &[String]) -> String {
    let (name, said) = (case.name, named(said));
    match (said.is_empty(), case.targets.service_managed) {
        (true, _) => format!("{name}: none of the scoped OUs and accounts is the StackSet's to reach"),
        (false, true) => format!("{name} reaches every scoped OU and account: {said}"),
        (false, false) => format!("{name} reaches every scoped OU and account: {said}; self-managed: a new account gets its instances when the StackSet's deployer adds them (LZA: its pipeline's CUSTOMIZATIONS stage)"),
    }
}

/// The management account in the scope: StackSets never deploy there.
fn management_note(seen: &Seen) -> String {
    match seen.case.tree.management.as_deref().filter(|m| seen.case.in_scope(m)) {
        Some(m) => format!("; the management account {m} is in the scope: it gets member.yaml as plain stacks (infra/docs/deploy.md step 3b), never from the StackSet; doctor --account {m} checks it"),
        None => String::new(),
    }
}

/// An OU name as a YAML flow item: plain when safe, else double-quoted.
fn yaml_item(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || " _./-".contains(c);
    let plain = name.starts_with(|c: char| c.is_ascii_alphanumeric()) && !name.ends_with(' ');
    match plain && name.chars().all(safe) {
        true => name.to_string(),
        false => serde_json::to_string(name).unwrap_or_default(),
    }
}

pub fn named(ids: &[String]) -> String {
    list(ids, NAMED, ", ", "")
}

/// The first `max` of `ids`, then how many more.
fn list(ids: &[String], max: usize, sep: &str, after: &str) -> String {
    let head: Vec<&str> = ids.iter().take(max).map(String::as_str).collect();
    match ids.len().saturating_sub(max) {
        0 => head.join(sep),
        n => format!("{} (and {n} more{after})", head.join(sep)),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub const ROOT: &str = "r-ab12";
    pub const WORKLOADS: &str = "ou-ab12-workload";
    pub const PROD: &str = "ou-ab12-prod0001";
    pub const DEV: &str = "ou-ab12-dev00001";
    pub const SANDBOX: &str = "ou-ab12-sandbox1";
    pub const PILOT: &str = "ou-ab12-pilot001";
    pub const MANAGEMENT: &str = "000000000000";

    /// Root: Workloads (Prod: 111, 222; Dev: 333; 444 directly), Sandbox
    /// (555), Pilot (empty); 666 and the management account at the root.
    pub fn tree() -> Tree {
        let p = |ids: &[(&str, &str)]| -> Vec<(String, String)> {
            ids.iter()
                .map(|(i, n)| (i.to_string(), n.to_string()))
                .collect()
        };
        let (root, wl) = (("r-ab12", "Root"), (WORKLOADS, "Workloads"));
        let mut t = Tree::default();
        t.add(ROOT, "Root", &[]);
        t.add(WORKLOADS, "Workloads", &p(&[root]));
        t.add(PROD, "Prod", &p(&[root, wl]));
        t.add(DEV, "Dev", &p(&[root, wl]));
        t.add(SANDBOX, "Sandbox", &p(&[root]));
        t.add(PILOT, "Pilot", &p(&[root]));
        for (a, ou) in [
            ("111111111111", PROD),
            ("222222222222", PROD),
            ("333333333333", DEV),
        ] {
            let above = if ou == PROD {
                (PROD, "Prod")
            } else {
                (DEV, "Dev")
            };
            t.add(a, &format!("acct-{}", &a[..1]), &p(&[root, wl, above]));
        }
        t.add("444444444444", "acct-4", &p(&[root, wl]));
        t.add("555555555555", "acct-5", &p(&[root, (SANDBOX, "Sandbox")]));
        t.add("666666666666", "acct-6", &p(&[root]));
        t.add(MANAGEMENT, "management", &p(&[root]));
        t.management = Some(MANAGEMENT.into());
        t
    }

    pub fn at(accounts: &[&str], ou: Option<&str>) -> Vec<Instance> {
        let regions = ["us-east-1", "eu-west-1"];
        (accounts.iter())
            .flat_map(|a| regions.map(|r| (a.to_string(), r.to_string())))
            .map(|(account, region)| Instance {
                account,
                region,
                ou: ou.map(str::to_string),
            })
            .collect()
    }

    pub fn scope(ous: &[&str], accounts: &[&str]) -> Scope {
        let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        Scope {
            ous: owned(ous),
            accounts: owned(accounts),
        }
    }

    pub fn managed(ous: &[&str]) -> Targets {
        let ous = ous.iter().map(|s| s.to_string()).collect();
        Targets {
            service_managed: true,
            ous,
            auto_deployment: Some(true),
        }
    }

    pub fn findings(scope: &Scope, targets: &Targets, instances: &[Instance]) -> Vec<Finding> {
        let tree = tree();
        let regions = vec!["eu-west-1".to_string(), "us-east-1".to_string()];
        let case = Case {
            name: "members",
            scope,
            tree: &tree,
            targets,
            instances,
            regions: &regions,
        };
        judge(&case)
    }

    const ALL: [&str; 6] = [
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
    ];

    /// (what, scope, targets, instances, verdict, the detail says, the fix says)
    type Row = (
        &'static str,
        Scope,
        Targets,
        Vec<Instance>,
        Verdict,
        Vec<&'static str>,
        Vec<&'static str>,
    );

    fn rows() -> Vec<Row> {
        let self_managed = Targets::default();
        let prod = ["111111111111", "222222222222"];
        let workloads = [
            "111111111111",
            "222222222222",
            "333333333333",
            "444444444444",
        ];
        let mut by_child = at(&prod, Some(PROD));
        by_child.extend(at(&["333333333333"], Some(DEV)));
        let mut by_child_and_account = by_child.clone();
        by_child_and_account.extend(at(&["444444444444"], None));
        vec![
            ("the root targeted", scope(&[PROD], &[]), managed(&[ROOT]), at(&ALL, Some(ROOT)), Verdict::Pass,
                vec!["members reaches every scoped OU and account: ou-ab12-prod0001 (Workloads/Prod): through r-ab12"], vec![]),
            ("the scoped OU itself targeted", scope(&[PROD], &[]), managed(&[PROD]), at(&prod, Some(PROD)), Verdict::Pass,
                vec!["(Workloads/Prod): a target"], vec![]),
            ("another OU targeted", scope(&[PROD], &[]), managed(&[SANDBOX]), at(&["555555555555"], Some(SANDBOX)), Verdict::Fail,
                vec!["does not reach scoped ou-ab12-prod0001 (Workloads/Prod): 2 of 2 account(s) without an instance", "pending, then failed"],
                vec!["create-stack-instances --stack-set-name members --deployment-targets OrganizationalUnitIds=ou-ab12-prod0001 --regions eu-west-1 us-east-1", "deploymentTargets: organizationalUnits: [Workloads/Prod]"]),
            ("an empty scoped OU, not a target", scope(&[PILOT], &[]), managed(&[ROOT]), at(&ALL, Some(ROOT)), Verdict::Pass,
                vec!["ou-ab12-pilot001 (Pilot): through r-ab12"], vec![]),
            ("an empty scoped OU, no target above", scope(&[PILOT], &[]), managed(&[SANDBOX]), vec![], Verdict::Fail,
                vec!["ou-ab12-pilot001 (Pilot): no account yet, and not a target"], vec!["OrganizationalUnitIds=ou-ab12-pilot001", "[Pilot]"]),
            ("an empty OU targeted (DescribeStackSet)", scope(&[PILOT], &[]), managed(&[PILOT]), vec![], Verdict::Pass,
                vec!["(Pilot): a target"], vec![]),
            ("children targeted, an account directly in the scoped OU not", scope(&[WORKLOADS], &[]), managed(&[PROD, DEV]), by_child, Verdict::Fail,
                vec!["1 of 4 account(s) without an instance"], vec!["OrganizationalUnitIds=ou-ab12-workload ", "organizationalUnits: [Workloads, Workloads/Dev, Workloads/Prod]"]),
            ("children targeted and the account added: a new account gets none", scope(&[WORKLOADS], &[]), managed(&[PROD, DEV]), by_child_and_account, Verdict::Warn,
                vec!["its 4 account(s) have instances, but no target is at or above it"], vec!["OrganizationalUnitIds=ou-ab12-workload"]),
            ("targeted, an account without an instance", scope(&[WORKLOADS], &[]), managed(&[WORKLOADS]), at(&workloads[..3], Some(WORKLOADS)), Verdict::Warn,
                vec!["targeted through ou-ab12-workload, yet 444444444444 without an instance"], vec!["--stack-instance-account ID", "OrganizationalUnitIds=ou-ab12-workload"]),
            ("a scoped account, not reached", scope(&[], &["666666666666"]), managed(&[SANDBOX]), vec![], Verdict::Fail,
                vec!["666666666666 (acct-6): no instance"],
                vec![r#"'{"OrganizationalUnitIds":["r-ab12"],"Accounts":["666666666666"],"AccountFilterType":"INTERSECTION"}'"#, "accounts: [their accounts-config.yaml names]"]),
            ("a scoped account with an instance", scope(&[], &["666666666666"]), managed(&[ROOT]), at(&["666666666666"], Some(ROOT)), Verdict::Pass,
                vec!["666666666666 (acct-6): its instance"], vec![]),
            ("a scoped account in a target, no instance yet", scope(&[], &["555555555555"]), managed(&[SANDBOX]), vec![], Verdict::Warn,
                vec!["555555555555 (acct-5): targeted through ou-ab12-sandbox1, yet 555555555555 without an instance"], vec!["OrganizationalUnitIds=ou-ab12-sandbox1"]),
            ("the management account: plain stacks", scope(&[], &[MANAGEMENT]), managed(&[SANDBOX]), vec![], Verdict::Pass,
                vec!["none of the scoped OUs and accounts is the StackSet's to reach", "the management account 000000000000 is in the scope", "step 3b"], vec![]),
            ("the management account inside a scoped OU is not missing", scope(&[ROOT], &[]), managed(&[ROOT]), at(&ALL, Some(ROOT)), Verdict::Pass,
                vec!["r-ab12 (Root): a target", "the management account 000000000000 is in the scope"], vec![]),
            ("ids the organization does not have", scope(&["ou-zz99-unknown1", "r-zz99"], &["999999999999"]), managed(&[ROOT]), vec![], Verdict::Pass,
                vec!["none of the scoped OUs and accounts"], vec![]),
            ("self-managed, every account has an instance", scope(&[PROD], &[]), self_managed.clone(), at(&ALL, None), Verdict::Pass,
                vec!["(Workloads/Prod): its 2 account(s) have instances", "self-managed"], vec![]),
            ("self-managed, an account missing", scope(&[PROD], &[]), self_managed.clone(), at(&["111111111111"], None), Verdict::Fail,
                vec!["1 of 2 account(s) without an instance"], vec!["--accounts 222222222222 --regions", "organizationalUnits: [Workloads/Prod]"]),
            ("self-managed, an empty OU cannot be told", scope(&[PILOT], &[]), self_managed.clone(), at(&ALL, None), Verdict::Warn,
                vec!["(Pilot): no account in it yet", "cannot be read"], vec!["organizationalUnits: [Pilot]"]),
            ("self-managed, a scoped account", scope(&[], &["666666666666"]), self_managed, vec![], Verdict::Fail,
                vec!["no instance"], vec!["--accounts 666666666666", "accounts: [their"]),
        ]
    }

    #[test]
    fn scoped_ous_and_accounts_against_the_targets() {
        for (what, scope, targets, instances, verdict, says, fixes) in rows() {
            let out = findings(&scope, &targets, &instances);
            let line = out
                .iter()
                .find(|f| f.item == ITEM)
                .unwrap_or_else(|| panic!("{what}: {out:#?}"));
            assert_eq!(line.verdict, verdict, "{what}: {line:#?}");
            for s in says {
                assert!(
                    line.detail.contains(s),
                    "{what}: {s:?} not in {}",
                    line.detail
                );
            }
            let fix = line.fix.clone().unwrap_or_default();
            assert_eq!(
                line.fix.is_none(),
                verdict == Verdict::Pass,
                "{what}: {line:#?}"
            );
            for s in fixes {
                assert!(fix.contains(s), "{what}: {s:?} not in {fix}");
            }
        }
    }

    #[test]
    fn unreached_and_partly_reached_are_two_lines_with_their_own_fixes() {
        let out = findings(
            &scope(&[PILOT, SANDBOX], &[]),
            &managed(&[SANDBOX]),
            &at(&[], None),
        );
        let verdicts: Vec<Verdict> = out.iter().map(|f| f.verdict).collect();
        assert_eq!(verdicts, [Verdict::Fail, Verdict::Warn], "{out:#?}");
        assert!(out[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("OrganizationalUnitIds=ou-ab12-pilot001 "));
        assert!(out[1]
            .fix
            .as_deref()
            .unwrap()
            .contains("OrganizationalUnitIds=ou-ab12-sandbox1 "));
    }

    #[test]
    fn hostile_inputs_neither_panic_nor_mislead() {
        // Empty and duplicated instance fields, an empty OU id, a target the
        // organization does not have, a tree that names itself above itself.
        let mut tree = tree();
        tree.add(
            "ou-ab12-loop0001",
            "Loop",
            &[("ou-ab12-loop0001".into(), "Loop".into())],
        );
        let mut instances = at(&["111111111111", "111111111111"], Some(""));
        instances.push(Instance {
            account: String::new(),
            region: String::new(),
            ou: None,
        });
        let targets = managed(&["", "ou-zz99-gone0001"]);
        let scope = scope(&[PROD, "ou-ab12-loop0001", ""], &["", "12345"]);
        let regions = vec!["us-east-1".to_string()];
        let case = Case {
            name: "m",
            scope: &scope,
            tree: &tree,
            targets: &targets,
            instances: &instances,
            regions: &regions,
        };
        let out = judge(&case);
        assert_eq!(out[0].verdict, Verdict::Fail, "{out:#?}");
        assert!(out[0].detail.contains("1 of 2 account(s)"), "{out:#?}");
        assert!(
            out[0]
                .detail
                .contains("ou-ab12-loop0001 (Loop): no account yet"),
            "{out:#?}"
        );
        assert!(
            !out[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("OrganizationalUnitIds=,"),
            "{out:#?}"
        );
    }

    #[test]
    fn many_ids_are_bounded() {
        let mut tree = Tree::default();
        tree.add(ROOT, "Root", &[]);
        let root = [(ROOT.to_string(), "Root".to_string())];
        let accounts: Vec<String> = (0..120).map(|i| format!("{:012}", 100_000 + i)).collect();
        for a in &accounts {
            tree.add(a, "", &root);
        }
        let ids: Vec<&str> = accounts.iter().map(String::as_str).collect();
        let (scope, targets) = (scope(&[], &ids), Targets::default());
        let case = Case {
            name: "m",
            scope: &scope,
            tree: &tree,
            targets: &targets,
            instances: &[],
            regions: &[],
        };
        let out = judge(&case);
        assert!(
            out[0].detail.contains("(and 110 more)"),
            "{}",
            out[0].detail
        );
        let fix = out[0].fix.as_deref().unwrap();
        assert!(
            fix.contains("(and 70 more: run doctor again after)"),
            "{fix}"
        );
        assert!(fix.len() < 2_000, "{fix}");
    }

    #[test]
    fn ou_names_become_yaml_items() {
        assert_eq!(yaml_item("Workloads/Prod"), "Workloads/Prod");
        assert_eq!(yaml_item("Root"), "Root");
        assert_eq!(yaml_item("a, b: [c]"), r#""a, b: [c]""#);
        assert_eq!(yaml_item("-x"), r#""-x""#);
        assert_eq!(yaml_item("quote\"\nnewline"), r#""quote\"\nnewline""#);
        assert_eq!(yaml_item(""), r#""""#);
        assert_eq!(tree().lza_name(PROD), "Workloads/Prod");
        assert_eq!(tree().lza_name(ROOT), "Root");
        assert_eq!(tree().ous_within(WORKLOADS), [WORKLOADS, DEV, PROD]);
        assert_eq!(tree().ous_within(ROOT), [ROOT]);
        assert_eq!(tree().ous_within("ou-zz99-gone0001"), ["ou-zz99-gone0001"]);
        assert_eq!(tree().label("ou-zz99-gone0001"), "ou-zz99-gone0001");
    }
}
