//! `make bench`: throughput and memory of the pure core, and the CLI's cold
//! start. Numbers are printed, never asserted; compare runs on one machine.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use runas_guard::domain::policy::Policy;
use runas_guard::domain::ports::{Observed, Version};
use runas_guard::domain::preferences::Preferences;
use runas_guard::domain::trigger;
use runas_guard::flow::reconcile::{plan, Want};

fn measure(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f(); // warm up
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed() / iterations;
    let rate = if per.is_zero() {
        f64::INFINITY
    } else {
        1.0 / per.as_secs_f64()
    };
    println!(
        "{name:<64} {:>10.2} µs/op {:>12.0} op/s",
        per.as_secs_f64() * 1e6,
        rate
    );
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let events = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut samples: Vec<(String, Vec<u8>)> = std::fs::read_dir(&events)
        .expect("events/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    samples.sort();

    println!("pure core (release build)");
    for (name, bytes) in samples.iter().filter(|(n, _)| !n.starts_with("ignored")) {
        measure(
            &format!("classify {}", name.trim_end_matches(".json")),
            20_000,
            || {
                black_box(trigger::classify_bytes(black_box(bytes)).unwrap());
            },
        );
    }
    let garbage = vec![b'['; 200_000];
    measure("reject 200 KB of nesting", 2_000, || {
        black_box(trigger::classify_bytes(black_box(&garbage)).unwrap_err());
    });

    let lza = r#"{"schemaVersion":"1.0","description":"Document to hold regional settings for Session Manager","sessionType":"Standard_Stream","inputs":{"s3BucketName":"aws-accelerator-central-logs","s3KeyPrefix":"session/111122223333","s3EncryptionEnabled":true,"cloudWatchLogGroupName":"aws-accelerator-sessionmanager-logs","cloudWatchEncryptionEnabled":true,"cloudWatchStreamingEnabled":true,"kmsKeyId":"arn:aws:kms:us-east-1:111122223333:key/abc","idleSessionTimeout":"20","maxSessionDuration":"","runAsEnabled":false,"runAsDefaultUser":"","shellProfile":{"linux":"exec bash -l","windows":""}}}"#;
    measure("document parse + merge + render", 50_000, || {
        let p = Preferences::parse(black_box(lza)).unwrap();
        black_box(p.merged("ssm-ops").render(0));
    });
    let version = |n: &str| Version {
        number: n.into(),
        prefs: Preferences::parse(lza).unwrap(),
        made: None,
    };
    let observed = Observed::Present {
        default: version("1"),
        latest: version("2"),
    };
    measure("plan (default 1, latest 2, both wrong)", 50_000, || {
        black_box(plan(black_box(&observed), &Want::user("ssm-ops")));
    });

    // A 500-account organization: 500 account rules, 100 OU rules, 5 levels deep.
    let mut text = String::from("member_role = \"RunAsGuardExecution\"\nregions = [\"us-east-1\", \"eu-west-1\"]\n[default]\nrun_as_user = \"ssm-ops\"\n");
    for i in 0..100 {
        text.push_str(&format!(
            "[[ou]]\nid = \"ou-ab12-{i:08}\"\nrun_as_user = \"ou{i}\"\n"
        ));
    }
    for i in 0..500u64 {
        text.push_str(&format!(
            "[[account]]\nid = \"{:012}\"\nrun_as_user = \"acct{i}\"\n",
            100_000_000_000 + i
        ));
    }
    measure("policy load (500 accounts, 100 OUs)", 200, || {
        black_box(Policy::parse(black_box(&text), "bench").unwrap());
    });
    let policy = Policy::parse(&text, "bench").unwrap();
    let path: Vec<String> = [
        "r-ab12",
        "ou-ab12-00000001",
        "ou-ab12-00000002",
        "ou-ab12-99999999",
        "ou-ab12-88888888",
    ]
    .map(String::from)
    .to_vec();
    measure(
        "desired user, 5-level OU path, no account rule",
        200_000,
        || {
            black_box(policy.desired(black_box("999999999999"), black_box(&path)));
        },
    );

    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/runas-guard");
    if bin.exists() {
        let sample = events.join("document_changed.ssm-update-document.json");
        let runs = 20;
        let start = Instant::now();
        for _ in 0..runs {
            let out = std::process::Command::new(&bin)
                .arg("explain")
                .arg(&sample)
                .output()
                .unwrap();
            assert!(out.status.success());
        }
        let per: Duration = start.elapsed() / runs;
        println!(
            "{:<64} {:>10.2} ms/run",
            "CLI cold start: runas-guard explain (process)",
            per.as_secs_f64() * 1e3
        );
        if let Ok(meta) = std::fs::metadata(&bin) {
            println!(
                "{:<64} {:>10.1} MiB",
                "release binary size (x86_64, stripped)",
                meta.len() as f64 / 1048576.0
            );
        }
    }
    if let Some(kib) = peak_rss_kib() {
        println!("{:<64} {:>10} KiB", "peak RSS of this benchmark", kib);
    }
}
