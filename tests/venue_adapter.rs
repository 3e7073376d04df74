//! The Binance order adapter against the fake venue over loopback: signed requests, fills (partial, duplicated),
//! and every failure the venue or the network can produce — a 5XX with and without the order placed, a proxy's
//! HTML page, an answer cut off, a timeout, 429 with Retry-After, a wrong key or secret, clock skew, an unknown symbol, a
//! quantity under the minimum. And the secret never reaches the logs, even at trace level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use strata_runtime::bar::Bar;
use strata_runtime::live::binance::Stream;
use strata_runtime::live::net::Endpoint;
use strata_runtime::live::server::{self, FeedConfig};
use strata_runtime::order::Side;
use strata_runtime::venue::binance::{Credentials, Outcome, Secret, VenueError};
use strata_runtime::venue::client::{BinanceClient, ClientConfig, ClientError, OrderSize};
use strata_runtime::venue::fake::{Exchange, FakeConfig, Fault};
use strata_runtime::venue::orders::{Applied, TrackedOrder};

const KEY: &str = "test-api-key-0001";
const SECRET: &str = "s3cr3t-Zx9Qw7Lm2Np5Rt8Vb4Hj6Kd1Fg3Sa0";

struct Venue {
    url: String,
    exchange: Arc<Mutex<Exchange>>,
    _rt: tokio::runtime::Runtime,
}

/// A fake venue on a loopback port, its market at 100.
fn venue() -> Venue {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let exchange = Arc::new(Mutex::new(Exchange::new(FakeConfig::new(KEY, Secret::new(SECRET), "BTCUSDT", 10_000.0))));
    let bars = vec![Bar { ts: 0, open: 100.0, high: 100.0, low: 100.0, close: 100.0, volume: 1.0 }];
    let listener = rt.block_on(server::bind(0)).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = FeedConfig::new(Stream::parse("BTCUSDT@1m").unwrap());
    rt.spawn(server::serve_with(listener, bars, config, Some(exchange.clone())));
    Venue { url, exchange, _rt: rt }
}

fn client_with(url: &str, key: &str, secret: &str) -> BinanceClient {
    let mut cfg = ClientConfig::new(Endpoint::parse(url).unwrap(), Credentials::new(key, Secret::new(secret)));
    cfg.retry_pause = Duration::from_millis(10);
    cfg.timeout = Duration::from_secs(5);
    BinanceClient::new(cfg)
}

fn client(v: &Venue) -> BinanceClient {
    client_with(&v.url, KEY, SECRET)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn fault(v: &Venue, f: Fault) {
    v.exchange.lock().unwrap().push_fault(f);
}

fn placed(v: &Venue) -> usize {
    v.exchange.lock().unwrap().orders_placed()
}

#[test]
fn a_market_order_fills_and_its_trades_count_once() {
    let v = venue();
    let c = client(&v);
    let info = block(c.symbol_info("BTCUSDT")).unwrap();
    assert_eq!((info.base.as_str(), info.quote.as_str()), ("BTC", "USDT"));
    let qty = info.order_qty(2.5, 100.0).unwrap();
    let report = block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(qty), None, "st-run-1")).unwrap();
    assert_eq!((report.status.as_str(), report.executed_qty, report.trades.len()), ("FILLED", 2.5, 1));
    let mut order = TrackedOrder::new(1, "st-run-1".into(), Side::Buy, report.orig_qty);
    let Applied::New(fill) = order.apply(&report.trades[0], &info.base, 60_000) else { panic!("not applied") };
    assert_eq!((fill.qty, fill.price, fill.fee), (2.5 - 0.0025, 100.0, 0.0025 * 100.0));
    // The same trade again, from the trade list: counted once.
    let listed = block(c.trades("BTCUSDT", report.venue_id)).unwrap();
    assert_eq!(order.apply(&listed[0], &info.base, 60_000), Applied::Duplicate);
    let balances = block(c.balances()).unwrap();
    assert_eq!(balances["USDT"], 10_000.0 - 250.0);
    assert!(block(c.open_orders("BTCUSDT")).unwrap().is_empty());
}

#[test]
fn partial_fills_accumulate_across_queries() {
    let v = venue();
    let c = client(&v);
    fault(&v, Fault::Partial { parts: 3 });
    let report = block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(3.0), None, "st-run-2")).unwrap();
    assert_eq!((report.status.as_str(), report.trades.len()), ("PARTIALLY_FILLED", 1));
    let mut order = TrackedOrder::new(2, "st-run-2".into(), Side::Buy, report.orig_qty);
    assert!(matches!(order.apply(&report.trades[0], "BTC", 0), Applied::New(_)));
    assert_eq!(block(c.open_orders("BTCUSDT")).unwrap().len(), 1);
    v.exchange.lock().unwrap().on_price(101.0, 60_000);
    v.exchange.lock().unwrap().on_price(102.0, 120_000);
    let mut new = 0;
    for t in block(c.trades("BTCUSDT", report.venue_id)).unwrap() {
        if matches!(order.apply(&t, "BTC", 0), Applied::New(_)) {
            new += 1;
        }
    }
    assert_eq!((new, order.executed), (2, 3.0));
    assert_eq!(block(c.query_order("BTCUSDT", "st-run-2")).unwrap().unwrap().status, "FILLED");
}

