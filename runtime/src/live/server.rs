//! `strata feed serve`: history replayed as Binance Spot's public market-data protocol on a local port, so live mode
//! can be rehearsed — and tested — offline.
//!
//! Design choice: one replay clock per server, not per connection. The replay starts when the first client
//! listens to the stream and moves on through the bars (each sent as in-progress updates, then its closing update) at the chosen
//! pace whoever is listening; a client that drops and reconnects finds the stream where it is now and must backfill
//! the bars it missed over `GET /api/v3/klines`, exactly as against the venue. At `--max-speed` the slowest
//! connected client sets the pace (nothing is dropped for being slow); at a finite speed a client that falls a
//! queue behind is disconnected, as the venue does. Faults (`--drop-every`, `--duplicate-every`, `--shutdown-every`,
//! `--delay-ms`) are counted per connection. The wire format comes from [`super::binance`], the same module the
//! client parses with. Given trades (a stream of trades, [`Stream::trades`]), it replays them as the venue's
//! `aggTrade` events instead — each trade a message, numbered from 1 — and serves `GET /api/v3/aggTrades` (by id or
//! time) and klines built from the trades so far. Given a universe ([`serve_universe`]), each symbol is its own
//! kline stream, readable alone or together on the combined endpoint, and the replay goes timestamp by timestamp.

use std::collections::BTreeSet;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::binance::{self, AggTrade, Kline, Stream};
use crate::bar::Bar;
use crate::venue::fake::{Exchange, Fault, Reply as VenueReply, Request as VenueRequest};

/// How fast the replay goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    /// As fast as the slowest connected client reads.
    Max,
    /// `x` times real time: a bar of the stream's interval lasts `interval / x`.
    Speed(f64),
}

/// Faults injected on every connection, for tests and rehearsals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Close the connection after every N messages sent on it.
    pub drop_every: Option<u64>,
    /// Send every N-th message twice.
    pub duplicate_every: Option<u64>,
    /// Send a `serverShutdown` event, then close, after every N messages.
    pub shutdown_every: Option<u64>,
    /// Wait this long before each message.
    pub delay_ms: u64,
}

/// What the server replays and how.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub stream: Stream,
    pub pace: Pace,
    /// In-progress updates sent for each bar before its closing update.
    pub updates_per_bar: u32,
    pub faults: Faults,
    /// How often each connection is pinged; one that has not answered three pings is closed.
    pub ping_every: Duration,
    /// Rehearsal lockstep: after each bar's closing update, wait for `POST /fake/ack?ts=<its open time>` before going
    /// on — so a run's orders meet the market as it was at that close however slow (or restarted) the run is.
    pub lockstep: bool,
}

impl FeedConfig {
    pub fn new(stream: Stream) -> Self {
        Self {
            stream,
            pace: Pace::Max,
            updates_per_bar: 2,
            faults: Faults::default(),
            ping_every: Duration::from_secs(20),
            lockstep: false,
        }
    }
}

/// One symbol's stream and history.
struct Served {
    stream: Stream,
    /// Its stream name (`btcusdt@kline_1m`), as clients subscribe to it.
    name: String,
    bars: Vec<Bar>,
    /// Bars closed so far: `bars[..closed]` are history, served over REST.
    closed: AtomicUsize,
}

impl Served {
    fn new(stream: Stream, bars: Vec<Bar>) -> Self {
        Self { name: stream.name(), stream, bars, closed: AtomicUsize::new(0) }
    }
}

/// A message of the replay: which stream's, and its text.
type Tagged = Arc<(usize, String)>;

/// The replay's state, shared by the replay task and every connection.
struct Shared {
    config: FeedConfig,
    /// The fake venue's order API, when serving one (`strata venue serve`): it trades at the replayed market.
    venue: Option<Arc<Mutex<Exchange>>>,
    /// The streams served: one, or a universe's, in symbol order.
    feeds: Vec<Served>,
    subscribers: Mutex<Vec<mpsc::Sender<Tagged>>>,
    start: Notify,
    /// The latest bar open time acknowledged by `POST /fake/ack` (lockstep).
    acked: std::sync::atomic::AtomicI64,
    ack: Notify,
}

/// Binds `127.0.0.1:port` (0: any free port) for [`serve`]; the address is `listener.local_addr()`.
pub async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port)).await
}

