//! `strata live` as a user runs it, against `strata feed serve` as a user runs it:
//! - the one-word switch: the same strategy and options give byte-identical `fills.parquet` and `equity.parquet`
//!   live (over a faulty feed) as in a backtest, with `--warmup-data` meaning the same in both modes;
//! - SIGTERM and Ctrl-C (SIGINT) stop a run gracefully, with its outputs and journal written;
//! - an unreachable feed is retried, then reported; bad flags are named.
//!
//! No sleeps: every wait polls with a deadline.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{first_bars, root, stderr, strata, write_bars};

const DEADLINE: Duration = Duration::from_secs(60);

/// A feed server child (killed when dropped) and its port.
struct Server {
    _child: common::ServerChild,
    port: u16,
}

/// Starts `strata feed serve --port 0 ARGS`.
fn serve(args: &[&str]) -> Server {
    let (child, port) = common::serve_feed(args);
    Server { _child: child, port }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn live_and_backtest_write_the_same_files() {
    let dir = common::tempdir();
    let bars = first_bars("btc-2017-11.1m.parquet", 1500);
    let (warm, traded) = bars.split_at(200);
    let (warm_file, traded_file) = (dir.path().join("warm.parquet"), dir.path().join("traded.parquet"));
    write_bars(&warm_file, warm);
    write_bars(&traded_file, traded);
    for strategy in ["strategies/sma_cross.strat", "strategies/rsi_revert.rhai"] {
        let server = serve(&[
            "--data",
            traded_file.to_str().unwrap(),
            "--symbol",
            "BTCUSDT",
            "--drop-every",
            "101",
            "--duplicate-every",
            "3",
            "--shutdown-every",
            "257",
        ]);
        let (live_out, bt_out) = (dir.path().join("live"), dir.path().join("bt"));
        let common =
            ["--fees-bps", "7", "--slippage-bps", "3", "--cash", "50000", "--warmup-data", warm_file.to_str().unwrap()];
        let url = |scheme: &str| format!("{scheme}://127.0.0.1:{}", server.port);
        let (ws, http, n) = (url("ws"), url("http"), traded.len().to_string());
        let mut live_args = vec!["live", strategy, "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws];
        live_args.extend(["--rest-url", &http, "--max-bars", &n, "--backoff-ms", "1", "--out"]);
        live_args.push(live_out.to_str().unwrap());
        live_args.extend(common);
        let live = strata(&live_args);
        assert!(live.status.success(), "{strategy}: {}", stderr(&live));
        let mut bt_args = vec!["backtest", strategy, "--data", traded_file.to_str().unwrap(), "--out"];
        bt_args.push(bt_out.to_str().unwrap());
        bt_args.extend(common);
        let bt = strata(&bt_args);
        assert!(bt.status.success(), "{strategy}: {}", stderr(&bt));
        for file in ["fills.parquet", "equity.parquet"] {
            assert!(read(&live_out.join(file)) == read(&bt_out.join(file)), "{strategy}: {file} differs");
        }
        let summary = |d: &Path| {
            let mut v: serde_json::Value = serde_json::from_slice(&read(&d.join("summary.json"))).unwrap();
            v.as_object_mut().unwrap().remove("data");
            v
        };
        assert_eq!(summary(&live_out), summary(&bt_out), "{strategy}");
        let record: serde_json::Value = serde_json::from_slice(&read(&live_out.join("live.json"))).unwrap();
        assert_eq!(record["stopped"], "max-bars");
        assert_eq!(record["warmup_bars"], 200);
        // Every bar arrived, by the stream or by REST catch-up (which one depends on timing, the result does not).
        assert_eq!(record["feed"]["counts"]["bars"].as_u64(), Some(traded.len() as u64), "{record}");
        let journal = String::from_utf8(read(&live_out.join("journal.jsonl"))).unwrap();
        let count = |event: &str| journal.lines().filter(|l| l.contains(&format!("\"event\":\"{event}\""))).count();
        assert_eq!((count("warmup_bar"), count("bar"), count("stop")), (200, traded.len(), 1));
        let fills: serde_json::Value = serde_json::from_slice(&read(&bt_out.join("summary.json"))).unwrap();
        assert_eq!(count("fill"), fills["fills"].as_u64().unwrap() as usize);
        std::fs::remove_dir_all(&live_out).unwrap();
        std::fs::remove_dir_all(&bt_out).unwrap();
    }
}

#[test]
fn risk_limits_deny_the_same_orders_live_and_in_a_backtest() {
    let dir = common::tempdir();
    let bars = first_bars("btc-2017-11.1m.parquet", 1500);
    let traded_file = dir.path().join("traded.parquet");
    write_bars(&traded_file, &bars[200..]);
    let n = (bars.len() - 200).to_string();
    let limits = ["--cash", "50000", "--fees-bps", "7", "--daily-loss-limit", "400", "--price-collar-pct", "0.02"];
    let server = serve(&["--data", traded_file.to_str().unwrap(), "--symbol", "BTCUSDT", "--drop-every", "211"]);
    let (live_out, bt_out) = (dir.path().join("live"), dir.path().join("bt"));
    let url = |scheme: &str| format!("{scheme}://127.0.0.1:{}", server.port);
    let (ws, http) = (url("ws"), url("http"));
    let mut live_args = vec!["live", "strategies/rsi_revert.rhai", "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws];
    live_args.extend(["--rest-url", &http, "--max-bars", &n, "--backoff-ms", "1", "--out", live_out.to_str().unwrap()]);
    live_args.extend(limits);
    let live = strata(&live_args);
    assert!(live.status.success(), "{}", stderr(&live));
    let mut bt_args = vec!["backtest", "strategies/rsi_revert.rhai", "--data", traded_file.to_str().unwrap()];
    bt_args.extend(["--out", bt_out.to_str().unwrap()]);
    bt_args.extend(limits);
    let bt = strata(&bt_args);
    assert!(bt.status.success(), "{}", stderr(&bt));
    let summary = |d: &Path| serde_json::from_slice::<serde_json::Value>(&read(&d.join("summary.json"))).unwrap();
    let (live_summary, bt_summary) = (summary(&live_out), summary(&bt_out));
    let denied = &bt_summary["risk_denied"];
    assert!(denied["daily_loss_limit"].as_u64() > Some(0) && denied["price_collar"].as_u64() > Some(0), "{denied}");
    assert_eq!(&live_summary["risk_denied"], denied);
    assert!(read(&live_out.join("fills.parquet")) == read(&bt_out.join("fills.parquet")), "fills differ");
    // Each denial is a typed event in the journal and a line in the log.
    let journal = String::from_utf8(read(&live_out.join("journal.jsonl"))).unwrap();
    let events: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["event"] == "denied")
        .collect();
    let total: u64 = denied.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(events.len() as u64, total);
    assert!(events.iter().all(|e| e["denial"]["rule"].is_string() && e["denial"]["order_seq"].is_u64()));
    assert_eq!(stderr(&live).matches("order denied by the risk limits").count() as u64, total);
    // The text summary says what the limits denied.
    let text = strata(&[
        "backtest",
        "strategies/rsi_revert.rhai",
        "--data",
        traded_file.to_str().unwrap(),
        limits[0],
        limits[1],
        limits[2],
        limits[3],
        limits[4],
        limits[5],
        limits[6],
        limits[7],
    ]);
    assert!(
        common::stdout(&text).contains(&format!("risk        {total} orders denied: ")),
        "{}",
        common::stdout(&text)
    );
}

#[test]
fn a_halted_run_places_nothing_and_says_why() {
    let dir = common::tempdir();
    let control = dir.path().join("control");
    std::fs::write(&control, "halted\n").unwrap();
    let out = dir.path().join("out");
    let run = live_with_broker("paper", &out, "300", &["--control", control.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(journal_orders(&out).is_empty(), "no order placed while HALTED");
    let summary: serde_json::Value = serde_json::from_slice(&read(&out.join("summary.json"))).unwrap();
    assert_eq!(summary["fills"], 0);
    assert!(summary["risk_denied"]["halted"].as_u64() > Some(0), "{summary}");
    let journal = String::from_utf8(read(&out.join("journal.jsonl"))).unwrap();
    assert!(journal.contains(r#"{"event":"state","state":"HALTED","from":"ACTIVE"}"#), "{journal}");
    // A control file that says nothing we know is refused at start, naming the file.
    std::fs::write(&control, "paused\n").unwrap();
    let bad = live_with_broker("paper", &dir.path().join("bad"), "10", &["--control", control.to_str().unwrap()]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("--control") && stderr(&bad).contains("unknown trading state 'paused'"),
        "{}",
        stderr(&bad)
    );
}

/// Polls `f` until it is true or the deadline passes.
fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

#[cfg(unix)]
#[test]
fn sigterm_and_ctrl_c_stop_a_live_run_with_its_outputs_written() {
    for signal in ["TERM", "INT"] {
        stops_on(signal);
    }
}

#[cfg(unix)]
fn stops_on(signal: &str) {
    let dir = common::tempdir();
    // Real time × 600: a minute bar every 100 ms, so the run is still going when it is stopped.
    let server = serve(&["--data", "data/btc-2017-11.1m.parquet", "--symbol", "BTCUSDT", "--speed", "600"]);
    let out = dir.path().join("out");
    let url = |scheme: &str| format!("{scheme}://127.0.0.1:{}", server.port);
    let mut child = Command::new(env!("CARGO_BIN_EXE_strata"))
        .args(["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m"])
        .args(["--feed-url", &url("ws"), "--rest-url", &url("http"), "--out", out.to_str().unwrap()])
        .args(["--log-format", "json"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let journal = out.join("journal.jsonl");
    wait_for("two bars in the journal", || {
        std::fs::read_to_string(&journal).is_ok_and(|j| j.matches("\"event\":\"bar\"").count() >= 2)
    });
    let kill = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < DEADLINE, "the run did not stop on SIGTERM");
        std::thread::park_timeout(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(status.success(), "{logs}");
    for file in ["fills.parquet", "equity.parquet", "summary.json", "live.json"] {
        assert!(out.join(file).exists(), "{file} missing; {logs}");
    }
    let record: serde_json::Value = serde_json::from_slice(&read(&out.join("live.json"))).unwrap();
    assert_eq!(record["stopped"], "signal");
    // JSON logs: every line an object; the stop and the end are there.
    for line in logs.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v.get("level").is_some() && v.get("message").is_some(), "{line}");
    }
    assert!(logs.contains(&format!("\"signal\":\"SIG{signal}\"")), "{logs}");
    assert!(logs.contains("live run ended"), "{logs}");
    let journal = std::fs::read_to_string(&journal).unwrap();
    assert!(journal.lines().last().unwrap().starts_with(r#"{"event":"stop","reason":"signal""#), "{journal}");
}

#[test]
fn an_unreachable_feed_is_retried_then_reported() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (ws, http) = (format!("ws://127.0.0.1:{port}"), format!("http://127.0.0.1:{port}"));
    let base = ["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws];
    let tail = ["--rest-url", &http, "--attempts", "3", "--backoff-ms", "1", "--backoff-max-ms", "5"];
    // Warm-up history comes from the REST API first.
    let o = strata(&[&base[..], &tail[..]].concat());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("error: cannot read the venue's history at http://127.0.0.1:{port}/api/v3/klines")),
        "{err}"
    );
    // With warm-up from a file, the WebSocket is tried.
    let warm = ["--warmup-data", "data/btc-2017-11.1m.parquet"];
    let o = strata(&[&base[..], &tail[..], &warm[..]].concat());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let want = format!(
        "error: cannot reach the market-data feed at ws://127.0.0.1:{port}/ws/btcusdt@kline_1m after 3 attempts"
    );
    assert!(err.contains(&want), "{err}");
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn bad_live_flags_are_named() {
    let cases: [(&[&str], &str); 5] = [
        (&["--feed", "kraken:XBTUSD@1m"], "--feed: unknown venue 'kraken' (venues: binance)"),
        (&["--feed", "binance:BTCUSDT@7m"], "--feed: unknown interval '7m'"),
        (&["--feed", "BTCUSDT"], "--feed: 'BTCUSDT' is not VENUE:SYMBOL@INTERVAL"),
        (&["--feed", "binance:BTCUSDT@1m", "--feed-url", "ftp://x"], "--feed-url: 'ftp://x' is not a usable URL"),
        (
            &["--feed", "binance:BTCUSDT@1m", "--backoff-ms", "500", "--backoff-max-ms", "10"],
            "--backoff-max-ms (10) is less than --backoff-ms (500)",
        ),
    ];
    for (args, want) in cases {
        let o = strata(&[&["live", "strategies/sma_cross.strat"][..], args].concat());
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
    let o = strata(&["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--broker", "ftx"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid value 'ftx' for '--broker"), "{}", stderr(&o));
    assert!(stderr(&o).contains("brokers: paper, binance, signals:"), "{}", stderr(&o));
}

/// Runs `strata live` on the bundled minute bars for `bars` bars with `--broker BROKER`, writing into `out`.
fn live_with_broker(broker: &str, out: &Path, bars: &str, extra: &[&str]) -> std::process::Output {
    let server = serve(&["--data", "data/btc-2017-11.1m.parquet", "--symbol", "BTCUSDT"]);
    let url = |scheme: &str| format!("{scheme}://127.0.0.1:{}", server.port);
    let (ws, http) = (url("ws"), url("http"));
    let mut args = vec!["live", "strategies/sma_cross.strat", "--feed", "binance:BTCUSDT@1m", "--feed-url", &ws];
    args.extend(["--rest-url", &http, "--max-bars", bars, "--broker", broker, "--backoff-ms", "1"]);
    args.extend(["--out", out.to_str().unwrap()]);
    args.extend(extra);
    strata(&args)
}

/// The `order` lines of a run's journal, as (seq, signal_ts).
fn journal_orders(out: &Path) -> Vec<(u64, i64)> {
    let journal = std::fs::read_to_string(out.join("journal.jsonl")).unwrap();
    journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "order")
        .map(|v| (v["order"]["seq"].as_u64().unwrap(), v["order"]["signal_ts"].as_i64().unwrap()))
        .collect()
}

fn signal_keys(signals: &[serde_json::Value]) -> Vec<(u64, i64)> {
    signals.iter().map(|s| (s["seq"].as_u64().unwrap(), s["signal_ts"].as_i64().unwrap())).collect()
}

#[test]
fn a_signals_file_gets_every_intent_once_in_order() {
    let dir = common::tempdir();
    let out = dir.path().join("out");
    let file = dir.path().join("signals/intents.jsonl");
    let o = live_with_broker(&format!("signals:{}", file.display()), &out, "600", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let signals: Vec<serde_json::Value> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let orders = journal_orders(&out);
    assert!(orders.len() >= 4, "the strategy trades in 600 bars: {orders:?}");
    assert_eq!(signal_keys(&signals), orders);
    let first = &signals[0];
    assert_eq!(
        (first["strategy"].as_str(), first["side"].as_str(), first["size_kind"].as_str()),
        (Some("SMA cross"), Some("buy"), Some("percent"))
    );
    assert_eq!(first["client_order_id"], format!("st-SMAcross-{}", first["seq"]));
    assert!(first["reference_price"].as_f64().unwrap() > 0.0);
    // The paper simulation ran beside the signals: the run's own report has its fills.
    let summary: serde_json::Value = serde_json::from_slice(&read(&out.join("summary.json"))).unwrap();
    assert!(summary["fills"].as_u64().unwrap() > 0);
}

#[test]
fn an_http_signal_endpoint_gets_every_intent_retried_until_accepted() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Read the head, then the body by its Content-Length.
            let body = loop {
                let Ok(n) = stream.read(&mut buf) else { break None };
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        assert!(head.starts_with("POST /orders HTTP/1.1"), "{head}");
                        break Some(body.to_string());
                    }
                }
            };
            let Some(body) = body else { continue };
            // Every third request fails: the client must retry it.
            let status = if i % 3 == 1 { "503 Service Unavailable" } else { "200 OK" };
            if status.starts_with("200") {
                seen.lock().unwrap().push(body);
            }
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}");
        }
    });
    let dir = common::tempdir();
    let out = dir.path().join("out");
    let o = live_with_broker(&format!("signals:http://127.0.0.1:{port}/orders"), &out, "600", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let signals: Vec<serde_json::Value> =
        bodies.lock().unwrap().iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let orders = journal_orders(&out);
    assert!(orders.len() >= 4, "{orders:?}");
    assert_eq!(signal_keys(&signals), orders);
    assert!(stderr(&o).contains("signal delivery failed"), "the failures were retried: {}", stderr(&o));
}

#[test]
fn a_signal_sink_that_cannot_be_reached_stops_the_run_with_its_outputs() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = common::tempdir();
    let out = dir.path().join("out");
    let o = live_with_broker(&format!("signals:http://127.0.0.1:{port}/orders"), &out, "2000", &["--attempts", "2"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    let want = format!("error: signal sink http://127.0.0.1:{port}/orders: intent 1 not delivered after 2 attempts");
    assert!(err.contains(&want), "{err}");
    let record: serde_json::Value = serde_json::from_slice(&read(&out.join("live.json"))).unwrap();
    assert_eq!(record["stopped"], "signal sink error");
    assert!(record["latency"]["bars"].as_u64().unwrap() < 2000);
    let o = strata(&[
        "live",
        "strategies/sma_cross.strat",
        "--feed",
        "binance:BTCUSDT@1m",
        "--broker",
        "signals:kafka://x/y",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("signal targets are a file, http(s)://… or redis://…"), "{}", stderr(&o));
}

/// A real Redis server: `.ci/run` installs one and sets `STRATA_REQUIRE_REDIS=1`; elsewhere the test runs when
/// `redis-server` is on the PATH.
#[test]
fn a_redis_stream_gets_every_intent_in_order() {
    let required = std::env::var("STRATA_REQUIRE_REDIS").is_ok_and(|v| v == "1");
    let available = Command::new("redis-server").arg("--version").output().is_ok_and(|o| o.status.success());
    if !available {
        assert!(!required, "STRATA_REQUIRE_REDIS=1 but redis-server is not installed");
        eprintln!("redis-server is not installed: skipping (.ci/run installs it)");
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = common::tempdir();
    let mut redis = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let cli = |args: &[&str]| {
        let o = Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output().unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    wait_for("redis to answer PING", || cli(&["PING"]) == "PONG");
    let out = dir.path().join("out");
    let o = live_with_broker(&format!("signals:redis://127.0.0.1:{port}/intents"), &out, "600", &[]);
    let xrange = cli(&["--raw", "XRANGE", "intents", "-", "+"]);
    let _ = redis.kill();
    let _ = redis.wait();
    assert!(o.status.success(), "{}", stderr(&o));
    let signals: Vec<serde_json::Value> =
        xrange.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let orders = journal_orders(&out);
    assert!(orders.len() >= 4, "{orders:?}");
    assert_eq!(signal_keys(&signals), orders);
}
