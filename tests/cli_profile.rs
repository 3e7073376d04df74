//! `strata run NAME --mode backtest|live`: a profile of strata.toml is the command line it stands for — the same
//! output as typing that command — and a bad profile file is reported with its line and column.

mod common;

use std::path::Path;

use common::{root, stderr, stdout, strata};

fn write(dir: &Path, text: &str) -> String {
    let path = dir.join("strata.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn profile(extra: &str) -> String {
    let strategy = root().join("strategies/sma_cross.rhai");
    let data = root().join("data/btc-2017-11.1m.parquet");
    format!(
        "[profiles.btc]\nstrategy = {:?}\ndata = {:?}\ncash = 50000\nfees_bps = 10\nparams = {{ fast = 5, slow = 20 }}\n{extra}",
        strategy.display().to_string(),
        data.display().to_string()
    )
}

#[test]
fn a_backtest_profile_is_the_command_it_stands_for() {
    let dir = common::tempdir();
    let config = write(dir.path(), &profile("feed = \"binance:BTCUSDT@1m\"\n"));
    let by_profile = strata(&["run", "btc", "--mode", "backtest", "--config", &config, "--", "--json"]);
    assert!(by_profile.status.success(), "{}", stderr(&by_profile));
    let direct = strata(&[
        "backtest",
        "strategies/sma_cross.rhai",
        "--data",
        "data/btc-2017-11.1m.parquet",
        "--cash",
        "50000",
        "--fees-bps",
        "10",
        "--set",
        "fast=5",
        "--set",
        "slow=20",
        "--json",
    ]);
    assert!(direct.status.success(), "{}", stderr(&direct));
    let summary = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v.as_object_mut().unwrap().remove("data");
        v
    };
    assert_eq!(summary(&stdout(&by_profile)), summary(&stdout(&direct)));
    assert_eq!(summary(&stdout(&direct))["params"], serde_json::json!({ "fast": 5, "slow": 20 }));
}

#[test]
fn a_profiles_risk_table_is_the_risk_flags() {
    let dir = common::tempdir();
    let risk = "[profiles.btc.risk]\ndaily_loss_limit = 300\nmax_open_orders = 1\n";
    let config = write(dir.path(), &profile(risk));
    let by_profile = strata(&["run", "btc", "--mode", "backtest", "--config", &config, "--", "--json"]);
    assert!(by_profile.status.success(), "{}", stderr(&by_profile));
    let mut direct = vec!["backtest", "strategies/sma_cross.rhai", "--data", "data/btc-2017-11.1m.parquet"];
    direct.extend(["--cash", "50000", "--fees-bps", "10", "--set", "fast=5", "--set", "slow=20", "--json"]);
    direct.extend(["--daily-loss-limit", "300", "--max-open-orders", "1"]);
    let direct = strata(&direct);
    let denied = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap()["risk_denied"].clone();
    assert_eq!(denied(&stdout(&by_profile)), denied(&stdout(&direct)));
    assert!(denied(&stdout(&direct))["daily_loss_limit"].as_u64() > Some(0), "{}", stdout(&direct));
    let config = write(dir.path(), &profile("[profiles.btc.risk]\nmax_leverage = 2\n"));
    let o = strata(&["run", "btc", "--mode", "backtest", "--config", &config]);
    assert!(stderr(&o).contains("strata.toml: 8:1: unknown field `max_leverage`"), "{}", stderr(&o));
    let config = write(dir.path(), &profile("[profiles.btc.risk]\nmax_position = -1\n"));
    let o = strata(&["run", "btc", "--mode", "backtest", "--config", &config]);
    assert!(stderr(&o).contains("--max-position must be a positive number, got -1"), "{}", stderr(&o));
}

#[test]
fn the_bundled_profiles_file_runs() {
    let o = strata(&["run", "sma-btc", "--mode", "backtest"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("SMA cross  on data/btc-2017-11.1m.parquet"), "{}", stdout(&o));
}

#[test]
fn bad_profiles_are_reported_with_where_they_are_wrong() {
    let dir = common::tempdir();
    let cases: [(String, &[&str], &str); 6] = [
        (profile(""), &["run", "btx", "--mode", "backtest"], "no profile 'btx' — did you mean 'btc'? (profiles: btc)"),
        (profile(""), &["run", "btc", "--mode", "live"], "profile 'btc' has no `feed`; live mode needs one"),
        (profile("speed = 3\n"), &["run", "btc", "--mode", "backtest"], "strata.toml: 7:1: unknown field `speed`"),
        (profile("cash = \"lots\"\n"), &["run", "btc", "--mode", "backtest"], "strata.toml: 7:1: duplicate key"),
        (
            profile("feed = \"binance:BTCUSDT@1m\"\nmax_bars = 0\n"),
            &["run", "btc", "--mode", "live"],
            "profile 'btc': invalid value '0' for '--max-bars <N>'",
        ),
        (
            profile("").replace("fast = 5", "fast = \"five\""),
            &["run", "btc", "--mode", "backtest"],
            "profile 'btc': param 'fast' must be a number, got \"five\"",
        ),
    ];
    for (text, args, want) in cases {
        let config = write(dir.path(), &text);
        let o = strata(&[args, &["--config", &config][..]].concat());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(want), "{want}\n{}", stderr(&o));
    }
    let o = strata(&["run", "btc", "--mode", "backtest", "--config", "/nonexistent/strata.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error: /nonexistent/strata.toml: No such file"), "{}", stderr(&o));
}
