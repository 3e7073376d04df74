//! Golden tests for the language front-ends, driven by files: every `tests/data/check/NAME.{strat,rhai}` is checked
//! with `strata check`, every `tests/data/explain/NAME.{strat,rhai}` explained with `strata explain`, and every
//! `tests/data/rhai_run/NAME.rhai` — a script that fails while it runs — backtested with `--out`; the exit code,
//! stdout and stderr must equal `NAME.out` byte for byte (and a failed backtest must leave no output behind).
//! `STRATA_BLESS=1 cargo test --test cli_golden` rewrites the expected files (review the diff before committing).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run_case(command: &str, strat: &Path) -> String {
    run_with(command, strat, &[])
}

fn run_with(command: &str, strat: &Path, args: &[&str]) -> String {
    let rel = strat.strip_prefix(root()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_strata"))
        .arg(command)
        .arg(rel)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn cases(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "strat" || e == "rhai"))
        .collect();
    v.sort();
    v
}

fn golden(command: &str, dir: &str) {
    golden_with(dir, |strat| run_case(command, strat));
}

fn golden_with(dir: &str, run: impl Fn(&Path) -> String) {
    let bless = std::env::var_os("STRATA_BLESS").is_some();
    let mut failures = Vec::new();
    let all = cases(dir);
    assert!(!all.is_empty(), "no cases in {dir}");
    for strat in all {
        let got = run(&strat);
        let expected_path = strat.with_extension("out");
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != want {
            failures.push(format!("=== {}\n--- expected\n{want}\n--- got\n{got}", strat.display()));
        }
    }
    assert!(failures.is_empty(), "{} golden case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn check_reports_every_error_like_a_compiler() {
    golden("check", "tests/data/check");
}

#[test]
fn explain_shows_params_nodes_warmup_and_rules() {
    golden("explain", "tests/data/explain");
}

/// Scripts that fail on a bar — sandbox limits hit, bad orders, unknown functions — stop the backtest with a
/// compiler-style error naming the script, the bar and the cause, exit 1, and write nothing.
#[test]
fn failing_scripts_stop_the_run_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    golden_with("tests/data/rhai_run", |strat| {
        let out = tmp.path().join(strat.file_stem().unwrap());
        let got = run_with("backtest", strat, &["--data", "bundled:btc-2017-11.1m", "--out", out.to_str().unwrap()]);
        assert!(!out.exists(), "{}: a failed run left {} behind", strat.display(), out.display());
        // Rhai's interpreter stops the same script with the same message (most of these run compiled by default).
        let args = ["--data", "bundled:btc-2017-11.1m", "--rhai-interpreter", "--out", out.to_str().unwrap()];
        let interpreted = run_with("backtest", strat, &args);
        assert_eq!(got, interpreted, "{}: the two tiers fail differently", strat.display());
        got
    });
}

/// Every error's first line names the file and a line:col, so the one-line form is enough for tools.
#[test]
fn every_error_line_names_file_line_and_column() {
    for strat in cases("tests/data/check") {
        let text = run_case("check", &strat);
        let rel = strat.strip_prefix(root()).unwrap().display().to_string();
        for line in text.lines().filter(|l| l.contains(": error: ")) {
            let rest = line.strip_prefix(&format!("{rel}:")).unwrap_or_else(|| panic!("{line}"));
            let mut parts = rest.splitn(3, ':');
            let (l, c) = (parts.next().unwrap(), parts.next().unwrap());
            assert!(l.parse::<u32>().is_ok() && c.parse::<u32>().is_ok(), "{line}");
        }
    }
}

/// docs/indicators.md is `strata help indicators`, generated from the registry: it cannot drift.
#[test]
fn indicator_docs_are_the_registry() {
    let out = Command::new(env!("CARGO_BIN_EXE_strata")).args(["help", "indicators"]).output().unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = root().join("docs/indicators.md");
    if std::env::var_os("STRATA_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(committed == generated, "docs/indicators.md is stale: run `strata help indicators > docs/indicators.md`");
}
