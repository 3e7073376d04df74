//! The market-data client: a kline (or trade) WebSocket kept alive, and every closed bar handed on once, in order.
//!
//! Design choice: this module only moves messages — connect, read, answer pings, reconnect with exponential
//! backoff and jitter, fetch missed bars over REST — and leaves every decision about which bar comes next to the
//! pure [`BarStream`]. After each (re)connect it first catches up over `GET /api/v3/klines` from the bar it expects
//! next, and whenever a closed kline shows a hole it backfills the hole before that bar, so a session fed from here
//! steps on the same bars, in the same order, as a backtest over the venue's history. Built from trades
//! ([`TradeBars`]), it catches up over `GET /api/v3/aggTrades` instead — from the trade after the last one taken, or
//! from the first bar to build — and fills a hole in the trade ids before the trade after it. A universe's streams
//! ([`FeedOptions::universe`]) share one connection, the combined endpoint; each keeps its own [`BarStream`], its own
//! catch-up and backfills, and its bars go out tagged with its index. Bars go to a [`BarSink`] synchronously, on the
//! task that read them: no queue between the socket and the strategy.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use thiserror::Error;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::{debug, info, warn};

use super::bars::{BarStream, FeedCounts, Skip, Verdict};
use super::binance::{self, AggTrade, Event, Kline, MAX_MESSAGE_BYTES, MessageError, Stream};
use super::net::{self, Endpoint, NetError};
use super::trades::{TradeBars, TradeVerdict};
use crate::bar::Bar;

/// The venue's public market-data WebSocket.
pub const BINANCE_WS: &str = "wss://stream.binance.com:9443";
/// The venue's REST API.
pub const BINANCE_REST: &str = "https://api.binance.com";
/// The most klines one REST request returns.
pub const REST_PAGE: usize = 1000;
/// The largest REST response accepted (a full page is ~200 KB).
pub const MAX_REST_BYTES: usize = 4 << 20;

/// Reconnection delays: `initial`, doubling up to `max`, each jittered to between half and all of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// Consecutive failed attempts (connections that delivered nothing, or requests) before giving up.
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial: Duration::from_millis(250), max: Duration::from_secs(30), attempts: 10 }
    }
}

impl Backoff {
    /// The wait before attempt `failures + 1` (`failures` ≥ 1), with `unit` in [0, 1) choosing the jitter.
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let doubled = self.initial.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
        let base = doubled.min(self.max);
        base.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// The stream (a universe's first).
    pub stream: Stream,
    /// Every stream read, in symbol order: `[stream]`, or a universe's (one connection, the combined endpoint).
    pub streams: Vec<Stream>,
    /// The WebSocket URL, path included (`/ws/<stream>`, `/stream?streams=<stream>`, or `/ws` to `SUBSCRIBE`).
    pub ws: Endpoint,
    /// The REST API's server (its path is replaced by the endpoint's).
    pub rest: Endpoint,
    pub backoff: Backoff,
    /// Longest text message accepted on the WebSocket; longer ones are skipped and counted.
    pub max_message_bytes: usize,
    /// Deadline of a connection attempt and of a REST request.
    pub timeout: Duration,
    /// A connection silent this long (no message, no ping) is replaced.
    pub idle: Duration,
    /// How often [`BarSink::heartbeat`] is called.
    pub heartbeat: Duration,
    /// Seeds the backoff jitter (it spreads reconnects; it never touches a result).
    pub seed: u64,
}

impl FeedOptions {
    /// Options for `stream` at the given servers: a WebSocket URL without a path gets `/ws/<stream>`.
    pub fn new(stream: Stream, ws_url: &str, rest_url: &str) -> Result<Self, NetError> {
        let mut ws = Endpoint::parse(ws_url)?;
        if ws.path == "/" {
            ws.path = format!("/ws/{}", stream.name());
        }
        let rest = Endpoint::parse(rest_url)?;
        Ok(Self {
            streams: vec![stream.clone()],
            stream,
            ws,
            rest,
            backoff: Backoff::default(),
            max_message_bytes: MAX_MESSAGE_BYTES,
            timeout: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            heartbeat: Duration::from_secs(60),
            seed: u64::from(std::process::id()),
        })
    }

