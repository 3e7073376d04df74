//! `strata venue serve` as a user runs it: the venue's own SDK (binance-connector, which signs requests itself)
//! trades against it unchanged but for its base URL; bad options are named.
//!
//! The SDK check needs Python with `binance-connector`; `.ci/run` installs it and sets `STRATA_REQUIRE_SDK=1`, so in
//! CI it cannot be skipped. No sleeps: the server's first line says where it listens.

mod common;

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
    let v = venue(&[]);
    let base = format!("http://{}", v.addr);
    let script = root().join("tests/data/venue/official_sdk.py");
    let out = Command::new("python3").arg(&script).args([&base, KEY, SECRET, "BTCUSDT"]).output().unwrap();
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

/// A fake venue child (killed when dropped) and its address.
struct Venue {
    _child: common::ServerChild,
    addr: String,
}

fn venue(extra: &[&str]) -> Venue {
    venue_on("data/btcperp-2022-01.1m.parquet", extra)
}

fn venue_on(data: &str, extra: &[&str]) -> Venue {
    let mut args = vec!["venue", "serve", "--port", "0", "--data", data];
    args.extend(["--symbol", "BTCUSDT", "--api-key", KEY, "--api-secret", SECRET, "--cash", "100000"]);
    let child = common::spawn_server(&[&args[..], extra].concat());
    let line = &child.first_line;
    let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("{line:?}"));
    Venue { addr: addr.to_string(), _child: child }
}

/// `POST /fake/fault?QUERY` on the fake venue.
fn fault(v: &Venue, query: &str) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&v.addr).unwrap();
    write!(s, "POST /fake/fault?{query} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn live_on(v: &Venue, out: &std::path::Path, bars: &str, secret: &str) -> std::process::Output {
    let (ws, http) = (format!("ws://{}", v.addr), format!("http://{}", v.addr));
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws])
        .args(["--rest-url", &http, "--broker", "binance", "--max-bars", bars, "--fees-bps", "10"])
        .args(["--out", out.to_str().unwrap(), "--backoff-ms", "1"])
        .env("BINANCE_API_KEY", KEY)
        .env("BINANCE_API_SECRET", secret)
        .current_dir(root())
        .output()
        .unwrap()
}

fn journal(out: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn a_live_run_trades_on_the_venue_through_its_failures_and_its_books_match_the_account() {
    let v = venue(&["--speed", "3000"]);
    // The first placements meet a 5XX after placing, a partial fill, a cut-off answer, a proxy's page and a 429.
    for f in ["server-error-placed", "partial&parts=3", "reset", "html", "rate-limit&retry_after=1"] {
        fault(&v, &format!("type={f}"));
    }
    let dir = common::tempdir();
    let out = dir.path().join("out");
    let run = live_on(&v, &out, "240", SECRET);
    assert!(run.status.success(), "{}", stderr(&run));
    let events = journal(&out);
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        events.iter().filter(|e| e["event"] == "venue" && e["venue"]["venue_event"] == kind).collect()
    };
    let intents: Vec<u64> =
        events.iter().filter(|e| e["event"] == "order").map(|e| e["order"]["seq"].as_u64().unwrap()).collect();
    assert!(intents.len() >= 6, "the strategy traded: {intents:?}");
    // Every intent reached the venue once — placed or refused with its reason — under its own client order id.
    let mut answered: Vec<u64> =
        of("placed").iter().chain(of("refused").iter()).map(|e| e["venue"]["seq"].as_u64().unwrap()).collect();
    answered.sort_unstable();
    assert_eq!(answered, intents, "each intent answered exactly once");
    let ids: std::collections::BTreeSet<&str> =
        of("placed").iter().map(|e| e["venue"]["client_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), of("placed").len(), "no client order id placed twice");
    // The partial fill went on over later bars until filled.
    let partial =
        of("placed").into_iter().find(|e| e["venue"]["status"] == "PARTIALLY_FILLED").expect("a partial fill");
    let seq = &partial["venue"]["seq"];
    assert!(of("status").iter().any(|e| &e["venue"]["seq"] == seq && e["venue"]["status"] == "FILLED"), "{partial}");
    assert_eq!(of("trade").iter().filter(|e| &e["venue"]["seq"] == seq).count(), 3);
    // Each trade was applied once, and every fill is a venue trade.
    let trade_ids: Vec<u64> = of("trade").iter().map(|e| e["venue"]["trade"]["trade_id"].as_u64().unwrap()).collect();
    let unique: std::collections::BTreeSet<u64> = trade_ids.iter().copied().collect();
    assert_eq!(unique.len(), trade_ids.len(), "a trade applied twice");
    let fills = events.iter().filter(|e| e["event"] == "fill").count();
    assert_eq!(fills, trade_ids.len() - pending_at_end(&events), "every venue trade is a fill of the next bar");
    // The run's books explain the account exactly.
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("live.json")).unwrap()).unwrap();
    assert_eq!(record["venue"]["reconciled"], true, "{record}");
    assert_eq!(record["venue"]["open_orders"], 0, "{record}");
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["fills"].as_u64(), Some(fills as u64));
}

