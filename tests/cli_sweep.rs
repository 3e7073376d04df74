//! `strata sweep`: every row is the backtest of its combination; results do not depend on the thread count;
//! shards merge into exactly one run's output; a Rhai twin sweeps to the same numbers; and every bad input —
//! empty grid, unknown param, zero or reversed step, a shard out of range, shards of different sweeps — is refused
//! with a reason.

mod common;

use std::path::Path;

use common::*;

const SMA: &str = "strategies/sma_cross.strat";
const DATA: &str = "bundled:nvda-1999-2014.1d";

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    strata(&all)
}

fn csv(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("sweep.csv"))
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    ["sweep.csv", "sweep.parquet", "sweep.json", "report.html"]
        .iter()
        .map(|f| (f.to_string(), std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))))
        .collect()
}

#[test]
fn rows_are_the_backtests_of_their_combinations() {
    let dir = tempdir();
    let out = dir.path().join("s");
    let o = sweep(&[
        SMA,
        "--data",
        DATA,
        "--grid",
        "fast=10,20",
        "--grid",
        "slow=30..60:30",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("sweep: 4 indicator series computed once"), "{}", stderr(&o));
    let rows = csv(&out);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1 + 4);
    // Best first by sharpe.
    let sharpes: Vec<f64> = rows[1..].iter().map(|r| r[col("sharpe")].parse().unwrap()).collect();
    assert!(sharpes.windows(2).all(|w| w[0] >= w[1]), "{sharpes:?}");
    for r in &rows[1..] {
        let (fast, slow) = (&r[col("fast")], &r[col("slow")]);
        let b = strata(&[
            "backtest",
            SMA,
            "--data",
            DATA,
            "--set",
            &format!("fast={fast}"),
            "--set",
            &format!("slow={slow}"),
            "--json",
        ]);
        assert!(b.status.success(), "{}", stderr(&b));
        let s: serde_json::Value = serde_json::from_str(&stdout(&b)).unwrap();
        for (metric, key) in [
            ("sharpe", "sharpe"),
            ("total_return", "total_return"),
            ("max_drawdown", "max_drawdown"),
            ("trades", "closed_trades"),
            ("final_equity", "final_equity"),
            ("probabilistic_sharpe", "probabilistic_sharpe"),
        ] {
            let want = s[key].as_f64().unwrap();
            let got: f64 = r[col(metric)].parse().unwrap();
            assert_eq!(got, want, "fast={fast} slow={slow}: {metric}");
        }
    }
}