/// Serves `bars` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, bars: Vec<Bar>, config: FeedConfig) -> io::Result<()> {
    serve_with(listener, bars, config, None).await
}

/// Serves a universe on `listener` until the task is dropped: each symbol's bars as its own kline stream (`streams`,
/// one per symbol, in symbol order; all of `config.stream`'s interval), readable alone or together through the
/// combined endpoint, and over REST. The replay goes through the timestamps in order, every symbol with a bar at one
/// sending it (in-progress updates, then the close) before the next timestamp — ties by symbol, as a backtest
/// steps them.
pub async fn serve_universe(
    listener: TcpListener,
    streams: Vec<(Stream, Vec<Bar>)>,
    config: FeedConfig,
) -> io::Result<()> {
    let feeds = streams.into_iter().map(|(stream, bars)| Served::new(stream, bars)).collect();
    run_server(listener, feeds, config, None).await
}

/// [`serve`], with the fake venue's signed order API (`/api/v3/order`, `openOrders`, `account`, `myTrades`,
/// `exchangeInfo`, `time`) on the same port, trading at the replayed market: before a bar's closing update is sent,
/// the market moves to the next bar's open, so a market order placed on a bar's close fills at the next open — the
/// backtest's rule. `POST /fake/fault?type=…` queues a fault for the next placement ([`fault_from_query`]).
pub async fn serve_with(
    listener: TcpListener,
    bars: Vec<Bar>,
    config: FeedConfig,
    venue: Option<Arc<Mutex<Exchange>>>,
) -> io::Result<()> {
    if let (Some(v), Some(first)) = (&venue, bars.first())
        && let Ok(mut v) = v.lock()
    {
        v.on_price(first.open, first.ts);
    }
    let feeds = vec![Served::new(config.stream.clone(), bars)];
    run_server(listener, feeds, config, venue).await
}

async fn run_server(
    listener: TcpListener,
    feeds: Vec<Served>,
    config: FeedConfig,
    venue: Option<Arc<Mutex<Exchange>>>,
) -> io::Result<()> {
    let shared = Arc::new(Shared {
        config,
        venue,
        feeds,
        subscribers: Mutex::new(Vec::new()),
        start: Notify::new(),
        acked: std::sync::atomic::AtomicI64::new(i64::MIN),
        ack: Notify::new(),
    });
    tokio::spawn(replay(shared.clone()));
    loop {
        let (socket, _) = listener.accept().await?;
        let _ = socket.set_nodelay(true);
        tokio::spawn(connection(shared.clone(), socket));
    }
}

/// Sends every bar to every subscriber: in-progress updates, then the closing update.
async fn replay(shared: Arc<Shared>) {
    shared.start.notified().await;
    let cfg = &shared.config;
    let per_bar = cfg.updates_per_bar as u64 + 1;
    let step = match (cfg.pace, cfg.stream.interval) {
        (Pace::Speed(x), binance::Interval::Fixed(ms)) => {
            Some(Duration::from_secs_f64(ms as f64 / 1000.0 / x / per_bar as f64))
        }
        (Pace::Speed(x), binance::Interval::Month) => {
            Some(Duration::from_secs_f64(30.0 * 86_400.0 / x / per_bar as f64))
        }
        (Pace::Max, _) => None,
    };
    if cfg.stream.trades {
        return replay_trades(&shared).await;
    }
    if shared.feeds.len() > 1 {
        return replay_universe(&shared, per_bar, step).await;
    }
    let feed = &shared.feeds[0];
    for (i, bar) in feed.bars.iter().enumerate() {
        for u in 1..=per_bar {
            let kline = update(bar, cfg.stream.interval, u, per_bar);
            let message: Tagged = Arc::new((0, binance::kline_event_json(&cfg.stream, &kline)));
            if kline.closed {
                // Closed before anyone hears of it, so a client that backfills at once finds it.
                feed.closed.store(i + 1, Ordering::SeqCst);
                // And the market is at the next bar's open before anyone can order on this close.
                if let (Some(venue), Some(next)) = (&shared.venue, feed.bars.get(i + 1))
                    && let Ok(mut v) = venue.lock()
                {
                    v.on_price(next.open, next.ts);
                }
            }
            broadcast(&shared, message, step.is_none()).await;
            if kline.closed && cfg.lockstep {
                // Held at this close (the market at the next open) until the run says it is done with the bar.
                loop {
                    let acked = shared.ack.notified();
                    if shared.acked.load(Ordering::SeqCst) >= bar.ts {
                        break;
                    }
                    acked.await;
                }
            }
            match step {
                Some(d) => tokio::time::sleep(d).await,
                None => tokio::task::yield_now().await,
            }
        }
    }
}