    /// Options for a universe's `streams` (at least one, in symbol order) on one connection: a WebSocket URL without
    /// a path gets the combined endpoint `/stream?streams=<a>/<b>/…`.
    pub fn universe(streams: Vec<Stream>, ws_url: &str, rest_url: &str) -> Result<Self, NetError> {
        let Some(first) = streams.first().cloned() else {
            return Err(NetError::BadUrl { url: ws_url.to_string(), why: "no stream to read".into() });
        };
        let given_path = Endpoint::parse(ws_url)?.path != "/";
        let mut opts = Self::new(first, ws_url, rest_url)?;
        if streams.len() > 1 && !given_path {
            let names: Vec<String> = streams.iter().map(Stream::name).collect();
            opts.ws.path = format!("/stream?streams={}", names.join("/"));
        }
        opts.streams = streams;
        Ok(opts)
    }
}

/// Why the feed gave up.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeedError {
    #[error("cannot reach the market-data feed at {url} after {attempts} attempts: {last}")]
    Unreachable { url: String, attempts: u32, last: String },
    #[error("cannot read the venue's history at {url}: {why}")]
    History { url: String, why: String },
}

/// What the feed has done so far, for heartbeats and the run's record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FeedStatus {
    pub counts: FeedCounts,
    /// Connections replaced (after a close, an error, a `serverShutdown`, or silence).
    pub reconnects: u64,
    /// Messages skipped because they were not understood: not JSON, over the size limit, wrong layout, binary.
    pub bad_messages: u64,
    /// REST requests that failed (each retried; a hole left after the retries is counted as a gap).
    pub rest_errors: u64,
    pub pings: u64,
    /// Open time of the last bar handed on.
    pub last_bar: Option<i64>,
}

/// Whether to keep going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// Receives the feed's bars.
pub trait BarSink {
    /// A new closed bar of stream `symbol` (its index in [`FeedOptions::streams`]; 0 for one stream), next in that
    /// stream's sequence; `received` is when the message that completed it was read.
    fn bar(&mut self, symbol: usize, bar: &Bar, received: Instant, status: &FeedStatus) -> Flow;
    /// Called every [`FeedOptions::heartbeat`] while the feed runs (the sink may stop the feed from here too).
    fn heartbeat(&mut self, _status: &FeedStatus) -> Flow {
        Flow::Continue
    }
}

/// What to do after a message.
enum Next {
    Read,
    Stop,
    Reconnect,
}

/// How one connection ended.
enum Ended {
    Stop,
    /// Replace the connection; `productive` if it delivered anything (resets the backoff).
    Reconnect {
        productive: bool,
        why: String,
    },
}

/// A kline feed: connect, read, reconnect, backfill.
pub struct Feed {
    opts: FeedOptions,
    /// One bar stream per stream of [`FeedOptions::streams`].
    bars: Vec<BarStream>,
    /// The bars built from trades, for a stream of trades.
    trades: Option<TradeBars>,
    status: FeedStatus,
    rng: u64,
    next_heartbeat: Instant,
}

impl Feed {
    /// A feed whose bars continue `bars` (which knows the last warm-up bar, if any). For a stream of trades
    /// (`opts.stream.trades`), the bars are built from its trades instead. With several streams
    /// ([`FeedOptions::universe`]), each stream's bars start with the first bar the feed shows.
    pub fn new(opts: FeedOptions, bars: BarStream) -> Self {
        let rng = opts.seed ^ 0x9E37_79B9_7F4A_7C15;
        let next_heartbeat = Instant::now() + opts.heartbeat;
        // A month cannot be built from trades; `strata live` refuses it before a feed exists.
        let trades = opts.stream.trades.then(|| TradeBars::new(opts.stream.clone(), None).ok()).flatten();
        let mut streams = vec![bars];
        streams.extend(opts.streams.iter().skip(1).map(|s| BarStream::new(s.clone(), None)));
        Self { opts, bars: streams, trades, status: FeedStatus::default(), rng, next_heartbeat }
    }