#[test]
fn threads_do_not_change_the_result_and_progress_is_logged() {
    let dir = tempdir();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    let grid = ["--grid", "fast=5..30:5", "--grid", "slow=20..80:20", "--where", "fast < slow"];
    let run = |out: &Path, jobs: &str| {
        let mut args = vec![SMA, "--data", DATA, "--jobs", jobs, "--out", out.to_str().unwrap()];
        args.extend_from_slice(&grid);
        let o = sweep(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        o
    };
    let o = run(&one, "1");
    run(&two, "2");
    assert_eq!(files(&one), files(&two), "byte-identical with 1 and 2 threads");
    // Not a terminal: plain progress lines with an ETA, and the best ten on stdout.
    let err = stderr(&o);
    assert!(err.contains("combinations (100%)") && err.contains("ETA"), "{err}");
    assert!(stdout(&o).starts_with("best 10 of 21 by sharpe:"), "{}", stdout(&o));
    let html = std::fs::read_to_string(one.join("report.html")).unwrap();
    assert_eq!(html.matches("class=\"cell\"").count(), 21, "one heatmap cell per combination");
}

#[test]
fn shards_merge_into_exactly_one_run() {
    let dir = tempdir();
    let d = |n: &str| dir.path().join(n);
    let grid = ["--grid", "fast=5..30:5", "--grid", "slow=20..80:20", "--where", "fast < slow"];
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![SMA, "--data", DATA, "--out", out.to_str().unwrap()];
        args.extend_from_slice(&grid);
        args.extend_from_slice(extra);
        let o = sweep(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(&d("whole"), &[]);
    for i in 1..=3 {
        run(&d(&format!("shard{i}")), &["--shard", &format!("{i}/3")]);
    }
    let total: usize = (1..=3).map(|i| csv(&d(&format!("shard{i}"))).len() - 1).sum();
    assert_eq!(total, 21, "the shards split the grid");
    let (s1, s2, s3) = (d("shard1"), d("shard2"), d("shard3"));
    let merge = |dirs: &[&Path], out: &Path| {
        let mut args = vec!["sweep", "merge"];
        args.extend(dirs.iter().map(|p| p.to_str().unwrap()));
        args.extend(["--out", out.to_str().unwrap()]);
        strata(&args)
    };
    let o = merge(&[&s3, &s1, &s2], &d("merged"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files(&d("merged")), files(&d("whole")), "merged shards are byte-identical to one run");

    // Refused: a missing shard, a shard twice, an unsharded run, and a shard of another sweep.
    let o = merge(&[&s1, &s2], &d("x"));
    assert!(!o.status.success() && stderr(&o).contains("shard 3/3 is missing"), "{}", stderr(&o));
    let o = merge(&[&s1, &s2, &s2], &d("x"));
    assert!(!o.status.success() && stderr(&o).contains("shard 2/3 is already in the merge"), "{}", stderr(&o));
    let o = merge(&[&s1, &d("whole")], &d("x"));
    assert!(!o.status.success() && stderr(&o).contains("an unsharded sweep"), "{}", stderr(&o));
    let other = d("other");
    let o = sweep(&[
        SMA,
        "--data",
        DATA,
        "--grid",
        "fast=5..30:5",
        "--grid",
        "slow=20..80:20",
        "--shard",
        "2/3",
        "--out",
        other.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = merge(&[&s1, &other, &s3], &d("x"));
    assert!(!o.status.success() && stderr(&o).contains("from a different sweep"), "{}", stderr(&o));
    assert!(!d("x").join("sweep.csv").exists(), "nothing written by a refused merge");
    // A manifest edited by hand to an impossible shard is refused, not trusted.
    let json = std::fs::read_to_string(s3.join("sweep.json")).unwrap();
    assert!(json.contains("\"index\": 3"), "{json}");
    std::fs::write(s3.join("sweep.json"), json.replace("\"index\": 3", "\"index\": 0")).unwrap();
    let o = merge(&[&s1, &s2, &s3], &d("x"));
    assert!(!o.status.success() && stderr(&o).contains("shard 0/3 is out of range"), "{}", stderr(&o));
}

#[test]
fn a_rhai_twin_sweeps_to_the_same_numbers() {
    let dir = tempdir();
    let (a, b) = (dir.path().join("strat"), dir.path().join("rhai"));
    for (file, out) in [(SMA, &a), ("strategies/sma_cross.rhai", &b)] {
        let o = sweep(&[
            file,
            "--data",
            DATA,
            "--grid",
            "fast=8..16:4",
            "--grid",
            "slow=30,50",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
    }
    assert_eq!(csv(&a), csv(&b));
}

#[test]
fn bad_sweeps_are_refused_with_reasons() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "no --grid given"),
        (&["--grid", "fats=5..10:5"], "unknown param 'fats' — did you mean 'fast'?"),
        (&["--grid", "fast=5..50:0"], "the step must be positive"),
        (&["--grid", "fast=50..5:5"], "the range is reversed"),
        (&["--grid", "fast=5..10:5", "--shard", "4/3"], "shard 4 of 3 is out of range"),
        (&["--grid", "fast=5..10:5", "--shard", "0/3"], "out of range"),
        (&["--grid", "fast=5..10:5", "--sort", "sharp"], "unknown metric 'sharp' — did you mean 'sharpe'?"),
        (&["--grid", "fast=5..10:5", "--where", "fast < slwo"], "unknown param 'slwo' — did you mean 'slow'?"),
        (
            &["--grid", "fast=40..50:5", "--grid", "slow=20,30", "--where", "fast < slow"],
            "--where leaves no combination",
        ),
        (&["--grid", "fast=1..5:1"], "must be between 2 and 200, got 1"),
    ];
    for (extra, want) in cases {
        let mut args = vec![SMA, "--data", DATA];
        args.extend_from_slice(extra);
        let o = sweep(&args);
        assert_eq!(o.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&o).contains(want), "{extra:?}: {}", stderr(&o));
    }
}

/// The cluster examples in docs/cluster run as written: the Kubernetes Indexed Job's command line for every
/// completion index, and the Slurm array script for every task id, each merged into the unsharded result.
#[test]
fn the_cluster_examples_work() {
    let dir = tempdir();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_strata")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let whole = dir.path().join("whole");
    let o = sweep(&[
        SMA,
        "--data",
        "bundled:btcperp-2022-01.1m",
        "--grid",
        "fast=5..50:5",
        "--grid",
        "slow=20..200:10",
        "--where",
        "fast < slow",
        "--out",
        whole.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // Kubernetes: the container's `sh -c` line (a folded YAML scalar), with the mounts mapped to local folders.
    let yaml = std::fs::read_to_string(root().join("docs/cluster/sweep-indexed-job.yaml")).unwrap();
    let block: Vec<&str> = yaml
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("- >-"))
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("resources:"))
        .collect();
    let command = block.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
    assert!(command.starts_with("strata sweep /strategies/sma_cross.strat"), "{command}");
    let k8s = dir.path().join("k8s");
    let command = command
        .replace("/strategies/", &format!("{}/strategies/", root().display()))
        .replace("/results/", &format!("{}/", k8s.display()));
    std::fs::create_dir_all(&k8s).unwrap();
    for index in 0..8 {
        let o = std::process::Command::new("sh")
            .args(["-c", &command])
            .env("PATH", &path)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .output()
            .unwrap();
        assert!(o.status.success(), "index {index}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // Slurm: the array script, once per task id.
    let slurm = dir.path().join("slurm");
    for task in 1..=8 {
        let o = std::process::Command::new("bash")
            .arg(root().join("docs/cluster/sweep-array.slurm"))
            .current_dir(root())
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("RESULTS", &slurm)
            .output()
            .unwrap();
        assert!(o.status.success(), "task {task}: {}", String::from_utf8_lossy(&o.stderr));
    }
    for (name, shards) in [("k8s", &k8s), ("slurm", &slurm)] {
        let dirs: Vec<String> = (1..=8).map(|i| shards.join(format!("shard-{i}")).display().to_string()).collect();
        let merged = dir.path().join(format!("{name}-merged"));
        let mut args = vec!["sweep", "merge"];
        args.extend(dirs.iter().map(String::as_str));
        args.extend(["--out", merged.to_str().unwrap()]);
        let o = strata(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(files(&merged), files(&whole), "{name}: the merge equals one run");
    }
}