/// A universe's replay: timestamp by timestamp, each update round sent for every symbol with a bar there (in
/// symbol order), one pause per round.
async fn replay_universe(shared: &Shared, per_bar: u64, step: Option<Duration>) {
    let mut next = vec![0usize; shared.feeds.len()];
    loop {
        let Some(ts) = shared.feeds.iter().zip(&next).filter_map(|(f, &i)| f.bars.get(i).map(|b| b.ts)).min() else {
            return;
        };
        let members: Vec<usize> = (0..shared.feeds.len())
            .filter(|&s| shared.feeds[s].bars.get(next[s]).is_some_and(|b| b.ts == ts))
            .collect();
        for u in 1..=per_bar {
            for &s in &members {
                let feed = &shared.feeds[s];
                let kline = update(&feed.bars[next[s]], feed.stream.interval, u, per_bar);
                if kline.closed {
                    feed.closed.store(next[s] + 1, Ordering::SeqCst);
                }
                let message: Tagged = Arc::new((s, binance::kline_event_json(&feed.stream, &kline)));
                broadcast(shared, message, step.is_none()).await;
            }
            match step {
                Some(d) => tokio::time::sleep(d).await,
                None => tokio::task::yield_now().await,
            }
        }
        for &s in &members {
            next[s] += 1;
        }
    }
}

/// The replay of trades (each held as a bar of one price): one `aggTrade` event each, at the chosen pace.
async fn replay_trades(shared: &Shared) {
    let cfg = &shared.config;
    let feed = &shared.feeds[0];
    for (i, row) in feed.bars.iter().enumerate() {
        let message: Tagged =
            Arc::new((0, binance::agg_trade_event_json(&cfg.stream.symbol, &agg_trade(i, row), row.ts)));
        // Made before anyone hears of it, so a client that backfills at once finds it; the market is at its price.
        feed.closed.store(i + 1, Ordering::SeqCst);
        if let Some(venue) = &shared.venue
            && let Ok(mut v) = venue.lock()
        {
            v.on_price(row.close, row.ts);
        }
        broadcast(shared, message, cfg.pace == Pace::Max).await;
        match (cfg.pace, feed.bars.get(i + 1)) {
            (Pace::Speed(x), Some(next)) => {
                let ms = (next.ts - row.ts).max(0) as f64 / x;
                tokio::time::sleep(Duration::from_secs_f64(ms.min(60_000.0) / 1000.0)).await;
            }
            _ => tokio::task::yield_now().await,
        }
    }
}

/// Trade number `i` (0-based) of the replay as an aggregate trade: ids count from 1.
fn agg_trade(i: usize, row: &Bar) -> AggTrade {
    AggTrade { id: i as i64 + 1, price: row.close, qty: row.volume, time: row.ts }
}

/// `GET /api/v3/aggTrades`: the trades made so far, from `fromId` or `startTime` (else the most recent), oldest
/// first.
fn agg_trades(shared: &Shared, request: &Request) -> (&'static str, String) {
    let stream = &shared.config.stream;
    if !request.param("symbol").is_some_and(|s| s.eq_ignore_ascii_case(&stream.symbol)) {
        return ("400 Bad Request", venue_error(-1121, "Invalid symbol."));
    }
    let number = |name: &str| request.param(name).map(|v| v.parse::<i64>());
    let (from_id, start, end, limit) = (number("fromId"), number("startTime"), number("endTime"), number("limit"));
    let (Ok(from_id), Ok(start), Ok(end), Ok(limit)) =
        (from_id.transpose(), start.transpose(), end.transpose(), limit.transpose().map(|l| l.unwrap_or(500)))
    else {
        return ("400 Bad Request", venue_error(-1100, "Illegal characters found in a parameter."));
    };
    if !(1..=1000).contains(&limit) {
        return ("400 Bad Request", venue_error(-1130, "Invalid data sent for a parameter."));
    }
    let feed = &shared.feeds[0];
    let made = feed.closed.load(Ordering::SeqCst).min(feed.bars.len());
    let all = feed.bars[..made].iter().enumerate().map(|(i, b)| agg_trade(i, b));
    let limit = limit as usize;
    let chosen: Vec<AggTrade> = match (from_id, start) {
        (Some(id), _) => all.filter(|t| t.id >= id).take(limit).collect(),
        (None, Some(s)) => all.filter(|t| t.time >= s && end.is_none_or(|e| t.time <= e)).take(limit).collect(),
        (None, None) => {
            let v: Vec<AggTrade> = all.collect();
            v[v.len().saturating_sub(limit)..].to_vec()
        }
    };
    ("200 OK", binance::rest_agg_trades_json(&chosen))
}

