//! `strata venue serve` as a user runs it: the venue's own SDK (binance-connector, which signs requests itself)
//! trades against it unchanged but for its base URL; bad options are named.
//!
//! The SDK check needs Python with `binance-connector`; `.ci/run` installs it and sets `STRATA_REQUIRE_SDK=1`, so in
//! CI it cannot be skipped. No sleeps: the server's first line says where it listens.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{root, stderr, strata};

const KEY: &str = "rehearsal-key";
const SECRET: &str = "rehearsal-secret-9f8e7d6c";

fn sdk_available() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import binance.spot"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found && std::env::var_os("STRATA_REQUIRE_SDK").is_some() {
        panic!("STRATA_REQUIRE_SDK is set but python3 cannot import binance.spot (pip install binance-connector)");
    }
    found
}

#[test]
fn the_venues_own_sdk_trades_against_the_fake_venue_unchanged() {
    if !sdk_available() {
        eprintln!("skipped: python3 with binance-connector is not installed");
        return;
    }
    let mut server = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["venue", "serve", "--port", "0", "--data", "data/btcperp-2022-01.1m.parquet", "--symbol", "BTCUSDT"])
        .args(["--api-key", KEY, "--api-secret", SECRET, "--cash", "10000"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("{line:?}"));
    let base = format!("http://{addr}");
    let script = root().join("tests/data/venue/official_sdk.py");
    let out = Command::new("python3").arg(&script).args([&base, KEY, SECRET, "BTCUSDT"]).output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "ok",
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_venue_options_are_named() {
    let base = ["venue", "serve", "--port", "0", "--data", "data/btcperp-2022-01.1m.parquet"];
    let o = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(base)
        .current_dir(root())
        .env_remove("BINANCE_API_KEY")
        .env_remove("BINANCE_API_SECRET")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("needs an API key and secret"), "{}", stderr(&o));
    let o = strata(&[&base[..], &["--api-key", "k", "--api-secret", "s", "--cash", "-5"]].concat());
    assert!(stderr(&o).contains("--cash must be a positive number"), "{}", stderr(&o));
    let o = strata(&[&base[..], &["--api-key", "k", "--api-secret", "s", "--commission-bps", "20000"]].concat());
    assert!(stderr(&o).contains("--commission-bps must be from 0 to 10000"), "{}", stderr(&o));
}
