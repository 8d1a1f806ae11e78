//! `policy permission-sets --format lza --out-dir DIR`: writes each
//! permission set's inline-policy file, then prints the `iam-config.yaml`
//! lines naming them. Nothing is written when any file would replace a
//! different one without `--force`, and each file is written whole (a
//! temporary file beside it, then a rename), so LZA never reads half a policy.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use runas_guard::flow::permission_sets::lza::{files, snippet, PolicyFile};

use crate::cli::input::{read_policy_arg, shown_policy};
use crate::cli::output::{bad_input, failed};

/// What writing one file will do.
#[derive(PartialEq, Eq)]
enum Plan {
    Create,
    Unchanged,
    Replace,
}

pub fn write(file: &str, partition: &str, dir: &Path, force: bool) -> ExitCode {
    let shown = shown_policy(file);
    let planned = read_policy_arg(file)
        .and_then(|p| files(&p, partition).map(|f| (p, f)))
        .map_err(|e| format!("{shown}: {e}"));
    let (policy, files) = match planned {
        Ok(p) => p,
        Err(e) => return bad_input(e),
    };
    let plans = match plan(dir, &files, force) {
        Ok(p) => p,
        Err(Refused::Differ(names)) => return bad_input(format!(
            "{}: {} already exist(s) and differ(s) from what would be written; nothing was written (--force replaces them)",
            dir.display(),
            names.join(", ")
        )),
        Err(Refused::Io(e)) => return failed(e),
    };
    let mut said = String::new();
    for (f, p) in files.iter().zip(&plans) {
        let path = dir.join(&f.file_name);
        if *p != Plan::Unchanged {
            if let Err(e) = write_whole(&path, &f.content) {
                return failed(format!("cannot write {}: {e}", path.display()));
            }
        }
        let verb = match p {
            Plan::Create => "wrote",
            Plan::Replace => "replaced",
            Plan::Unchanged => "unchanged",
        };
        said.push_str(&format!("# {verb} {}\n", path.display()));
    }
    out!(
        "{said}{}",
        snippet(&policy, &files, &dir.display().to_string())
    );
    ExitCode::SUCCESS
}

enum Refused {
    Differ(Vec<String>),
    Io(String),
}

/// Looks at every file before any is written, so a refusal leaves the
/// directory as it was.
fn plan(dir: &Path, files: &[PolicyFile], force: bool) -> Result<Vec<Plan>, Refused> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Refused::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut plans = Vec::new();
    let mut differ = Vec::new();
    for f in files {
        let path = dir.join(&f.file_name);
        plans.push(match std::fs::read(&path) {
            Ok(old) if old == f.content.as_bytes() => Plan::Unchanged,
            Ok(_) if force => Plan::Replace,
            Ok(_) => {
                differ.push(f.file_name.clone());
                Plan::Replace
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Plan::Create,
            Err(e) => return Err(Refused::Io(format!("cannot read {}: {e}", path.display()))),
        });
    }
    if differ.is_empty() {
        Ok(plans)
    } else {
        Err(Refused::Differ(differ))
    }
}

/// A temporary file in the same directory (so the rename cannot cross
/// file systems), flushed to disk, then renamed over `path`.
fn write_whole(path: &Path, content: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    // create_new: never through a link or file someone left at that name.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut f| {
            f.write_all(content.as_bytes())?;
            f.sync_all()
        });
    let renamed = written.and_then(|()| std::fs::rename(&temporary, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    renamed
}
