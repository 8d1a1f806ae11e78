//! The git revision `--version` names, asked of git at build time (no crate
//! dependency): `RUNAS_GUARD_REV` is set to the commit's 12-digit short hash,
//! with `-modified` when tracked files differ from it, or to `no git
//! revision` when the source is not a git checkout of this package (a
//! tarball) or git is missing. `RUNAS_GUARD_REV` in the environment, when
//! set, is taken as it is (a packager who knows the revision), and then
//! so is `RUNAS_GUARD_SINCE_RELEASE`, or its absence.
//!
//! `RUNAS_GUARD_SINCE_RELEASE` counts the commits from the release commit
//! CHANGELOG.md names for Cargo.toml's version to HEAD (`--version` then
//! says `0.3.0+12 (rev)`). Tags do not travel with every clone, the
//! CHANGELOG does; src/domain/release.rs reads it, for this script and the crate.
//! Unset (`--version` says `0.3.0 (rev)`) when the section names no commit, the
//! commit is not in this history (a shallow clone) or HEAD does not descend
//! from it: the build never fails for it.
//!
//! Cargo reruns this when HEAD moves (HEAD, the branch ref it names, packed
//! refs, the reflog), when the index changes, and when the sources it
//! compiles change (for the `-modified` flag), and when CHANGELOG.md
//! changes (the release commit), so the revision stays right without
//! rebuilding on every build.

use std::path::{Path, PathBuf};
use std::process::Command;

// The crate's own copy of the rules; `long_version` is the crate's to use.
#[allow(dead_code)]
#[path = "src/domain/release.rs"]
mod release;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        // Never take the index lock: others may be running git in this tree.
        .env("GIT_OPTIONAL_LOCKS", "0")
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}

/// The revision and the files whose change may change it, or None outside a
/// git checkout whose top level is this package.
fn revision(dir: &Path) -> Option<(String, Vec<PathBuf>)> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != dir.canonicalize().ok()? {
        return None; // a tarball unpacked inside some other repository
    }
    let hash = git(dir, &["rev-parse", "--short=12", "HEAD"])?;
    let status = git(dir, &["status", "--porcelain", "--untracked-files=no"])?;
    let rev = if status.is_empty() {
        hash
    } else {
        format!("{hash}-modified")
    };

    let abs = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            dir.join(p)
        }
    };
    let git_dir = abs(git(dir, &["rev-parse", "--git-dir"])?);
    let common = abs(git(dir, &["rev-parse", "--git-common-dir"])?);
    let mut watch = vec![
        git_dir.join("HEAD"),
        git_dir.join("index"),
        git_dir.join("logs/HEAD"),
    ];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(common.join(branch));
    }
    watch.push(common.join("packed-refs"));
    Some((rev, watch))
}

/// Commits from the release CHANGELOG.md names for `version` to HEAD, or
/// None when that cannot be said for sure.
fn since_release(dir: &Path, version: &str) -> Option<u64> {
    let changelog = std::fs::read_to_string(dir.join("CHANGELOG.md")).ok()?;
    let named = release::release_commit(&changelog, version)?;
    let commit = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{named}^{{commit}}"),
        ],
    )?;
    git(dir, &["merge-base", "--is-ancestor", &commit, "HEAD"])?;
    git(dir, &["rev-list", "--count", &format!("{commit}..HEAD")])?
        .parse()
        .ok()
}

fn main() {
    println!("cargo:rerun-if-env-changed=RUNAS_GUARD_REV");
    println!("cargo:rerun-if-env-changed=RUNAS_GUARD_SINCE_RELEASE");
    for source in [
        "build.rs",
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "CHANGELOG.md",
    ] {
        println!("cargo:rerun-if-changed={source}");
    }
    if std::env::var_os("RUNAS_GUARD_REV").is_some() {
        return; // rustc sees the environment's value
    }
    let dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let rev = match revision(&dir) {
        Some((rev, watch)) => {
            // Only files that exist: a missing one would rerun this on every build.
            for path in watch.iter().filter(|p| p.exists()) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
            if let Some(n) = since_release(&dir, &version) {
                println!("cargo:rustc-env=RUNAS_GUARD_SINCE_RELEASE={n}");
            }
            rev
        }
        None => "no git revision".to_string(),
    };
    println!("cargo:rustc-env=RUNAS_GUARD_REV={rev}");
}