    /// A feed of every stream of [`FeedOptions::streams`] (a universe's, [`FeedOptions::universe`]), each stream's bars
    /// starting with the first bar the feed shows of it.
    pub fn universe(opts: FeedOptions) -> Self {
        let first = BarStream::new(opts.stream.clone(), None);
        Self::new(opts, first)
    }

    /// Continues after warm-up history whose last bar opened at `ts`: each stream's first live bar is the one after
    /// it.
    pub fn start_after(&mut self, ts: i64) {
        self.bars = self.opts.streams.iter().map(|s| BarStream::new(s.clone(), Some(ts))).collect();
        if self.trades.is_some() {
            self.trades = TradeBars::new(self.opts.stream.clone(), Some(ts)).ok();
        }
    }

    pub fn status(&self) -> FeedStatus {
        let counts = match &self.trades {
            Some(t) => t.counts(),
            None => self.bars.iter().map(BarStream::counts).fold(FeedCounts::default(), FeedCounts::plus),
        };
        FeedStatus { counts, ..self.status }
    }

    /// Runs until the sink says stop, or the feed cannot be reached within the backoff's attempts.
    pub async fn run(&mut self, sink: &mut dyn BarSink) -> Result<(), FeedError> {
        let mut failures = 0u32;
        let mut connected_once = false;
        loop {
            let why = match self.connection(sink, &mut connected_once).await {
                Ended::Stop => return Ok(()),
                Ended::Reconnect { productive: true, why } => {
                    failures = 0;
                    why
                }
                Ended::Reconnect { productive: false, why } => {
                    failures += 1;
                    if failures >= self.opts.backoff.attempts {
                        return Err(FeedError::Unreachable {
                            url: self.opts.ws.url(true),
                            attempts: failures,
                            last: why,
                        });
                    }
                    why
                }
            };
            let unit = self.unit();
            let wait = if failures == 0 { Duration::ZERO } else { self.opts.backoff.delay(failures, unit) };
            warn!(url = %self.opts.ws.url(true), reason = %why, retry_in_ms = wait.as_millis() as u64, "feed disconnected");
            if connected_once {
                self.status.reconnects += 1;
            }
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// A number in [0, 1) for the jitter (SplitMix64).
    fn unit(&mut self) -> f64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One connection's life: connect, catch up over REST, then read until it ends.
    async fn connection(&mut self, sink: &mut dyn BarSink, connected_once: &mut bool) -> Ended {
        let url = self.opts.ws.url(true);
        let conn = match net::connect(&self.opts.ws, self.opts.timeout).await {
            Ok(c) => c,
            Err(e) => return Ended::Reconnect { productive: false, why: e.to_string() },
        };
        // The socket's hard limit is well above the message limit, so that an oversized message is skipped and
        // counted rather than ending the connection; beyond it, the connection is dropped (memory stays bounded).
        let hard_limit = self.opts.max_message_bytes.max(1024).saturating_mul(16);
        let config = WebSocketConfig::default().max_message_size(Some(hard_limit)).max_frame_size(Some(hard_limit));
        let handshake = tokio_tungstenite::client_async_with_config(url.as_str(), conn, Some(config));
        let mut ws = match tokio::time::timeout(self.opts.timeout, handshake).await {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => return Ended::Reconnect { productive: false, why: format!("WebSocket handshake: {e}") },
            Err(_) => return Ended::Reconnect { productive: false, why: "WebSocket handshake timed out".into() },
        };
        *connected_once = true;
        info!(url = %url, stream = %self.opts.stream, streams = self.opts.streams.len(), "feed connected");
        if self.opts.ws.path == "/ws" {
            let names: Vec<String> = self.opts.streams.iter().map(Stream::name).collect();
            let request = serde_json::json!({ "method": "SUBSCRIBE", "params": names, "id": 1 }).to_string();
            if let Err(e) = ws.send(Message::text(request)).await {
                return Ended::Reconnect { productive: false, why: format!("SUBSCRIBE: {e}") };
            }
        }
        // Bars that closed (or trades made) while there was no connection.
        if self.trades.is_some() {
            if self.catch_up_trades(sink).await == Flow::Stop {
                return Ended::Stop;
            }
        } else {
            for s in 0..self.bars.len() {
                if let Some(from) = self.bars[s].next_open()
                    && self.backfill(s, from, None, sink).await == Flow::Stop
                {
                    return Ended::Stop;
                }
            }
        }
        let mut productive = false;
        let mut last_heard = Instant::now();
        loop {
            let now = Instant::now();
            if now >= self.next_heartbeat {
                if sink.heartbeat(&self.status()) == Flow::Stop {
                    return Ended::Stop;
                }
                self.next_heartbeat = now + self.opts.heartbeat;
            }
            let silent_until = last_heard + self.opts.idle;
            let message = match tokio::time::timeout_at(silent_until.min(self.next_heartbeat).into(), ws.next()).await {
                Err(_) if Instant::now() >= silent_until => {
                    return Ended::Reconnect {
                        productive,
                        why: format!("no message for {} s", self.opts.idle.as_secs_f64()),
                    };
                }
                Err(_) => continue,
                Ok(m) => m,
            };
            last_heard = Instant::now();
            let received = last_heard;
            match message {
                None => return Ended::Reconnect { productive, why: "the server closed the connection".into() },
                Some(Err(e)) => return Ended::Reconnect { productive, why: e.to_string() },
                Some(Ok(Message::Close(frame))) => {
                    let why =
                        frame.map_or_else(|| "closed".to_string(), |f| format!("closed: {} {}", f.code, f.reason));
                    return Ended::Reconnect { productive, why };
                }
                Some(Ok(Message::Ping(_))) => {
                    // tungstenite has queued the pong with the same payload; send it now.
                    self.status.pings += 1;
                    productive = true;
                    if let Err(e) = ws.flush().await {
                        return Ended::Reconnect { productive, why: format!("pong: {e}") };
                    }
                }
                Some(Ok(Message::Text(text))) => {
                    productive = true;
                    match self.on_text(&text, received, sink).await {
                        Next::Read => {}
                        Next::Stop => return Ended::Stop,
                        Next::Reconnect => {
                            return Ended::Reconnect { productive, why: "the server announced a shutdown".into() };
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    self.status.bad_messages += 1;
                    warn!("skipped a binary message (the feed sends text)");
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Handles one text message.
    async fn on_text(&mut self, text: &str, received: Instant, sink: &mut dyn BarSink) -> Next {
        let event = match binance::parse_message(text, self.opts.max_message_bytes) {
            Ok(e) => e,
            Err(e) => {
                self.status.bad_messages += 1;
                warn!(error = %e, "skipped a message");
                return Next::Read;
            }
        };
        match event {
            Event::Kline { symbol, interval, kline } => {
                // The stream of this symbol (a kline of none is the first stream's to count as another stream's).
                let s = self.bars.iter().position(|b| b.stream().symbol.eq_ignore_ascii_case(&symbol)).unwrap_or(0);
                let verdict = self.bars[s].offer(&symbol, interval, &kline);
                match self.on_verdict(s, verdict, &kline, received, sink).await {
                    Flow::Stop => Next::Stop,
                    Flow::Continue => Next::Read,
                }
            }
            Event::AggTrade { symbol, trade } => {
                if symbol != self.opts.stream.symbol || self.trades.is_none() {
                    debug!(symbol, "skipped a trade of another stream");
                    return Next::Read;
                }
                match self.on_trade(&trade, received, sink).await {
                    Flow::Stop => Next::Stop,
                    Flow::Continue => Next::Read,
                }
            }
            Event::ServerShutdown => {
                info!("the server announced a shutdown: reconnecting");
                Next::Reconnect
            }
            Event::Response { id, result } => {
                debug!(%id, %result, "response");
                Next::Read
            }
            Event::Other(kind) => {
                debug!(kind, "ignored an event");
                Next::Read
            }
        }
    }

    /// Acts on what stream `s`'s bar stream made of a kline: hands on a bar, or backfills a hole first.
    async fn on_verdict(
        &mut self,
        s: usize,
        verdict: Verdict,
        kline: &Kline,
        received: Instant,
        sink: &mut dyn BarSink,
    ) -> Flow {
        match verdict {
            Verdict::Bar(bar) => self.deliver(s, &bar, received, sink),
            Verdict::Backfill { from, before } => {
                if self.backfill(s, from, Some(before), sink).await == Flow::Stop {
                    return Flow::Stop;
                }
                let stream = self.bars[s].stream().clone();
                let again = match self.bars[s].offer(&stream.symbol, stream.interval, kline) {
                    Verdict::Backfill { from, before } => {
                        info!(symbol = %stream.symbol, from, before, "the venue has no bars for a hole in the stream: a gap");
                        self.bars[s].accept_gap(kline)
                    }
                    v => v,
                };
                match again {
                    Verdict::Bar(bar) => self.deliver(s, &bar, received, sink),
                    _ => Flow::Continue,
                }
            }
            Verdict::Skip(Skip::Rejected(reason)) => {
                if !matches!(reason, crate::data::Reason::Duplicate) {
                    warn!(open_time = kline.open_time, reason = reason.describe(), "skipped a kline");
                }
                Flow::Continue
            }
            Verdict::Skip(Skip::OtherStream) => {
                debug!("skipped a kline of another stream");
                Flow::Continue
            }
            Verdict::Skip(Skip::InProgress) => Flow::Continue,
        }
    }

    /// A trade from the stream: a hole in the ids is fetched first; a bar it completes is handed on.
    async fn on_trade(&mut self, trade: &AggTrade, received: Instant, sink: &mut dyn BarSink) -> Flow {
        let Some(trades) = self.trades.as_mut() else { return Flow::Continue };
        let verdict = match trades.offer(trade) {
            TradeVerdict::Hole { from_id } => {
                if self.trades_from(Some(from_id), None, Some(trade.id), sink).await == Flow::Stop {
                    return Flow::Stop;
                }
                let Some(trades) = self.trades.as_mut() else { return Flow::Continue };
                match trades.offer(trade) {
                    TradeVerdict::Hole { from_id } => {
                        info!(from_id, before = trade.id, "the venue has no trades for a hole in the stream: a gap");
                        trades.accept_gap(trade)
                    }
                    v => v,
                }
            }
            v => v,
        };
        match verdict {
            TradeVerdict::Bar(bar) => self.deliver(0, &bar, received, sink),
            TradeVerdict::Duplicate | TradeVerdict::Nothing | TradeVerdict::Hole { .. } => Flow::Continue,
        }
    }

    /// After a (re)connect: the trades made since the last one taken, or since the first bar to build.
    async fn catch_up_trades(&mut self, sink: &mut dyn BarSink) -> Flow {
        let Some(trades) = &self.trades else { return Flow::Continue };
        match (trades.last_id(), trades.start_time()) {
            (Some(last), _) => self.trades_from(Some(last + 1), None, None, sink).await,
            (None, Some(start)) => self.trades_from(None, Some(start), None, sink).await,
            (None, None) => Flow::Continue,
        }
    }

    /// Fetches aggregate trades from id `from_id` (or from time `start`) up to id `before` (to the present without
    /// it), a page at a time, and hands on the bars they complete. A request that keeps failing leaves the hole.
    async fn trades_from(
        &mut self,
        mut from_id: Option<i64>,
        start: Option<i64>,
        before: Option<i64>,
        sink: &mut dyn BarSink,
    ) -> Flow {
        loop {
            let stream = &self.opts.stream;
            let mut path = format!("/api/v3/aggTrades?symbol={}&limit={REST_PAGE}", stream.symbol);
            match (from_id, start) {
                (Some(id), _) => path += &format!("&fromId={id}"),
                (None, Some(t)) => path += &format!("&startTime={t}"),
                (None, None) => return Flow::Continue,
            }
            let page = match self.rest_page(&path, |body| binance::parse_rest_agg_trades(body, MAX_REST_BYTES)).await {
                Ok(p) => p,
                Err(e) => {
                    warn!(error = %e, "trade backfill failed; the missed trades are lost");
                    return Flow::Continue;
                }
            };
            for t in page.iter().filter(|t| before.is_none_or(|b| t.id < b)) {
                let Some(trades) = self.trades.as_mut() else { return Flow::Continue };
                if let TradeVerdict::Bar(bar) = trades.offer_backfill(t)
                    && self.deliver(0, &bar, Instant::now(), sink) == Flow::Stop
                {
                    return Flow::Stop;
                }
            }
            match page.last() {
                Some(last) if page.len() >= REST_PAGE && before.is_none_or(|b| last.id + 1 < b) => {
                    from_id = Some(last.id + 1);
                }
                _ => return Flow::Continue,
            }
        }
    }

    fn deliver(&mut self, s: usize, bar: &Bar, received: Instant, sink: &mut dyn BarSink) -> Flow {
        self.status.last_bar = Some(self.status.last_bar.map_or(bar.ts, |t| t.max(bar.ts)));
        let status = self.status();
        sink.bar(s, bar, received, &status)
    }

    /// Fetches stream `s`'s closed bars opening in `from..before` (to the present without `before`) and hands on
    /// those its bar stream takes. A request that keeps failing leaves the hole (logged; the bar after it counts it
    /// as a gap).
    async fn backfill(&mut self, s: usize, from: i64, before: Option<i64>, sink: &mut dyn BarSink) -> Flow {
        let mut start = from;
        loop {
            let end = before.map(|b| b - 1);
            let page = match self.klines(s, Some(start), end, REST_PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    warn!(from = start, error = %e, "backfill failed; the missed bars are lost");
                    return Flow::Continue;
                }
            };
            for k in &page {
                if let Verdict::Bar(bar) = self.bars[s].offer_backfill(k)
                    && self.deliver(s, &bar, Instant::now(), sink) == Flow::Stop
                {
                    return Flow::Stop;
                }
            }
            match page.last() {
                Some(last) if page.len() >= REST_PAGE && before.is_none_or(|b| last.open_time + 1 < b) => {
                    start = last.open_time + 1;
                }
                _ => return Flow::Continue,
            }
        }
    }

    /// The most recent `n` closed bars (fewer if the venue has fewer), oldest first: warm-up history.
    pub async fn history(&mut self, n: usize) -> Result<Vec<Kline>, FeedError> {
        self.history_of(0, n).await
    }

    /// [`Feed::history`] of stream `s`.
    pub async fn history_of(&mut self, s: usize, n: usize) -> Result<Vec<Kline>, FeedError> {
        let mut out: Vec<Kline> = Vec::new();
        let mut end: Option<i64> = None;
        while out.len() < n {
            // One more than needed: the venue's last row is the bar in progress.
            let want = (n - out.len() + 1).min(REST_PAGE);
            let page = self.klines(s, None, end, want).await.map_err(|why| FeedError::History {
                url: self.opts.rest.with_path("/api/v3/klines").url(false),
                why,
            })?;
            let closed: Vec<Kline> = page.iter().copied().filter(|k| k.closed).collect();
            let Some(first) = page.first() else { break };
            end = Some(first.open_time - 1);
            let take = closed.len().min(n - out.len());
            let mut older = closed[closed.len() - take..].to_vec();
            older.append(&mut out);
            out = older;
            if page.len() < want {
                break;
            }
        }
        Ok(out)
    }

    /// One `GET /api/v3/klines` page of stream `s`, retried with backoff; the venue's errors and bad bodies are
    /// failures.
    async fn klines(
        &mut self,
        s: usize,
        start: Option<i64>,
        end: Option<i64>,
        limit: usize,
    ) -> Result<Vec<Kline>, String> {
        let stream = self.bars.get(s).map_or(&self.opts.stream, BarStream::stream);
        let mut path = format!("/api/v3/klines?symbol={}&interval={}&limit={limit}", stream.symbol, stream.interval);
        if let Some(s) = start {
            path += &format!("&startTime={s}");
        }
        if let Some(e) = end {
            path += &format!("&endTime={e}");
        }
        self.rest_page(&path, |body| binance::parse_rest_klines(body, now_ms(), MAX_REST_BYTES)).await
    }

    /// One REST page at `path`, read by `parse`, retried with backoff; the venue's errors and bad bodies are
    /// failures.
    async fn rest_page<T>(
        &mut self,
        path: &str,
        parse: impl Fn(&str) -> Result<Vec<T>, MessageError>,
    ) -> Result<Vec<T>, String> {
        let ep = self.opts.rest.with_path(path);
        let mut failures = 0u32;
        loop {
            let result = match net::get(&ep, self.opts.timeout, MAX_REST_BYTES).await {
                Ok(r) if r.status == 200 => parse(&r.body).map_err(|e| (e.to_string(), None)),
                Ok(r) => Err((
                    format!("HTTP {}: {}", r.status, r.body.chars().take(200).collect::<String>()),
                    r.retry_after.filter(|_| matches!(r.status, 418 | 429)),
                )),
                Err(e) => Err((e.to_string(), None)),
            };
            match result {
                Ok(k) => return Ok(k),
                Err((why, retry_after)) => {
                    self.status.rest_errors += 1;
                    failures += 1;
                    if failures >= self.opts.backoff.attempts.min(5) {
                        return Err(why);
                    }
                    let wait = match retry_after {
                        Some(s) => Duration::from_secs(s.min(300)),
                        None => {
                            let unit = self.unit();
                            self.opts.backoff.delay(failures, unit)
                        }
                    };
                    warn!(url = %ep.url(false), error = %why, retry_in_ms = wait.as_millis() as u64, "REST request failed");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Wall-clock now, epoch ms: only to tell the venue's in-progress last REST row from closed ones.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_bounded_jitter() {
        let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1), attempts: 5 };
        assert_eq!(b.delay(1, 1.0), Duration::from_millis(100));
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay(3, 1.0), Duration::from_millis(400));
        assert_eq!(b.delay(10, 1.0), Duration::from_secs(1));
        assert_eq!(b.delay(u32::MAX, 0.0), Duration::from_millis(500));
        let opts = FeedOptions::new(Stream::parse("BTCUSDT@1m").unwrap(), "ws://127.0.0.1:1", "http://127.0.0.1:1");
        let mut feed = Feed::new(opts.unwrap(), BarStream::new(Stream::parse("BTCUSDT@1m").unwrap(), None));
        let units: Vec<f64> = (0..1000).map(|_| feed.unit()).collect();
        assert!(units.iter().all(|u| (0.0..1.0).contains(u)));
        let mean = units.iter().sum::<f64>() / units.len() as f64;
        assert!((mean - 0.5).abs() < 0.05, "{mean}");
    }

    #[test]
    fn a_url_without_a_path_gets_the_raw_stream_path() {
        let s = Stream::parse("ETHBTC@5m").unwrap();
        let o = FeedOptions::new(s.clone(), "ws://localhost:9443", BINANCE_REST).unwrap();
        assert_eq!(o.ws.url(true), "ws://localhost:9443/ws/ethbtc@kline_5m");
        let o = FeedOptions::new(s, "wss://x.test/stream?streams=ethbtc@kline_5m", BINANCE_REST).unwrap();
        assert_eq!(o.ws.path, "/stream?streams=ethbtc@kline_5m");
        assert!(o.ws.tls && o.rest.tls);
    }
}
