//! The offline feed server over real loopback sockets, read with a plain WebSocket client and HTTP/1.1:
//! - every bar of the history arrives as in-progress updates and then its closing update, equal to the bar bit for
//!   bit, on raw `/ws/<stream>` and combined `/stream?streams=` connections and after a live `SUBSCRIBE` on `/ws`;
//! - `GET /api/v3/klines` serves the closed bars, with the venue's errors for a wrong symbol or interval;
//! - the injected faults do what they say: duplicates, a `serverShutdown` event, a dropped connection.
//!
//! No sleeps: every wait is a read with a deadline.

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use strata_runtime::bar::Bar;
use strata_runtime::live::binance::{self, Event, Kline, MAX_MESSAGE_BYTES, Stream};
use strata_runtime::live::server::{self, FeedConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

const DEADLINE: Duration = Duration::from_secs(20);

fn stream() -> Stream {
    Stream::parse("BTCUSDT@1m").unwrap()
}

/// Starts a server on a free port; its address.
async fn start(bars: Vec<Bar>, config: FeedConfig) -> std::net::SocketAddr {
    let listener = server::bind(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, bars, config));
    addr
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn connect(addr: std::net::SocketAddr, path: &str) -> Ws {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}{path}"), tcp).await.unwrap();
    ws
}