#[test]
fn an_unknown_outcome_is_resolved_by_querying_never_by_resubmitting_blindly() {
    for (f, why) in [
        (Fault::ServerErrorPlaced, "503 -1007 after placing"),
        (Fault::ResetPlaced, "answer cut off after placing"),
        (Fault::ServerErrorNotPlaced, "500 before placing"),
        (Fault::Html, "a proxy's HTML page"),
    ] {
        let v = venue();
        let c = client(&v);
        fault(&v, f);
        let report = block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "st-run-3"))
            .unwrap_or_else(|e| panic!("{why}: {e}"));
        assert_eq!(placed(&v), 1, "{why}: exactly one order at the venue");
        assert_eq!((report.status.as_str(), report.executed_qty), ("FILLED", 1.0), "{why}");
        assert_eq!(report.trades.len(), 1, "{why}: the fill is found");
    }
}

#[test]
fn a_placement_that_times_out_is_found_by_its_client_order_id() {
    let v = venue();
    let mut cfg = ClientConfig::new(Endpoint::parse(&v.url).unwrap(), Credentials::new(KEY, Secret::new(SECRET)));
    cfg.retry_pause = Duration::from_millis(10);
    cfg.timeout = Duration::from_millis(300);
    let c = BinanceClient::new(cfg);
    fault(&v, Fault::Stall { ms: 2_000 });
    let report = block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "st-run-5")).unwrap();
    assert_eq!((report.status.as_str(), report.trades.len(), placed(&v)), ("FILLED", 1, 1));
}

#[test]
fn rate_limits_are_waited_out_as_retry_after_says() {
    let v = venue();
    let c = client(&v);
    fault(&v, Fault::RateLimited { retry_after_s: 1 });
    let start = Instant::now();
    let report = block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "st-run-4")).unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1), "waited {:?}", start.elapsed());
    assert_eq!((report.status.as_str(), placed(&v)), ("FILLED", 1));
}

#[test]
fn refusals_are_typed_and_place_nothing() {
    let v = venue();
    let code = |e: ClientError| match e {
        ClientError::Venue(v) => v,
        other => panic!("not a venue error: {other}"),
    };
    let wrong_secret = client_with(&v.url, KEY, "not-the-secret");
    let e = code(block(wrong_secret.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "a")).unwrap_err());
    assert!(matches!(e, VenueError::BadSignature { .. }), "{e}");
    assert_eq!(e.outcome(), Outcome::Rejected);
    let wrong_key = client_with(&v.url, "someone-else", SECRET);
    assert!(matches!(code(block(wrong_key.balances()).unwrap_err()), VenueError::BadKey { code: -2015, .. }));
    // A clock 10 s behind the venue's: outside the 5 s recvWindow.
    let mut cfg = ClientConfig::new(Endpoint::parse(&v.url).unwrap(), Credentials::new(KEY, Secret::new(SECRET)));
    cfg.retry_pause = Duration::from_millis(10);
    let skewed = BinanceClient::with_clock(cfg, || {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64 - 10_000
    });
    let e = code(block(skewed.balances()).unwrap_err());
    assert!(matches!(e, VenueError::ClockSkew { .. }) && e.to_string().contains("check the clock"), "{e}");
    let c = client(&v);
    assert!(matches!(code(block(c.symbol_info("NOPEUSDT")).unwrap_err()), VenueError::UnknownSymbol { .. }));
    let e = code(block(c.place("NOPEUSDT", Side::Buy, OrderSize::Qty(1.0), None, "b")).unwrap_err());
    assert!(matches!(e, VenueError::UnknownSymbol { .. }));
    // Under the minimum: refused before sending, and by the venue when sent anyway.
    let info = block(c.symbol_info("BTCUSDT")).unwrap();
    assert!(info.order_qty(0.000001, 100.0).unwrap_err().contains("LOT_SIZE"));
    let e = code(block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(0.000001), None, "c")).unwrap_err());
    assert!(matches!(e, VenueError::Filter { .. }), "{e}");
    fault(&v, Fault::Reject { code: -2010, msg: "Account has insufficient balance for requested action.".into() });
    let e = code(block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "d")).unwrap_err());
    assert!(matches!(e, VenueError::Rejected { code: -2010, .. }));
    assert_eq!(placed(&v), 0);
}

#[test]
fn a_venue_that_is_not_there_refuses_before_anything_is_sent() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e =
        block(client_with(&url, KEY, SECRET).place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "x")).unwrap_err();
    assert!(matches!(e, ClientError::Net(_)), "{e}");
    assert_eq!(e.outcome(), Outcome::Rejected, "nothing was sent: {e}");
}

/// Log lines written at trace level, collected.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_secret_never_reaches_the_logs_even_at_trace_level() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let v = venue();
    tracing::subscriber::with_default(subscriber, || {
        let c = client(&v);
        tracing::trace!(client = ?c, "client");
        fault(&v, Fault::ServerErrorPlaced);
        block(c.place("BTCUSDT", Side::Buy, OrderSize::Qty(1.0), None, "st-log-1")).unwrap();
        let bad = client_with(&v.url, KEY, "wrong");
        let _ = block(bad.balances());
        tracing::debug!(creds = ?Credentials::new(KEY, Secret::new(SECRET)), "credentials");
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("venue request") && logs.contains("unknown"), "trace logging was on: {logs}");
    assert!(!logs.contains(SECRET), "the secret is in the logs");
    assert!(!logs.contains(&SECRET[..12]), "part of the secret is in the logs");
    assert!(!logs.contains(KEY), "the full API key is in the logs");
}