/// Trades reported after the last bar was stepped (of orders placed on it): journalled, not yet in the books.
fn pending_at_end(events: &[serde_json::Value]) -> usize {
    let last_bar = events.iter().rposition(|e| e["event"] == "bar").unwrap_or(0);
    events[last_bar..].iter().filter(|e| e["event"] == "venue" && e["venue"]["venue_event"] == "trade").count()
}

#[test]
fn a_live_run_refuses_a_venue_it_cannot_trade_on() {
    let v = venue(&[]);
    let dir = common::tempdir();
    let wrong = live_on(&v, &dir.path().join("a"), "10", "not-the-secret");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(stderr(&wrong).contains("-1022") && stderr(&wrong).contains("wrong API secret"), "{}", stderr(&wrong));
    let unset = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--broker", "binance"])
        .args(["--rest-url", &format!("http://{}", v.addr), "--feed-url", &format!("ws://{}", v.addr)])
        .env_remove("BINANCE_API_KEY")
        .env_remove("BINANCE_API_SECRET")
        .current_dir(root())
        .output()
        .unwrap();
    assert!(stderr(&unset).contains("BINANCE_API_KEY and BINANCE_API_SECRET are not set"), "{}", stderr(&unset));
    let other = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["live", "strategies/sma_cross.strat", "--feed", "binance:DOGEUSDT@1m", "--broker", "binance"])
        .args(["--rest-url", &format!("http://{}", v.addr), "--feed-url", &format!("ws://{}", v.addr)])
        .env("BINANCE_API_KEY", KEY)
        .env("BINANCE_API_SECRET", SECRET)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(stderr(&other).contains("unknown symbol (-1121)"), "{}", stderr(&other));
}

/// Runs `strata live --broker binance --venue-lockstep` against `v` with warm-up from `warm`, writing into `out`.
fn lockstep_run(v: &Venue, warm: &std::path::Path, out: &std::path::Path, bars: &str) -> std::process::Child {
    let (ws, http) = (format!("ws://{}", v.addr), format!("http://{}", v.addr));
    Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws])
        .args(["--rest-url", &http, "--broker", "binance", "--venue-lockstep", "--max-bars", bars, "--fees-bps", "10"])
        .args(["--warmup-data", warm.to_str().unwrap(), "--out", out.to_str().unwrap(), "--backoff-ms", "1"])
        .env("BINANCE_API_KEY", KEY)
        .env("BINANCE_API_SECRET", SECRET)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[cfg(unix)]
