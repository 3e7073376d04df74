//! The feed client against a scripted venue on loopback: each WebSocket connection is sent a script of messages and
//! REST requests get scripted answers, so every bad input and every failure can be produced on demand:
//! - messages that are not JSON, truncated, oversized, of the wrong layout, or binary are skipped and counted;
//!   a kline of another symbol and time going backwards are skipped and counted; the good bars still come through;
//! - a ping is answered with a pong carrying the same payload;
//! - after a drop, a `serverShutdown` event or a silent connection, the client reconnects and catches up over REST,
//!   so no bar is lost or repeated; a REST error or a hole in the venue's answer leaves a counted gap;
//! - an unreachable feed is retried with backoff, then reported with its URL.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use strata_runtime::bar::Bar;
use strata_runtime::live::bars::BarStream;
use strata_runtime::live::binance::{self, Interval, Kline, Stream};
use strata_runtime::live::feed::{Backoff, BarSink, Feed, FeedError, FeedOptions, FeedStatus, Flow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const M: i64 = 60_000;
const T0: i64 = 1_700_000_040_000 - 1_700_000_040_000 % M;
const DEADLINE: Duration = Duration::from_secs(30);

fn stream() -> Stream {
    Stream::parse("BTCUSDT@1m").unwrap()
}

fn bar(i: i64) -> Bar {
    let p = 100.0 + i as f64;
    Bar { ts: T0 + i * M, open: p, high: p + 1.0, low: p - 1.0, close: p + 0.5, volume: 3.0 }
}

fn closed(i: i64) -> Kline {
    Kline::closed(&bar(i), Interval::Fixed(M), T0 + (i + 1) * M)
}

fn kline_text(k: &Kline) -> String {
    binance::kline_event_json(&stream(), k)
}

/// What the scripted venue does on a connection.
#[derive(Debug, Clone)]
enum Out {
    Text(String),
    Binary,
    /// Send a ping with this payload and wait for the pong, recording its payload.
    Ping(&'static [u8]),
    /// Keep the connection open, reading, until the client leaves.
    Hold,
}

#[derive(Default)]
struct Venue {
    /// One script per connection, in order; connections after the last get the last script again.
    scripts: Vec<Vec<Out>>,
    /// REST answers in order (status, body); the last one repeats.
    rest: Vec<(u16, String)>,
    connections: usize,
    rest_requests: Vec<String>,
    pongs: Vec<Vec<u8>>,
}

async fn serve(listener: TcpListener, venue: Arc<Mutex<Venue>>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else { return };
        tokio::spawn(connection(socket, venue.clone()));
    }
}

async fn connection(mut socket: TcpStream, venue: Arc<Mutex<Venue>>) {
    let mut head = [0u8; 4096];
    let n = socket.peek(&mut head).await.unwrap_or(0);
    let text = String::from_utf8_lossy(&head[..n]).to_ascii_lowercase();
    if !text.contains("upgrade: websocket") {
        // REST: read the head, answer with the next scripted response.
        let mut buf = vec![0u8; 4096];
        let n = socket.read(&mut buf).await.unwrap_or(0);
        let request = String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_string();
        let (status, body) = {
            let mut v = venue.lock().unwrap();
            v.rest_requests.push(request);
            let i = (v.rest_requests.len() - 1).min(v.rest.len().saturating_sub(1));
            v.rest.get(i).cloned().unwrap_or((200, "[]".into()))
        };
        let response =
            format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = socket.write_all(response.as_bytes()).await;
        let _ = socket.shutdown().await;
        return;
    }
    let Ok(mut ws) = tokio_tungstenite::accept_async(socket).await else { return };
    let script = {
        let mut v = venue.lock().unwrap();
        v.connections += 1;
        let i = (v.connections - 1).min(v.scripts.len() - 1);
        v.scripts[i].clone()
    };
    for out in script {
        match out {
            Out::Text(t) => {
                if ws.send(Message::text(t)).await.is_err() {
                    return;
                }
            }
            Out::Binary => {
                let _ = ws.send(Message::binary(vec![1u8, 2, 3])).await;
            }
            Out::Ping(payload) => {
                let _ = ws.send(Message::Ping(payload.to_vec().into())).await;
                while let Some(Ok(m)) = ws.next().await {
                    if let Message::Pong(p) = m {
                        venue.lock().unwrap().pongs.push(p.to_vec());
                        break;
                    }
                }
            }
            Out::Hold => {
                while let Some(Ok(_)) = ws.next().await {}
                return;
            }
        }
    }
    let _ = ws.close(None).await;
}

/// Collects bars until it has `want`, and the status of every heartbeat.
struct Collect {
    bars: Vec<Bar>,
    want: usize,
    beats: Vec<FeedStatus>,
}

impl Collect {
    fn new(want: usize) -> Self {
        Self { bars: Vec::new(), want, beats: Vec::new() }
    }
}

impl BarSink for Collect {
    fn bar(&mut self, _: usize, bar: &Bar, _: Instant, _: &FeedStatus) -> Flow {
        self.bars.push(*bar);
        if self.bars.len() >= self.want { Flow::Stop } else { Flow::Continue }
    }
    fn heartbeat(&mut self, status: &FeedStatus) -> Flow {
        self.beats.push(*status);
        Flow::Continue
    }
}

/// Runs the feed against `venue` until `want` bars arrived: (bars, status, the venue afterwards).
fn run(venue: Venue, want: usize, tune: impl FnOnce(&mut FeedOptions)) -> (Vec<Bar>, FeedStatus, Arc<Mutex<Venue>>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let venue = Arc::new(Mutex::new(venue));
        let server = tokio::spawn(serve(listener, venue.clone()));
        let mut options = FeedOptions::new(stream(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        options.backoff = Backoff { initial: Duration::from_millis(1), max: Duration::from_millis(10), attempts: 20 };
        tune(&mut options);
        let mut feed = Feed::new(options, BarStream::new(stream(), None));
        let mut sink = Collect::new(want);
        tokio::time::timeout(DEADLINE, feed.run(&mut sink)).await.expect("the feed ends in time").unwrap();
        server.abort();
        (sink.bars, feed.status(), venue)
    })
}

fn bars(ids: &[i64]) -> Vec<Bar> {
    ids.iter().map(|&i| bar(i)).collect()
}

#[test]
fn bad_messages_are_skipped_and_counted_and_good_bars_still_come_through() {
    let mut other = serde_json::from_str::<serde_json::Value>(&kline_text(&closed(1))).unwrap();
    other["s"] = "ETHUSDT".into();
    let script = vec![
        Out::Text(kline_text(&closed(0))),
        Out::Text("not json at all".into()),
        Out::Text(kline_text(&closed(1))[..40].to_string()),
        Out::Text(format!("{{\"e\":\"kline\",\"pad\":\"{}\"}}", "x".repeat(100_000))),
        Out::Text(r#"{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":"soon"}}"#.into()),
        Out::Text("[1,2,3]".into()),
        Out::Binary,
        Out::Text(other.to_string()),
        Out::Text(kline_text(&closed(1))),
        // Time going backwards: a bar before the last one.
        Out::Text(kline_text(&Kline::closed(&Bar { ts: T0 - 5 * M, ..bar(0) }, Interval::Fixed(M), T0))),
        Out::Text(kline_text(&closed(1))),
        Out::Text(kline_text(&Kline { closed: false, ..closed(2) })),
        Out::Text(kline_text(&closed(2))),
        Out::Hold,
    ];
    let (got, status, _) = run(Venue { scripts: vec![script], ..Venue::default() }, 3, |_| {});
    assert_eq!(got, bars(&[0, 1, 2]));
    assert_eq!(status.bad_messages, 6, "{status:?}");
    let c = status.counts;
    assert_eq!((c.other_stream, c.out_of_order, c.duplicates, c.in_progress), (1, 1, 1, 1), "{c:?}");
    assert_eq!(status.reconnects, 0);
}

#[test]
fn pings_are_answered_with_the_same_payload() {
    let script = vec![Out::Ping(b"strata-42"), Out::Text(kline_text(&closed(0))), Out::Hold];
    let (got, status, venue) = run(Venue { scripts: vec![script], ..Venue::default() }, 1, |_| {});
    assert_eq!(got, bars(&[0]));
    assert_eq!(status.pings, 1);
    assert_eq!(venue.lock().unwrap().pongs, vec![b"strata-42".to_vec()]);
}

#[test]
fn a_dropped_connection_is_replaced_and_the_missed_bars_backfilled_in_order() {
    let rest = binance::rest_klines_json(&[closed(1), closed(2)]);
    let venue = Venue {
        scripts: vec![
            vec![Out::Text(kline_text(&closed(0)))],
            // The stream's own copy of bar 2 after the catch-up, then bar 3.
            vec![Out::Text(kline_text(&closed(2))), Out::Text(kline_text(&closed(3))), Out::Hold],
        ],
        rest: vec![(200, rest)],
        ..Venue::default()
    };
    let (got, status, venue) = run(venue, 4, |_| {});
    assert_eq!(got, bars(&[0, 1, 2, 3]));
    assert_eq!((status.reconnects, status.counts.backfilled, status.counts.gaps), (1, 2, 0));
    let v = venue.lock().unwrap();
    assert!(v.rest_requests[0].contains(&format!("startTime={}", T0 + M)), "{:?}", v.rest_requests);
    assert!(v.rest_requests[0].contains("symbol=BTCUSDT&interval=1m"), "{:?}", v.rest_requests);
}

#[test]
fn a_server_shutdown_event_and_a_silent_connection_both_lead_to_a_reconnect() {
    let shutdown = binance::server_shutdown_json(T0);
    let venue = Venue {
        scripts: vec![
            // The server announces a shutdown but keeps the connection open: the client leaves.
            vec![Out::Text(kline_text(&closed(0))), Out::Text(shutdown), Out::Hold],
            // Silent after bar 1: the idle limit replaces the connection.
            vec![Out::Text(kline_text(&closed(1))), Out::Hold],
            vec![Out::Text(kline_text(&closed(2))), Out::Hold],
        ],
        ..Venue::default()
    };
    let (got, status, venue) = run(venue, 3, |o| o.idle = Duration::from_millis(300));
    assert_eq!(got, bars(&[0, 1, 2]));
    assert_eq!(status.reconnects, 2);
    assert_eq!(venue.lock().unwrap().connections, 3);
}

#[test]
fn a_rest_error_or_a_hole_in_the_answer_leaves_a_counted_gap() {
    // The venue's history lacks bar 2: bars 0, 1, 3 — one gap.
    let venue = Venue {
        scripts: vec![vec![Out::Text(kline_text(&closed(0)))], vec![Out::Text(kline_text(&closed(3))), Out::Hold]],
        rest: vec![(200, binance::rest_klines_json(&[closed(1)]))],
        ..Venue::default()
    };
    let (got, status, _) = run(venue, 3, |_| {});
    assert_eq!(got, bars(&[0, 1, 3]));
    assert_eq!((status.counts.gaps, status.rest_errors), (1, 0));

    // The REST API fails every time: retried, then bars 1 and 2 are a gap.
    let error = (500, r#"{"code":-1000,"msg":"An unknown error occurred while processing the request."}"#.to_string());
    let venue = Venue {
        scripts: vec![vec![Out::Text(kline_text(&closed(0)))], vec![Out::Text(kline_text(&closed(3))), Out::Hold]],
        rest: vec![error],
        ..Venue::default()
    };
    let (got, status, venue) = run(venue, 2, |_| {});
    assert_eq!(got, bars(&[0, 3]));
    assert_eq!(status.counts.gaps, 1);
    assert!(status.rest_errors >= 2, "{status:?}");
    assert!(venue.lock().unwrap().rest_requests.len() >= 2);

    // Not JSON, or the wrong layout: a failure like an error status.
    let venue = Venue {
        scripts: vec![vec![Out::Text(kline_text(&closed(0)))], vec![Out::Text(kline_text(&closed(2))), Out::Hold]],
        rest: vec![(200, "[[1,2]]".into())],
        ..Venue::default()
    };
    let (got, status, _) = run(venue, 2, |_| {});
    assert_eq!(got, bars(&[0, 2]));
    assert!(status.rest_errors >= 1 && status.counts.gaps == 1, "{status:?}");
}

#[test]
fn an_unreachable_feed_is_retried_with_backoff_then_reported() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        // A port nobody listens on.
        let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
        let mut options = FeedOptions::new(stream(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        options.backoff = Backoff { initial: Duration::from_millis(2), max: Duration::from_millis(8), attempts: 4 };
        let mut feed = Feed::new(options, BarStream::new(stream(), None));
        let mut sink = Collect::new(1);
        let started = Instant::now();
        let err = tokio::time::timeout(DEADLINE, feed.run(&mut sink)).await.unwrap().unwrap_err();
        let FeedError::Unreachable { url, attempts, last } = &err else { panic!("{err:?}") };
        assert_eq!(*attempts, 4);
        assert_eq!(url, &format!("ws://{addr}/ws/btcusdt@kline_1m"));
        assert!(last.contains("refused"), "{last}");
        // Three waits of at least half of 2, 4 and 8 ms.
        assert!(started.elapsed() >= Duration::from_millis(7), "{:?}", started.elapsed());
        assert!(err.to_string().starts_with(&format!("cannot reach the market-data feed at ws://{addr}/ws/")), "{err}");
    });
}

#[test]
fn heartbeats_carry_the_feed_status_while_the_stream_is_quiet() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let venue = Venue {
            scripts: vec![vec![Out::Text(kline_text(&closed(0))), Out::Hold], vec![Out::Text(kline_text(&closed(1)))]],
            ..Venue::default()
        };
        let server = tokio::spawn(serve(listener, Arc::new(Mutex::new(venue))));
        let mut options = FeedOptions::new(stream(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        // Quiet for 400 ms after bar 0, with a heartbeat every 40 ms.
        options.idle = Duration::from_millis(400);
        options.heartbeat = Duration::from_millis(40);
        let mut feed = Feed::new(options, BarStream::new(stream(), None));
        let mut sink = Collect::new(2);
        tokio::time::timeout(DEADLINE, feed.run(&mut sink)).await.unwrap().unwrap();
        server.abort();
        assert_eq!(sink.bars, bars(&[0, 1]));
        assert!(sink.beats.len() >= 3, "{}", sink.beats.len());
        let during = sink.beats.iter().find(|s| s.last_bar == Some(T0)).expect("a heartbeat after bar 0");
        assert_eq!((during.counts.bars, during.reconnects), (1, 0));
    });
}

#[test]
fn warm_up_history_is_the_venues_most_recent_closed_bars_across_pages() {
    // 1,600 bars of history, the last one still in progress: two pages, newest first.
    let all: Vec<Kline> = (0..1600).map(closed).collect();
    let in_progress = Kline { closed: false, close_time: i64::MAX / 2, ..closed(1600) };
    let mut newest = all[600..].to_vec();
    newest.push(in_progress);
    let venue = Venue {
        scripts: vec![vec![Out::Hold]],
        rest: vec![(200, binance::rest_klines_json(&newest)), (200, binance::rest_klines_json(&all[..600]))],
        ..Venue::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let venue = Arc::new(Mutex::new(venue));
        let server = tokio::spawn(serve(listener, venue.clone()));
        let options = FeedOptions::new(stream(), &format!("ws://{addr}"), &format!("http://{addr}")).unwrap();
        let mut feed = Feed::new(options, BarStream::new(stream(), None));
        let history = feed.history(1200).await.unwrap();
        server.abort();
        let opens: Vec<i64> = history.iter().map(|k| k.open_time).collect();
        assert_eq!(opens, (400..1600).map(|i| T0 + i * M).collect::<Vec<_>>());
        assert!(history.iter().all(|k| k.closed));
        let requests = venue.lock().unwrap().rest_requests.clone();
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert!(requests[0].contains("limit=1000") && !requests[0].contains("endTime"), "{requests:?}");
        assert!(requests[1].contains(&format!("endTime={}", T0 + 600 * M - 1)), "{requests:?}");
    });
}