/// The `u`-th of `per_bar` updates of `bar`: partial until the last, which is the bar itself, closed.
fn update(bar: &Bar, interval: binance::Interval, u: u64, per_bar: u64) -> Kline {
    let event_time = bar.ts + (interval.next_open(bar.ts) - bar.ts) * u as i64 / per_bar as i64;
    let closed = Kline::closed(bar, interval, event_time);
    if u == per_bar {
        return closed;
    }
    let f = u as f64 / per_bar as f64;
    let close = bar.open + (bar.close - bar.open) * f;
    Kline {
        high: bar.open.max(close),
        low: bar.open.min(close),
        close,
        volume: closed.volume * f,
        closed: false,
        ..closed
    }
}

async fn broadcast(shared: &Shared, message: Tagged, wait: bool) {
    let subscribers: Vec<_> = match shared.subscribers.lock() {
        Ok(s) => s.clone(),
        Err(_) => return,
    };
    let mut gone = Vec::new();
    for tx in subscribers {
        let sent = if wait { tx.send(message.clone()).await.is_ok() } else { tx.try_send(message.clone()).is_ok() };
        if !sent {
            gone.push(tx);
        }
    }
    if !gone.is_empty()
        && let Ok(mut s) = shared.subscribers.lock()
    {
        // Closed or too slow: forget it (its connection ends when its receiver sees the channel closed).
        s.retain(|tx| !gone.iter().any(|g| g.same_channel(tx)));
    }
}

/// A parsed HTTP request.
struct Request {
    method: String,
    path: String,
    raw_query: String,
    query: Vec<(String, String)>,
    websocket_key: Option<String>,
    api_key: Option<String>,
    body: String,
}

impl Request {
    fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

async fn read_head(socket: &mut TcpStream) -> io::Result<Option<Request>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        if buf.len() > MAX_HEAD {
            return Ok(None);
        }
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "request head"))??;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(buf.len()) + 4;
    let text = String::from_utf8_lossy(&buf[..head_end.min(buf.len())]).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let (method, target) = (first.next().unwrap_or_default(), first.next().unwrap_or_default());
    if !matches!(method, "GET" | "POST" | "DELETE" | "PUT") {
        return Ok(None);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let raw_query = query.to_string();
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.replace("%2F", "/").replace("%2f", "/"))
        })
        .collect();
    let (mut websocket_key, mut api_key, mut length) = (None, None, 0usize);
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let (name, value) = (name.trim(), value.trim());
            if name.eq_ignore_ascii_case("sec-websocket-key") {
                websocket_key = Some(value.to_string());
            } else if name.eq_ignore_ascii_case("x-mbx-apikey") {
                api_key = Some(value.to_string());
            } else if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(usize::MAX);
            }
        }
    }
    if length > MAX_BODY {
        return Ok(None);
    }
    let mut body = buf[head_end.min(buf.len())..].to_vec();
    while body.len() < length {
        let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "request body"))??;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some(Request {
        method: method.to_string(),
        path: path.to_string(),
        raw_query,
        query,
        websocket_key,
        api_key,
        body,
    }))
}

async fn respond(socket: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    socket.write_all(body.as_bytes()).await?;
    socket.shutdown().await
}