/// The next text message, or `None` when the connection ends.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        match tokio::time::timeout(DEADLINE, ws.next()).await.expect("a message before the deadline") {
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Reads until `n` closed klines have arrived (or the connection ends): (closed klines, in-progress updates).
async fn read_closed(ws: &mut Ws, n: usize) -> (Vec<Kline>, usize) {
    let (mut closed, mut updates) = (Vec::new(), 0);
    while closed.len() < n {
        let Some(text) = next_text(ws).await else { break };
        match binance::parse_message(&text, MAX_MESSAGE_BYTES).unwrap() {
            Event::Kline { symbol, kline, .. } => {
                assert_eq!(symbol, "BTCUSDT");
                if kline.closed {
                    closed.push(kline);
                } else {
                    updates += 1;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    (closed, updates)
}

async fn http_get(addr: std::net::SocketAddr, target: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(DEADLINE, tcp.read_to_end(&mut buf)).await.unwrap().unwrap();
    let text = String::from_utf8(buf).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

#[tokio::test]
async fn every_bar_arrives_as_updates_then_its_close_and_is_served_over_rest() {
    let bars = common::first_bars("btc-2017-11.1m.parquet", 60);
    let addr = start(bars.clone(), FeedConfig::new(stream())).await;
    let mut ws = connect(addr, "/ws/btcusdt@kline_1m").await;
    let (closed, updates) = read_closed(&mut ws, bars.len()).await;
    assert_eq!(updates, 2 * bars.len(), "two in-progress updates per bar");
    let got: Vec<Bar> = closed.iter().map(Kline::bar).collect();
    assert_eq!(got, bars);
    assert!(closed.iter().all(|k| k.close_time == k.open_time + 59_999));

    let (status, body) = http_get(addr, "/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=0&limit=1000").await;
    assert_eq!(status, 200);
    let rest: Vec<Bar> = binance::parse_rest_klines(&body, i64::MAX, 1 << 20).unwrap().iter().map(Kline::bar).collect();
    assert_eq!(rest, bars);
    // A window, and the most recent bars when no start is given.
    let from = bars[10].ts;
    let (_, body) =
        http_get(addr, &format!("/api/v3/klines?symbol=btcusdt&interval=1m&startTime={from}&limit=5")).await;
    let page = binance::parse_rest_klines(&body, i64::MAX, 1 << 20).unwrap();
    assert_eq!(
        page.iter().map(|k| k.open_time).collect::<Vec<_>>(),
        bars[10..15].iter().map(|b| b.ts).collect::<Vec<_>>()
    );
    let (_, body) = http_get(addr, "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=3").await;
    let last = binance::parse_rest_klines(&body, i64::MAX, 1 << 20).unwrap();
    assert_eq!(last.last().unwrap().open_time, bars[59].ts);
    assert_eq!(last.len(), 3);

    let (status, body) = http_get(addr, "/api/v3/klines?symbol=ETHBTC&interval=1m").await;
    assert_eq!((status, body.as_str()), (400, r#"{"code":-1121,"msg":"Invalid symbol."}"#));
    let (status, body) = http_get(addr, "/api/v3/klines?symbol=BTCUSDT&interval=5m").await;
    assert_eq!((status, body.as_str()), (400, r#"{"code":-1120,"msg":"Invalid interval."}"#));
    let (status, _) = http_get(addr, "/api/v3/nothing").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn combined_streams_and_live_subscriptions_work() {
    let bars = common::first_bars("btc-2017-11.1m.parquet", 20);
    let addr = start(bars.clone(), FeedConfig::new(stream())).await;
    // A live SUBSCRIBE on /ws, as the venue's SDKs do; the replay starts when someone listens to the stream.
    let mut ws = connect(addr, "/ws").await;
    let subscribe = r#"{"method":"SUBSCRIBE","params":["btcusdt@kline_1m"],"id":1}"#;
    ws.send(Message::text(subscribe)).await.unwrap();
    let first = next_text(&mut ws).await.unwrap();
    assert_eq!(first, r#"{"id":1,"result":null}"#);
    ws.send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#)).await.unwrap();
    let mut listed = false;
    let mut closed = 0;
    while !listed || closed < 5 {
        let text = next_text(&mut ws).await.unwrap();
        match binance::parse_message(&text, MAX_MESSAGE_BYTES).unwrap() {
            Event::Response { id, result } => {
                assert_eq!(id, 2);
                assert_eq!(result, serde_json::json!(["btcusdt@kline_1m"]));
                listed = true;
            }
            Event::Kline { kline, .. } => closed += usize::from(kline.closed),
            other => panic!("{other:?}"),
        }
    }
    // A combined-stream connection gets every message wrapped with its stream name.
    let addr = start(bars, FeedConfig::new(stream())).await;
    let mut combined = connect(addr, "/stream?streams=btcusdt@kline_1m").await;
    let text = next_text(&mut combined).await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["stream"], "btcusdt@kline_1m");
    assert_eq!(v["data"]["e"], "kline");
}

#[tokio::test]
async fn faults_are_injected_per_connection() {
    let bars = common::first_bars("btc-2017-11.1m.parquet", 30);
    let mut config = FeedConfig::new(stream());
    config.faults.duplicate_every = Some(3);
    let addr = start(bars.clone(), config).await;
    let mut ws = connect(addr, "/ws/btcusdt@kline_1m").await;
    let mut texts = Vec::new();
    while texts.len() < 40 {
        texts.push(next_text(&mut ws).await.unwrap());
    }
    // Messages 3, 6, 9 … are each followed by a copy.
    assert_eq!(texts[2], texts[3]);
    assert_eq!(texts[6], texts[7]);
    assert_ne!(texts[0], texts[1]);

    let mut config = FeedConfig::new(stream());
    config.faults.drop_every = Some(7);
    let addr = start(bars.clone(), config).await;
    let mut ws = connect(addr, "/ws/btcusdt@kline_1m").await;
    let mut n = 0;
    while next_text(&mut ws).await.is_some() {
        n += 1;
    }
    assert_eq!(n, 7, "the connection closes after 7 messages");

    let mut config = FeedConfig::new(stream());
    config.faults.shutdown_every = Some(4);
    let addr = start(bars, config).await;
    let mut ws = connect(addr, "/ws/btcusdt@kline_1m").await;
    let mut last = None;
    let mut n = 0;
    while let Some(t) = next_text(&mut ws).await {
        n += 1;
        last = Some(t);
    }
    assert_eq!(n, 5, "four messages, then the shutdown event");
    assert_eq!(binance::parse_message(&last.unwrap(), 1000).unwrap(), Event::ServerShutdown);
}
