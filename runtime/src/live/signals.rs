//! Signal sinks: every order intent of a live run sent where a separate execution system picks it up — a JSON-lines
//! file, an HTTP endpoint, or a Redis stream — for quants who execute elsewhere.
//!
//! Design choice: the session never waits on a sink. Intents go into a bounded queue as the bar's orders are
//! placed, and one task delivers them in order, retrying with backoff; if a sink fails for good (or falls a whole
//! queue behind) the task stops, the queue closes, and the run stops at its next bar with the reason — an intent is
//! never dropped silently. The paper simulation still runs beside it, so the run's own report shows what the
//! signals would have done.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;
use thiserror::Error;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::feed::Backoff;
use super::net::{self, Endpoint};
use crate::order::{Action, OrderIntent, OrderType, Quantity};

/// Where the signals go: `signals:FILE.jsonl`, `signals:http://…`, `signals:redis://HOST:PORT/STREAM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalTarget {
    File(PathBuf),
    Http(Endpoint),
    Redis { server: Endpoint, stream: String },
}

impl SignalTarget {
    /// Parses what follows `signals:`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("signals: needs a target: FILE.jsonl, http://…, or redis://HOST:PORT/STREAM".into());
        }
        if let Some(rest) = text.strip_prefix("redis://") {
            let (authority, stream) = rest.split_once('/').unwrap_or((rest, ""));
            if stream.is_empty() || stream.contains('/') {
                return Err(format!("'{text}': a Redis target is redis://HOST:PORT/STREAM"));
            }
            let server = Endpoint::parse(&format!("http://{authority}")).map_err(|e| e.to_string())?;
            let server = Endpoint { port: if authority.contains(':') { server.port } else { 6379 }, ..server };
            return Ok(SignalTarget::Redis { server, stream: stream.to_string() });
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Endpoint::parse(text).map(SignalTarget::Http).map_err(|e| e.to_string());
        }
        if text.contains("://") {
            return Err(format!("'{text}': signal targets are a file, http(s)://… or redis://…"));
        }
        Ok(SignalTarget::File(PathBuf::from(text)))
    }
}

/// One order intent as sent: who placed it, what it asks, and the price it was decided at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub strategy: String,
    pub feed: String,
    /// The intent's number in the run (from 1).
    pub seq: u64,
    /// A deterministic id for the intent, for idempotent submission downstream.
    pub client_order_id: String,
    /// The bar whose close produced it (epoch ms).
    pub signal_ts: i64,
    /// `buy`, `sell`, `short`, `cover`, `close` (flatten the position), or `cancel` (the orders named `tag`).
    pub side: &'static str,
    /// `units`, `percent`, `cash`, `risk`, or `position` (for `close` and `cancel`).
    pub size_kind: &'static str,
    pub size: Option<f64>,
    /// `limit`, `stop` or `stop-limit`, with their prices; absent for a market order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<f64>,
    /// The name the order was placed under (its index among the strategy's order names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<u32>,
    /// The close of that bar.
    pub reference_price: f64,
}