/// Writes the fake venue's reply: its status, `Retry-After`, and the body — or half the body, then a reset.
async fn venue_reply(socket: &mut TcpStream, reply: &VenueReply) -> io::Result<()> {
    let reason = match reply.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Error",
    };
    if reply.stall_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.stall_ms)).await;
    }
    let retry = reply.retry_after.map_or_else(String::new, |s| format!("Retry-After: {s}\r\n"));
    let content_type = if reply.body.starts_with('<') { "text/html" } else { "application/json;charset=UTF-8" };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{retry}Connection: close\r\n\r\n",
        reply.status,
        reply.body.len()
    );
    socket.write_all(head.as_bytes()).await?;
    if reply.cut {
        socket.write_all(&reply.body.as_bytes()[..reply.body.len() / 2]).await?;
        socket.flush().await?;
        // Reset, not a clean close: the client sees the answer break off. (A zero linger does not block on drop,
        // which is what the deprecation warns of.)
        #[allow(deprecated)]
        let _ = socket.set_linger(Some(Duration::ZERO));
        return Ok(());
    }
    socket.write_all(reply.body.as_bytes()).await?;
    socket.shutdown().await
}

/// A fault from `/fake/fault`'s query: `type=partial&parts=N`, `type=reject&code=C&msg=M`,
/// `type=server-error-placed`, `type=server-error`, `type=rate-limit&retry_after=S`, `type=reset`, `type=html`,
/// `type=stall&ms=MS`.
pub fn fault_from_query(query: &[(String, String)]) -> Result<Fault, String> {
    let get = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let number = |name: &str, default: i64| -> Result<i64, String> {
        get(name).map_or(Ok(default), |v| v.parse().map_err(|_| format!("'{name}' must be a whole number, got '{v}'")))
    };
    match get("type") {
        Some("partial") => Ok(Fault::Partial { parts: number("parts", 2)?.clamp(1, 1000) as u32 }),
        Some("reject") => Ok(Fault::Reject {
            code: number("code", -2010)?,
            msg: get("msg").unwrap_or("Order rejected.").replace("%20", " ").replace('+', " "),
        }),
        Some("server-error-placed") => Ok(Fault::ServerErrorPlaced),
        Some("server-error") => Ok(Fault::ServerErrorNotPlaced),
        Some("rate-limit") => Ok(Fault::RateLimited { retry_after_s: number("retry_after", 1)?.max(0) as u64 }),
        Some("reset") => Ok(Fault::ResetPlaced),
        Some("html") => Ok(Fault::Html),
        Some("stall") => Ok(Fault::Stall { ms: number("ms", 5_000)?.clamp(0, 600_000) as u64 }),
        other => Err(format!(
            "unknown fault type {other:?} (partial, reject, server-error-placed, server-error, rate-limit, reset, html, \
             stall)"
        )),
    }
}

fn venue_error(code: i64, msg: &str) -> String {
    serde_json::json!({ "code": code, "msg": msg }).to_string()
}

async fn connection(shared: Arc<Shared>, mut socket: TcpStream) {
    let Ok(Some(request)) = read_head(&mut socket).await else {
        let _ = respond(&mut socket, "400 Bad Request", &venue_error(-1100, "Malformed request.")).await;
        return;
    };
    let _ = route(&shared, socket, request).await;
}