#[test]
fn a_run_killed_at_random_points_ends_with_the_fills_and_position_of_an_uninterrupted_one() {
    let dir = common::tempdir();
    let (warm, traded) = common::warm_and_traded(dir.path(), "btcperp-2022-01.1m.parquet", 600, 40);
    let serve = || venue_on(traded.to_str().unwrap(), &["--lockstep"]);
    let n = "400";

    // The uninterrupted run.
    let reference = dir.path().join("reference");
    let v = serve();
    let out = lockstep_run(&v, &warm, &reference, n).wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    drop(v);

    // The same run on a fresh venue, killed with SIGKILL at random points and started again until it finishes.
    let killed = dir.path().join("killed");
    let v = serve();
    let mut seed: u64 = 0x5eed_2026;
    let (mut kills, mut stalled, mut journal_len) = (0, 0u64, 0);
    loop {
        // A run killed after its `stop` line had finished (its outputs are written before it).
        let journal = std::fs::read_to_string(killed.join("journal.jsonl")).unwrap_or_default();
        if journal.lines().last().is_some_and(|l| l.starts_with("{\"event\":\"stop\"")) {
            break;
        }
        let mut child = lockstep_run(&v, &warm, &killed, n);
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // A random point within the next 5–65 ms of the run; later when a slow machine made no progress before
        // the last kill (so the run always gets further).
        let kill_after = std::time::Duration::from_millis(5 + (seed >> 33) % 60 + 25 * stalled);
        let start = std::time::Instant::now();
        let exited = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if start.elapsed() >= kill_after {
                break None;
            }
            std::thread::park_timeout(std::time::Duration::from_millis(1));
        };
        match exited {
            Some(status) => {
                let mut err = String::new();
                std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
                let journal = std::fs::read_to_string(killed.join("journal.jsonl")).unwrap_or_default();
                let tail: Vec<&str> = journal.lines().rev().take(12).collect();
                assert!(
                    status.success(),
                    "after {kills} kills: {err}\njournal, last lines first:\n{}",
                    tail.join("\n")
                );
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
                let len = std::fs::metadata(killed.join("journal.jsonl")).map_or(0, |m| m.len());
                stalled = if len > journal_len { 0 } else { stalled + 1 };
                journal_len = len;
                assert!(kills < 300, "the run never finished");
            }
        }
    }
    assert!(kills >= 5, "killed only {kills} times");
    let journal = std::fs::read_to_string(killed.join("journal.jsonl")).unwrap();
    assert!(journal.matches("\"event\":\"resume\"").count() >= 3, "resumed only a few times:\n{journal}");
    for file in ["fills.parquet", "equity.parquet"] {
        let (a, b) = (std::fs::read(reference.join(file)).unwrap(), std::fs::read(killed.join(file)).unwrap());
        assert!(
            a == b,
            "{file} differs after {kills} kills: {}",
            first_difference(&reference.join(file), &killed.join(file))
        );
    }
    let venue_record = |d: &std::path::Path| {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("live.json")).unwrap()).unwrap();
        v["venue"].clone()
    };
    let (a, b) = (venue_record(&reference), venue_record(&killed));
    assert_eq!(a["end"], b["end"], "the account ends the same");
    assert_eq!((a["reconciled"].as_bool(), b["reconciled"].as_bool()), (Some(true), Some(true)));
    let summary = |d: &std::path::Path| {
        let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("summary.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("data");
        v
    };
    assert_eq!(summary(&reference), summary(&killed));
    assert!(summary(&reference)["fills"].as_u64() > Some(6), "the run traded");
}

/// The first row where two Parquet files differ, for a failure message.
fn first_difference(a: &std::path::Path, b: &std::path::Path) -> String {
    use polars::prelude::*;
    let read = |p: &std::path::Path| ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap();
    let (a, b) = (read(a), read(b));
    if a.height() != b.height() {
        return format!("{} rows against {}", a.height(), b.height());
    }
    let floats = |df: &DataFrame, name: &str| -> Vec<f64> {
        let c = df.column(name).unwrap().f64().unwrap();
        (0..c.len()).map(|i| c.get(i).unwrap_or(f64::NAN)).collect()
    };
    let name = if a.column("equity").is_ok() { "equity" } else { "qty" };
    let (x, y) = (floats(&a, name), floats(&b, name));
    match x.iter().zip(&y).position(|(p, q)| p.to_bits() != q.to_bits()) {
        Some(i) => format!("row {i}: {name} {} against {}", x[i], y[i]),
        None => "the same rows".to_string(),
    }
}

#[test]
fn a_resumed_run_refuses_to_trade_a_position_its_journal_cannot_explain() {
    let dir = common::tempdir();
    let (warm, traded) = common::warm_and_traded(dir.path(), "btcperp-2022-01.1m.parquet", 300, 40);
    let v = venue_on(traded.to_str().unwrap(), &["--lockstep"]);
    let out = dir.path().join("out");
    let run = lockstep_run(&v, &warm, &out, "100").wait_with_output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    // As if it had been killed before its end: the stop line is gone …
    let journal = out.join("journal.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("{\"event\":\"stop\"")).collect();
    std::fs::write(&journal, kept.join("\n") + "\n").unwrap();
    // … and meanwhile someone traded on the same account (sold some of the run's position, or bought if it is flat).
    let client = strata_runtime::venue::client::BinanceClient::new(strata_runtime::venue::client::ClientConfig::new(
        strata_runtime::live::net::Endpoint::parse(&format!("http://{}", v.addr)).unwrap(),
        strata_runtime::venue::binance::Credentials::new(KEY, strata_runtime::venue::binance::Secret::new(SECRET)),
    ));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let size = strata_runtime::venue::client::OrderSize::Qty(0.01);
    let sold = rt.block_on(client.place("BTCUSDT", strata_runtime::order::Side::Sell, size, None, "someone-else"));
    if sold.is_err() {
        rt.block_on(client.place("BTCUSDT", strata_runtime::order::Side::Buy, size, None, "someone-else")).unwrap();
    }
    let again = lockstep_run(&v, &warm, &out, "150").wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{err}");
    assert!(err.contains("the journal explains") && err.contains("refusing to trade until they agree"), "{err}");
    // It placed nothing.
    let after = std::fs::read_to_string(&journal).unwrap();
    assert!(!after[text.len().min(after.len())..].contains("\"venue_event\":\"placed\""), "{after}");
}