impl Signal {
    pub fn new(strategy: &str, feed: &str, intent: &OrderIntent, reference_price: f64) -> Self {
        let (side, q, tag) = match intent.action {
            Action::Buy(q) => ("buy", Some(q), intent.tag),
            Action::Sell(q) => ("sell", Some(q), intent.tag),
            Action::Short(q) => ("short", Some(q), intent.tag),
            Action::Cover(q) => ("cover", Some(q), intent.tag),
            Action::Close => ("close", None, intent.tag),
            Action::Cancel(t) => ("cancel", None, Some(t)),
        };
        let (size_kind, size) = match q {
            Some(Quantity::Units(x)) => ("units", Some(x)),
            Some(Quantity::Percent(x)) => ("percent", Some(x)),
            Some(Quantity::Cash(x)) => ("cash", Some(x)),
            Some(Quantity::Risk(x)) => ("risk", Some(x)),
            None => ("position", None),
        };
        let (order_type, limit_price, stop_price) = match intent.kind {
            OrderType::Market => (None, None, None),
            OrderType::Limit(l) => (Some("limit"), Some(l), None),
            OrderType::Stop(s) => (Some("stop"), None, Some(s)),
            OrderType::StopLimit { stop, limit } => (Some("stop-limit"), Some(limit), Some(stop)),
        };
        Signal {
            strategy: strategy.to_string(),
            feed: feed.to_string(),
            seq: intent.seq,
            client_order_id: crate::venue::binance::client_order_id(strategy, intent.seq),
            signal_ts: intent.signal_ts,
            side,
            size_kind,
            size,
            order_type,
            limit_price,
            stop_price,
            tag,
            reference_price,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("signal sink {target}: {why}")]
pub struct SinkError {
    pub target: String,
    pub why: String,
}

/// Intents waiting for the sink, at most.
pub const QUEUE: usize = 10_000;

/// A connected sink.
enum Sink {
    File(tokio::fs::File),
    Http(Endpoint),
    Redis { server: Endpoint, stream: String, conn: Option<BufReader<Box<dyn net::Conn>>> },
}

/// Starts delivering signals: the sender to queue them on, and the task, which ends when the sender is dropped and
/// everything queued is delivered — or at the first signal that could not be delivered after the retries.
pub async fn start(
    target: SignalTarget,
    backoff: Backoff,
    timeout: Duration,
) -> Result<(mpsc::Sender<Signal>, tokio::task::JoinHandle<Result<u64, SinkError>>), SinkError> {
    let label = describe(&target);
    let err = |why: String| SinkError { target: label.clone(), why };
    let sink = match target {
        SignalTarget::File(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(dir).await.map_err(|e| err(e.to_string()))?;
            }
            let file = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .await
                .map_err(|e| err(e.to_string()))?;
            Sink::File(file)
        }
        SignalTarget::Http(ep) => Sink::Http(ep),
        SignalTarget::Redis { server, stream } => Sink::Redis { server, stream, conn: None },
    };
    let (tx, mut rx) = mpsc::channel::<Signal>(QUEUE);
    let task = tokio::spawn(async move {
        let err = |why: String| SinkError { target: label.clone(), why };
        let mut sink = sink;
        let mut sent = 0u64;
        while let Some(signal) = rx.recv().await {
            let json = serde_json::to_string(&signal).map_err(|e| err(e.to_string()))?;
            let mut failures = 0u32;
            loop {
                match deliver(&mut sink, &json, timeout).await {
                    Ok(()) => break,
                    Err(why) => {
                        failures += 1;
                        if failures >= backoff.attempts {
                            warn!(sink = %label, error = %why, seq = signal.seq, "signal not delivered; stopping");
                            return Err(err(format!(
                                "intent {} not delivered after {failures} attempts: {why}",
                                signal.seq
                            )));
                        }
                        let wait = backoff.delay(failures, 0.5 + 0.5 * (signal.seq % 7) as f64 / 7.0);
                        warn!(sink = %label, error = %why, retry_in_ms = wait.as_millis() as u64, "signal delivery failed");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            sent += 1;
        }
        info!(sink = %label, sent, "signal sink done");
        Ok(sent)
    });
    Ok((tx, task))
}

fn describe(target: &SignalTarget) -> String {
    match target {
        SignalTarget::File(p) => p.display().to_string(),
        SignalTarget::Http(ep) => ep.url(false),
        SignalTarget::Redis { server, stream } => format!("redis://{}:{}/{stream}", server.host, server.port),
    }
}

async fn deliver(sink: &mut Sink, json: &str, timeout: Duration) -> Result<(), String> {
    match sink {
        Sink::File(file) => {
            file.write_all(format!("{json}\n").as_bytes()).await.map_err(|e| e.to_string())?;
            file.flush().await.map_err(|e| e.to_string())
        }
        Sink::Http(ep) => {
            let r = net::post_json(ep, json, timeout, 64 * 1024).await.map_err(|e| e.to_string())?;
            if (200..300).contains(&r.status) {
                Ok(())
            } else {
                Err(format!("HTTP {}: {}", r.status, r.body.chars().take(120).collect::<String>()))
            }
        }
        Sink::Redis { server, stream, conn } => {
            let result = xadd(server, stream, conn, json, timeout).await;
            if result.is_err() {
                // A connection that failed mid-command is not reused.
                *conn = None;
            }
            result
        }
    }
}

/// `XADD stream * intent JSON` on a kept connection (opened on first use); the reply is the entry id or an error.
async fn xadd(
    server: &Endpoint,
    stream: &str,
    conn: &mut Option<BufReader<Box<dyn net::Conn>>>,
    json: &str,
    timeout: Duration,
) -> Result<(), String> {
    if conn.is_none() {
        *conn = Some(BufReader::new(net::connect(server, timeout).await.map_err(|e| e.to_string())?));
    }
    let Some(c) = conn.as_mut() else { return Err("no connection".into()) };
    let args = ["XADD", stream, "*", "intent", json];
    let mut command = format!("*{}\r\n", args.len());
    for a in args {
        command.push_str(&format!("${}\r\n{a}\r\n", a.len()));
    }
    let work = async {
        c.get_mut().write_all(command.as_bytes()).await.map_err(|e| e.to_string())?;
        c.get_mut().flush().await.map_err(|e| e.to_string())?;
        let mut line = String::new();
        if c.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("the server closed the connection".to_string());
        }
        match line.as_bytes().first() {
            Some(b'$') => {
                let len: i64 = line[1..].trim().parse().map_err(|_| format!("bad reply '{}'", line.trim()))?;
                if len < 0 {
                    return Err("XADD returned nothing".into());
                }
                let mut id = String::new();
                c.read_line(&mut id).await.map_err(|e| e.to_string())?;
                Ok(())
            }
            Some(b'-') => Err(format!("Redis: {}", line[1..].trim())),
            _ => Err(format!("unexpected reply '{}'", line.trim())),
        }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| format!("no reply within {} ms", timeout.as_millis()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_clear_errors() {
        assert_eq!(SignalTarget::parse("out/signals.jsonl"), Ok(SignalTarget::File("out/signals.jsonl".into())));
        let Ok(SignalTarget::Http(ep)) = SignalTarget::parse("http://127.0.0.1:8080/orders") else { panic!() };
        assert_eq!((ep.port, ep.path.as_str()), (8080, "/orders"));
        let Ok(SignalTarget::Redis { server, stream }) = SignalTarget::parse("redis://localhost/intents") else {
            panic!()
        };
        assert_eq!((server.host.as_str(), server.port, stream.as_str()), ("localhost", 6379, "intents"));
        let Ok(SignalTarget::Redis { server, .. }) = SignalTarget::parse("redis://10.0.0.2:7000/s") else { panic!() };
        assert_eq!(server.port, 7000);
        assert!(SignalTarget::parse("redis://localhost").unwrap_err().contains("redis://HOST:PORT/STREAM"));
        assert!(SignalTarget::parse("kafka://x/y").unwrap_err().contains("a file, http(s)://… or redis://…"));
        assert!(SignalTarget::parse("").is_err());
    }

    #[test]
    fn a_signal_says_what_the_intent_asks() {
        let intent = OrderIntent::market(4, 60_000, Action::Buy(Quantity::Percent(50.0)));
        let s = Signal::new("SMA cross", "binance:BTCUSDT@1m", &intent, 101.5);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"strategy":"SMA cross","feed":"binance:BTCUSDT@1m","seq":4,"client_order_id":"st-SMAcross-4","signal_ts":60000,"side":"buy","size_kind":"percent","size":50.0,"reference_price":101.5}"#
        );
        let close = Signal::new("s", "f", &OrderIntent { action: Action::Close, ..intent }, 1.0);
        assert_eq!((close.side, close.size_kind, close.size), ("close", "position", None));
    }
}