async fn route(shared: &Arc<Shared>, mut socket: TcpStream, request: Request) -> io::Result<()> {
    let streams: Option<BTreeSet<String>> = match request.path.as_str() {
        "/ws" => Some(BTreeSet::new()),
        "/stream" => Some(
            request
                .param("streams")
                .unwrap_or_default()
                .split('/')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        ),
        p if p.starts_with("/ws/") => Some(p["/ws/".len()..].split('/').map(String::from).collect()),
        _ => None,
    };
    if let (Some(streams), Some(key)) = (streams, request.websocket_key.as_deref()) {
        let combined = request.path == "/stream";
        // Subscribed before the client hears it is connected: a bar that closes after the client's REST catch-up
        // query reaches it here.
        let (tx, rx) = mpsc::channel::<Tagged>(1024);
        if let Ok(mut s) = shared.subscribers.lock() {
            s.push(tx);
        }
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        );
        socket.write_all(head.as_bytes()).await?;
        // A small read buffer (tungstenite zeroes all of it before every read; clients send little).
        let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
        let ws = WebSocketStream::from_raw_socket(socket, Role::Server, Some(config)).await;
        return websocket(shared, ws, rx, streams, combined).await;
    }
    if let Some(venue) = &shared.venue {
        if request.path == "/fake/ack" {
            let Some(ts) = request.param("ts").and_then(|t| t.parse::<i64>().ok()) else {
                return respond(&mut socket, "400 Bad Request", &venue_error(-1102, "Mandatory parameter 'ts'.")).await;
            };
            shared.acked.fetch_max(ts, Ordering::SeqCst);
            shared.ack.notify_waiters();
            return respond(&mut socket, "200 OK", "{}").await;
        }
        if request.path == "/fake/fault" {
            let (status, body) = match fault_from_query(&request.query) {
                Ok(fault) => {
                    if let Ok(mut v) = venue.lock() {
                        v.push_fault(fault);
                    }
                    ("200 OK", "{}".to_string())
                }
                Err(e) => ("400 Bad Request", venue_error(-1100, &e)),
            };
            return respond(&mut socket, status, &body).await;
        }
        if request.path != "/api/v3/klines" && request.path != "/api/v3/ping" && request.path.starts_with("/api/v3/") {
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            let reply = {
                let Ok(mut v) = venue.lock() else {
                    return respond(&mut socket, "500 Internal Server Error", &venue_error(-1000, "poisoned")).await;
                };
                v.handle(
                    &VenueRequest {
                        method: &request.method,
                        path: &request.path,
                        query: &request.raw_query,
                        body: &request.body,
                        api_key: request.api_key.as_deref(),
                    },
                    now,
                )
            };
            return venue_reply(&mut socket, &reply).await;
        }
    }
    match request.path.as_str() {
        "/api/v3/ping" => respond(&mut socket, "200 OK", "{}").await,
        "/api/v3/klines" => {
            let (status, body) = klines(shared, &request);
            respond(&mut socket, status, &body).await
        }
        "/api/v3/aggTrades" if shared.config.stream.trades => {
            let (status, body) = agg_trades(shared, &request);
            respond(&mut socket, status, &body).await
        }
        _ => respond(&mut socket, "404 Not Found", &venue_error(-1000, "Unknown endpoint.")).await,
    }
}

/// `GET /api/v3/klines`: closed bars of the symbol's stream, oldest first.
fn klines(shared: &Shared, request: &Request) -> (&'static str, String) {
    let symbol = request.param("symbol").unwrap_or_default();
    let Some(feed) = shared.feeds.iter().find(|f| f.stream.symbol.eq_ignore_ascii_case(symbol)) else {
        return ("400 Bad Request", venue_error(-1121, "Invalid symbol."));
    };
    let stream = &feed.stream;
    if request.param("interval") != Some(stream.interval.name()) {
        return ("400 Bad Request", venue_error(-1120, "Invalid interval."));
    }
    let number = |name: &str| request.param(name).map(|v| v.parse::<i64>());
    let (start, end, limit) = (number("startTime"), number("endTime"), number("limit"));
    let (Ok(start), Ok(end), Ok(limit)) =
        (start.transpose(), end.transpose(), limit.transpose().map(|l| l.unwrap_or(500)))
    else {
        return ("400 Bad Request", venue_error(-1100, "Illegal characters found in a parameter."));
    };
    if !(1..=1000).contains(&limit) {
        return ("400 Bad Request", venue_error(-1130, "Invalid data sent for a parameter."));
    }
    let closed = &feed.bars[..feed.closed.load(Ordering::SeqCst).min(feed.bars.len())];
    // Replaying trades, the bars are built from the trades made so far (complete periods only).
    let built: Vec<Bar>;
    let closed = match stream.interval.millis().filter(|_| stream.trades) {
        Some(period) => {
            let mut b = crate::data::aggregate::BarBuilder::new(crate::data::aggregate::BarSpec::Time(period));
            built = closed.iter().filter_map(|t| b.push_trade(t.ts, t.close, t.volume)).collect();
            &built[..]
        }
        None => closed,
    };
    let in_range = |b: &&Bar| start.is_none_or(|s| b.ts >= s) && end.is_none_or(|e| b.ts <= e);
    let limit = limit as usize;
    let chosen: Vec<&Bar> = if start.is_some() {
        closed.iter().filter(in_range).take(limit).collect()
    } else {
        // Without a start, the most recent bars.
        let all: Vec<&Bar> = closed.iter().filter(in_range).collect();
        all[all.len().saturating_sub(limit)..].to_vec()
    };
    let ks: Vec<Kline> = chosen.iter().map(|b| Kline::closed(b, stream.interval, 0)).collect();
    ("200 OK", binance::rest_klines_json(&ks))
}

/// One WebSocket connection: the subscribed stream's messages with the faults applied, pings, and the live
/// `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` requests.
async fn websocket(
    shared: &Arc<Shared>,
    mut ws: WebSocketStream<TcpStream>,
    mut rx: mpsc::Receiver<Tagged>,
    mut streams: BTreeSet<String>,
    combined: bool,
) -> io::Result<()> {
    // The replay starts when someone listens to a stream of it (here, or after a SUBSCRIBE below).
    let listens = |streams: &BTreeSet<String>| shared.feeds.iter().any(|f| streams.contains(&f.name));
    if listens(&streams) {
        shared.start.notify_one();
    }
    let faults = shared.config.faults;
    let mut sent: u64 = 0;
    let mut ping = tokio::time::interval(shared.config.ping_every);
    ping.tick().await;
    let mut unanswered = 0u32;
    let closing = |e: tokio_tungstenite::tungstenite::Error| io::Error::other(e.to_string());
    loop {
        tokio::select! {
            message = rx.recv() => {
                let Some(message) = message else { break };
                let (s, ref body) = *message;
                let Some(feed) = shared.feeds.get(s).filter(|f| streams.contains(&f.name)) else { continue };
                if faults.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(faults.delay_ms)).await;
                }
                let text = if combined { binance::combined_json(&feed.stream, body) } else { body.clone() };
                sent += 1;
                // Queued, and written in one go when the replay has nothing more for this connection right now.
                ws.feed(Message::text(text.clone())).await.map_err(closing)?;
                if faults.duplicate_every.is_some_and(|n| sent.is_multiple_of(n)) {
                    ws.feed(Message::text(text)).await.map_err(closing)?;
                }
                if rx.is_empty() || faults.delay_ms > 0 {
                    ws.flush().await.map_err(closing)?;
                }
                if faults.shutdown_every.is_some_and(|n| sent.is_multiple_of(n)) {
                    ws.send(Message::text(binance::server_shutdown_json(0))).await.map_err(closing)?;
                    break;
                }
                if faults.drop_every.is_some_and(|n| sent.is_multiple_of(n)) {
                    break;
                }
            }
            incoming = ws.next() => {
                match incoming {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Pong(_))) => unanswered = 0,
                    Some(Ok(Message::Text(text))) => {
                        let reply = request_reply(&text, &mut streams);
                        ws.send(Message::text(reply)).await.map_err(closing)?;
                        if listens(&streams) {
                            shared.start.notify_one();
                        }
                    }
                    Some(Ok(_)) => {}
                }
            }
            _ = ping.tick() => {
                unanswered += 1;
                if unanswered > 3 {
                    break;
                }
                ws.send(Message::Ping(sent.to_string().into_bytes().into())).await.map_err(closing)?;
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(())
}

/// The answer to a request sent on the connection.
fn request_reply(text: &str, streams: &mut BTreeSet<String>) -> String {
    let Ok(request) = serde_json::from_str::<Value>(text) else {
        return serde_json::json!({ "error": { "code": 3, "msg": "Invalid JSON" } }).to_string();
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params: Vec<String> = request
        .get("params")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    match request.get("method").and_then(Value::as_str) {
        Some("SUBSCRIBE") => {
            streams.extend(params);
            serde_json::json!({ "result": null, "id": id }).to_string()
        }
        Some("UNSUBSCRIBE") => {
            for p in &params {
                streams.remove(p);
            }
            serde_json::json!({ "result": null, "id": id }).to_string()
        }
        Some("LIST_SUBSCRIPTIONS") => serde_json::json!({ "result": streams, "id": id }).to_string(),
        _ => serde_json::json!({ "error": { "code": 2, "msg": "Invalid request: unknown method" }, "id": id })
            .to_string(),
    }
}
