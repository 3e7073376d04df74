//! Binance Spot's public market-data protocol as values: stream names, kline events (raw and combined-stream), the
//! control messages, and the REST klines array — parsed from JSON and written back to it. No I/O.
//!
//! Design choice: one module owns the wire format in both directions, so the feed client (parsing) and the offline
//! feed server (writing) cannot disagree about it, and every malformed message becomes a typed [`MessageError`] that
//! a caller counts and skips — never a panic. Prices and quantities travel as decimal strings, as the venue sends
//! them; they are parsed with Rust's correctly rounded float parser and written with the shortest representation
//! that reads back to the same `f64`, so a bar survives the round trip bit for bit.

use std::fmt;

use serde_json::Value;

use crate::bar::Bar;

/// A kline interval, as the venue names them (`1s`, `1m` … `1d`, `3d`, `1w`, `1M`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// A fixed length in milliseconds.
    Fixed(i64),
    /// One calendar month (`1M`): bars open on the first of each month, UTC.
    Month,
}

const MINUTE: i64 = 60_000;

/// Every interval the venue offers, with its name.
pub const INTERVALS: [(&str, Interval); 16] = [
    ("1s", Interval::Fixed(1_000)),
    ("1m", Interval::Fixed(MINUTE)),
    ("3m", Interval::Fixed(3 * MINUTE)),
    ("5m", Interval::Fixed(5 * MINUTE)),
    ("15m", Interval::Fixed(15 * MINUTE)),
    ("30m", Interval::Fixed(30 * MINUTE)),
    ("1h", Interval::Fixed(60 * MINUTE)),
    ("2h", Interval::Fixed(120 * MINUTE)),
    ("4h", Interval::Fixed(240 * MINUTE)),
    ("6h", Interval::Fixed(360 * MINUTE)),
    ("8h", Interval::Fixed(480 * MINUTE)),
    ("12h", Interval::Fixed(720 * MINUTE)),
    ("1d", Interval::Fixed(1_440 * MINUTE)),
    ("3d", Interval::Fixed(3 * 1_440 * MINUTE)),
    ("1w", Interval::Fixed(7 * 1_440 * MINUTE)),
    ("1M", Interval::Month),
];

impl Interval {
    /// The interval called `name`; `None` for a name the venue does not offer.
    pub fn parse(name: &str) -> Option<Self> {
        INTERVALS.iter().find(|(n, _)| *n == name).map(|(_, i)| *i)
    }

    pub fn name(self) -> &'static str {
        INTERVALS.iter().find(|(_, i)| *i == self).map_or("?", |(n, _)| n)
    }

    /// Its length in milliseconds; `None` for a calendar month.
    pub fn millis(self) -> Option<i64> {
        match self {
            Interval::Fixed(ms) => Some(ms),
            Interval::Month => None,
        }
    }

    /// When the bar after the one opening at `open` opens.
    pub fn next_open(self, open: i64) -> i64 {
        match self {
            Interval::Fixed(ms) => open.saturating_add(ms),
            Interval::Month => {
                let (y, m) = crate::time::year_month(open);
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                crate::time::month_start(y, m)
            }
        }
    }

    /// When the bar opening at `open` closes: the venue's `T`, one millisecond before the next bar opens.
    pub fn close_time(self, open: i64) -> i64 {
        self.next_open(open) - 1
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bar stream: one symbol's bars at one interval — the venue's klines (`btcusdt@kline_1m`), or, with `trades`,
/// bars built here from its aggregate trades (`btcusdt@aggTrade`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stream {
    /// Upper case, as the venue writes it in events (`BTCUSDT`).
    pub symbol: String,
    pub interval: Interval,
    /// Build the bars from the trade stream instead of reading the venue's klines.
    pub trades: bool,
}

impl Stream {
    /// From `SYMBOL@INTERVAL` (the `--feed binance:` form) or a stream name `symbol@kline_INTERVAL`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (symbol, rest) =
            text.split_once('@').ok_or_else(|| format!("'{text}' is not SYMBOL@INTERVAL (for example BTCUSDT@1m)"))?;
        let interval_name = rest.strip_prefix("kline_").unwrap_or(rest);
        let interval = Interval::parse(interval_name).ok_or_else(|| {
            let names: Vec<&str> = INTERVALS.iter().map(|(n, _)| *n).collect();
            let hint = crate::suggest::hint(interval_name, names.iter().copied());
            format!("unknown interval '{interval_name}'{hint} (intervals: {})", names.join(", "))
        })?;
        if symbol.is_empty() || !symbol.chars().all(|c| c.is_ascii_alphanumeric()) || symbol.len() > 20 {
            return Err(format!("'{symbol}' is not a symbol (letters and digits, like BTCUSDT)"));
        }
        Ok(Stream { symbol: symbol.to_ascii_uppercase(), interval, trades: false })
    }

    /// The stream's name on the wire: lower-case symbol, then `@kline_` and the interval, or `@aggTrade`.
    pub fn name(&self) -> String {
        if self.trades {
            return format!("{}@aggTrade", self.symbol.to_ascii_lowercase());
        }
        format!("{}@kline_{}", self.symbol.to_ascii_lowercase(), self.interval)
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}{}", self.symbol, self.interval, if self.trades { " from trades" } else { "" })
    }
}

/// One aggregate trade (`aggTrade`): trades at one price by one taker order, numbered without gaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AggTrade {
    /// `a`: consecutive ids, so a hole in them is a missed trade.
    pub id: i64,
    pub price: f64,
    pub qty: f64,
    /// `T`: when it traded.
    pub time: i64,
}

/// The raw-stream JSON of an `aggTrade` event, fields in the venue's order.
pub fn agg_trade_event_json(symbol: &str, t: &AggTrade, event_time: i64) -> String {
    format!(
        r#"{{"e":"aggTrade","E":{event_time},"s":"{symbol}","a":{},"p":"{}","q":"{}","f":{},"l":{},"T":{},"m":false,"M":true}}"#,
        t.id,
        decimal(t.price),
        decimal(t.qty),
        t.id,
        t.id,
        t.time
    )
}

/// The body of `GET /api/v3/aggTrades`.
pub fn rest_agg_trades_json(trades: &[AggTrade]) -> String {
    let rows: Vec<Value> = trades
        .iter()
        .map(|t| {
            serde_json::json!({"a": t.id, "p": decimal(t.price), "q": decimal(t.qty), "f": t.id, "l": t.id,
                "T": t.time, "m": false, "M": true})
        })
        .collect();
    Value::Array(rows).to_string()
}

/// Parses a `GET /api/v3/aggTrades` body (oldest first); an error body or a malformed row is an error.
pub fn parse_rest_agg_trades(text: &str, max_bytes: usize) -> Result<Vec<AggTrade>, MessageError> {
    rest_rows(text, max_bytes, "aggTrades")?
        .iter()
        .enumerate()
        .map(|(i, row)| agg_trade(row).map_err(|e| schema(format!("aggTrades row {i}: {e}"))))
        .collect()
}

/// The fields of one aggregate trade, from an event or a REST row.
fn agg_trade(v: &Value) -> Result<AggTrade, String> {
    let int = |key: &str| v.get(key).and_then(Value::as_i64).ok_or_else(|| format!("\"{key}\" is not an integer"));
    let num = |key: &str| number(v.get(key)).ok_or_else(|| format!("\"{key}\" is not a number"));
    let t = AggTrade { id: int("a")?, price: num("p")?, qty: num("q")?, time: int("T")? };
    if t.price <= 0.0 || t.qty < 0.0 {
        return Err(format!("price {} and quantity {} cannot trade", t.price, t.qty));
    }
    Ok(t)
}

/// One kline update: the bar so far, and whether it has closed (`x`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kline {
    /// `E`: when the venue sent the event.
    pub event_time: i64,
    /// `t`: the bar's open time, which is its timestamp here.
    pub open_time: i64,
    /// `T`.
    pub close_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    /// `x`: the bar is final. Only closed klines become bars.
    pub closed: bool,
}

impl Kline {
    /// The bar this kline describes (meaningful once closed).
    pub fn bar(&self) -> Bar {
        Bar {
            ts: self.open_time,
            open: self.open,
            high: self.high,
            low: self.low,
            close: self.close,
            volume: self.volume,
        }
    }

    /// The closed kline of `bar` at `interval`, sent at `event_time`.
    pub fn closed(bar: &Bar, interval: Interval, event_time: i64) -> Self {
        Kline {
            event_time,
            open_time: bar.ts,
            close_time: interval.close_time(bar.ts),
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: if bar.volume.is_nan() { 0.0 } else { bar.volume },
            closed: true,
        }
    }
}

/// A message from the market-data connection, understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A kline update for `symbol` (upper case) at `interval`.
    Kline { symbol: String, interval: Interval, kline: Kline },
    /// An aggregate trade of `symbol` (upper case).
    AggTrade { symbol: String, trade: AggTrade },
    /// The venue is about to close the connection: reconnect now.
    ServerShutdown,
    /// The answer to a request sent on the connection (`SUBSCRIBE` …): its `id` and `result`.
    Response { id: Value, result: Value },
    /// A well-formed event of a kind a kline feed does not use (its `e`).
    Other(String),
}

/// Why a message was not understood. Each is counted and the message skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("message of {len} bytes is over the {limit}-byte limit")]
    TooLarge { len: usize, limit: usize },
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("unexpected message layout: {0}")]
    Schema(String),
}

/// The largest message a kline feed accepts by default (a kline event is ~400 bytes; a REST page of 1,000 klines
/// ~200 KB).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

fn schema(what: impl Into<String>) -> MessageError {
    MessageError::Schema(what.into())
}

/// Parses one text message from a raw (`/ws/…`) or combined (`/stream?…`) connection.
pub fn parse_message(text: &str, max_bytes: usize) -> Result<Event, MessageError> {
    if text.len() > max_bytes {
        return Err(MessageError::TooLarge { len: text.len(), limit: max_bytes });
    }
    if let Some(event) = fast_kline(text) {
        return Ok(event);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| MessageError::NotJson(e.to_string()))?;
    let Value::Object(map) = &value else { return Err(schema("not a JSON object")) };
    // The combined-stream wrapper, and the WebSocket API's event wrapper.
    if let Some(data) = map.get("data").filter(|_| map.contains_key("stream")) {
        return parse_payload(data);
    }
    if let Some(event) = map.get("event").filter(|e| e.is_object()) {
        return parse_payload(event);
    }
    if map.contains_key("id") && (map.contains_key("result") || map.contains_key("error")) {
        let result = map.get("result").or_else(|| map.get("error")).cloned().unwrap_or(Value::Null);
        return Ok(Event::Response { id: map.get("id").cloned().unwrap_or(Value::Null), result });
    }
    parse_payload(&value)
}

/// The kline event as the venue writes it — raw or in the combined wrapper, prices as decimal strings without
/// escapes — read straight into a [`Kline`] without building a JSON tree. Anything else (`None`) takes the general
/// path, which also names what is wrong; both give the same event for every message the fast one accepts.
fn fast_kline(text: &str) -> Option<Event> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        e: &'a str,
        #[serde(rename = "E")]
        event_time: Option<i64>,
        s: &'a str,
        #[serde(borrow)]
        k: RawK<'a>,
        // Present only in the other layouts: their presence sends the message down the general path.
        id: Option<serde::de::IgnoredAny>,
        event: Option<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    struct RawK<'a> {
        t: i64,
        #[serde(rename = "T")]
        close_time: i64,
        i: &'a str,
        o: &'a str,
        h: &'a str,
        l: &'a str,
        c: &'a str,
        v: &'a str,
        x: bool,
    }
    #[derive(serde::Deserialize)]
    struct Combined<'a> {
        #[serde(rename = "stream")]
        _stream: &'a str,
        #[serde(borrow)]
        data: Raw<'a>,
    }
    let raw = if text.starts_with(r#"{"stream""#) {
        serde_json::from_str::<Combined<'_>>(text).ok()?.data
    } else {
        serde_json::from_str::<Raw<'_>>(text).ok()?
    };
    if raw.e != "kline" || raw.id.is_some() || raw.event.is_some() {
        return None;
    }
    let num = |s: &str| s.parse::<f64>().ok().filter(|x| x.is_finite());
    let k = &raw.k;
    let kline = Kline {
        event_time: raw.event_time.unwrap_or(0),
        open_time: k.t,
        close_time: k.close_time,
        open: num(k.o)?,
        high: num(k.h)?,
        low: num(k.l)?,
        close: num(k.c)?,
        volume: num(k.v)?,
        closed: k.x,
    };
    Some(Event::Kline { symbol: raw.s.to_ascii_uppercase(), interval: Interval::parse(k.i)?, kline })
}

fn parse_payload(v: &Value) -> Result<Event, MessageError> {
    let kind = v.get("e").and_then(Value::as_str).ok_or_else(|| schema("no event type \"e\""))?;
    match kind {
        "kline" => {}
        "aggTrade" => {
            let symbol = v.get("s").and_then(Value::as_str).ok_or_else(|| schema("aggTrade without a symbol \"s\""))?;
            let trade = agg_trade(v).map_err(|e| schema(format!("aggTrade: {e}")))?;
            return Ok(Event::AggTrade { symbol: symbol.to_ascii_uppercase(), trade });
        }
        "serverShutdown" => return Ok(Event::ServerShutdown),
        other => return Ok(Event::Other(other.to_string())),
    }
    let k = v.get("k").ok_or_else(|| schema("kline event without \"k\""))?;
    let symbol = v
        .get("s")
        .or_else(|| k.get("s"))
        .and_then(Value::as_str)
        .ok_or_else(|| schema("kline without a symbol \"s\""))?;
    let interval_name = k.get("i").and_then(Value::as_str).ok_or_else(|| schema("kline without an interval \"i\""))?;
    let interval =
        Interval::parse(interval_name).ok_or_else(|| schema(format!("unknown interval '{interval_name}'")))?;
    let int = |key: &str| k.get(key).and_then(Value::as_i64).ok_or_else(|| schema(format!("kline \"{key}\" missing")));
    let num = |key: &str| number(k.get(key)).ok_or_else(|| schema(format!("kline \"{key}\" is not a number")));
    let kline = Kline {
        event_time: v.get("E").and_then(Value::as_i64).unwrap_or(0),
        open_time: int("t")?,
        close_time: int("T")?,
        open: num("o")?,
        high: num("h")?,
        low: num("l")?,
        close: num("c")?,
        volume: num("v")?,
        closed: k.get("x").and_then(Value::as_bool).ok_or_else(|| schema("kline \"x\" missing"))?,
    };
    Ok(Event::Kline { symbol: symbol.to_ascii_uppercase(), interval, kline })
}

/// The rows of a REST answer that must be a JSON array (`what` names it in messages): an over-long body, one that
/// is not JSON, and the venue's `{"code", "msg"}` error answer are errors.
fn rest_rows(text: &str, max_bytes: usize, what: &str) -> Result<Vec<Value>, MessageError> {
    if text.len() > max_bytes {
        return Err(MessageError::TooLarge { len: text.len(), limit: max_bytes });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| MessageError::NotJson(e.to_string()))?;
    if let Some(msg) = value.get("msg").and_then(Value::as_str) {
        let code = value.get("code").map_or_else(String::new, |c| format!(" {c}"));
        return Err(schema(format!("the venue answered with an error{code}: {msg}")));
    }
    let Value::Array(rows) = value else { return Err(schema(format!("{what}: not an array"))) };
    Ok(rows)
}

/// A decimal string (the venue's form) or a JSON number, finite.
fn number(v: Option<&Value>) -> Option<f64> {
    let x = match v? {
        Value::String(s) => s.parse::<f64>().ok()?,
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// A price or quantity as the venue writes it: a decimal string that reads back to exactly `x`.
fn decimal(x: f64) -> String {
    // `{}` on f64 is the shortest representation that round-trips, never in exponent form.
    format!("{x}")
}

/// The raw-stream JSON of a kline event (`{"e":"kline",…}`), fields in the venue's order. Written by hand: the
/// symbol is letters and digits and the numbers are plain decimals, so nothing needs escaping.
pub fn kline_event_json(stream: &Stream, k: &Kline) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(360);
    let s = &stream.symbol;
    let _ = write!(
        out,
        r#"{{"e":"kline","E":{},"s":"{s}","k":{{"t":{},"T":{},"s":"{s}","i":"{}","f":-1,"L":-1,"o":"{}","c":"{}","h":"{}","l":"{}","v":"{}","n":0,"x":{},"q":"0","V":"0","Q":"0","B":"0"}}}}"#,
        k.event_time,
        k.open_time,
        k.close_time,
        stream.interval.name(),
        decimal(k.open),
        decimal(k.close),
        decimal(k.high),
        decimal(k.low),
        decimal(k.volume),
        k.closed
    );
    out
}

/// A payload wrapped for a combined-stream connection.
pub fn combined_json(stream: &Stream, payload: &str) -> String {
    format!("{{\"stream\":{},\"data\":{payload}}}", Value::String(stream.name()))
}

/// The `serverShutdown` event.
pub fn server_shutdown_json(event_time: i64) -> String {
    serde_json::json!({ "e": "serverShutdown", "E": event_time }).to_string()
}

/// The body of `GET /api/v3/klines`: an array of arrays, one per kline
/// (`[open time, "open", "high", "low", "close", "volume", close time, "quote volume", trades, "taker base",
/// "taker quote", "0"]`).
pub fn rest_klines_json(klines: &[Kline]) -> String {
    let rows: Vec<Value> = klines
        .iter()
        .map(|k| {
            serde_json::json!([
                k.open_time,
                decimal(k.open),
                decimal(k.high),
                decimal(k.low),
                decimal(k.close),
                decimal(k.volume),
                k.close_time,
                "0",
                0,
                "0",
                "0",
                "0"
            ])
        })
        .collect();
    Value::Array(rows).to_string()
}

/// Parses the body of `GET /api/v3/klines`. Every row is taken as closed unless its close time is after `now`
/// (the venue includes the bar in progress as the last row).
pub fn parse_rest_klines(text: &str, now: i64, max_bytes: usize) -> Result<Vec<Kline>, MessageError> {
    let rows = rest_rows(text, max_bytes, "klines")?;
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let cell = |j: usize| row.get(j);
        let bad = |what: &str| schema(format!("klines row {i}: {what}"));
        let open_time = cell(0).and_then(Value::as_i64).ok_or_else(|| bad("open time is not an integer"))?;
        let close_time = cell(6).and_then(Value::as_i64).ok_or_else(|| bad("close time is not an integer"))?;
        let field = |j: usize, name: &str| number(cell(j)).ok_or_else(|| bad(&format!("{name} is not a number")));
        out.push(Kline {
            event_time: 0,
            open_time,
            close_time,
            open: field(1, "open")?,
            high: field(2, "high")?,
            low: field(3, "low")?,
            close: field(4, "close")?,
            volume: field(5, "volume")?,
            closed: close_time < now,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_EXAMPLE: &str = r#"{"e":"kline","E":1672515782136,"s":"BNBBTC","k":{"t":1672515780000,"T":1672515839999,
        "s":"BNBBTC","i":"1m","f":100,"L":200,"o":"0.0010","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000",
        "n":100,"x":false,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}"#;

    #[test]
    fn the_documented_kline_event_parses() {
        let Event::Kline { symbol, interval, kline } = parse_message(DOC_EXAMPLE, MAX_MESSAGE_BYTES).unwrap() else {
            panic!("not a kline")
        };
        assert_eq!(symbol, "BNBBTC");
        assert_eq!(interval, Interval::Fixed(60_000));
        assert_eq!(kline.open_time, 1672515780000);
        assert_eq!(kline.close_time, 1672515839999);
        assert_eq!(
            (kline.open, kline.high, kline.low, kline.close, kline.volume),
            (0.001, 0.0025, 0.0015, 0.002, 1000.0)
        );
        assert!(!kline.closed);
        assert_eq!(kline.event_time, 1672515782136);
    }

    #[test]
    fn combined_and_raw_events_round_trip_bit_for_bit() {
        let stream = Stream::parse("ethbtc@5m").unwrap();
        assert_eq!(stream.name(), "ethbtc@kline_5m");
        let bar =
            Bar { ts: 1_514_764_800_000, open: 0.1 + 0.2, high: 1e-9, low: 123456789.123, close: 5e-324, volume: 7.0 };
        let k = Kline::closed(&bar, stream.interval, 1_514_765_100_001);
        assert_eq!(k.close_time, 1_514_765_099_999);
        let raw = kline_event_json(&stream, &k);
        for text in [raw.clone(), combined_json(&stream, &raw)] {
            let Event::Kline { symbol, interval, kline } = parse_message(&text, MAX_MESSAGE_BYTES).unwrap() else {
                panic!("{text}")
            };
            assert_eq!((symbol.as_str(), interval), ("ETHBTC", stream.interval));
            assert_eq!(kline, k);
            assert_eq!(kline.bar().open.to_bits(), bar.open.to_bits());
        }
    }

    /// The general path alone, for comparing with the fast one.
    fn general(text: &str) -> Result<Event, MessageError> {
        let value: Value = serde_json::from_str(text).map_err(|e| MessageError::NotJson(e.to_string()))?;
        match value.get("data").filter(|_| value.get("stream").is_some()) {
            Some(data) => parse_payload(data),
            None => parse_payload(&value),
        }
    }

    proptest::proptest! {

        // The same cases every run.

        #![proptest_config(proptest::test_runner::Config {

            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5747_a7a5),

            ..proptest::test_runner::Config::default()

        })]

        /// Every message the fast path reads, it reads as the general path does.
        #[test]
        fn the_fast_path_agrees_with_the_general_one(
            open in proptest::num::f64::POSITIVE | proptest::num::f64::NORMAL,
            close in proptest::num::f64::ANY,
            t in 0i64..4_000_000_000_000,
            closed in proptest::bool::ANY,
            interval in 0usize..16,
            combined in proptest::bool::ANY,
        ) {
            let stream = Stream { symbol: "BTCUSDT".into(), interval: INTERVALS[interval].1, trades: false };
            let bar = Bar { ts: t, open, high: open.max(close), low: open.min(close), close, volume: 1.5 };
            let k = Kline { closed, ..Kline::closed(&bar, stream.interval, t + 5) };
            let raw = kline_event_json(&stream, &k);
            let text = if combined { combined_json(&stream, &raw) } else { raw };
            let fast = fast_kline(&text);
            proptest::prop_assert_eq!(fast.is_some(), close.is_finite());
            if let Some(fast) = fast {
                proptest::prop_assert_eq!(Ok(fast), general(&text));
            }
        }
    }

    #[test]
    fn the_fast_path_leaves_other_layouts_to_the_general_one() {
        for text in [
            r#"{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":59999,"i":"1m","o":1,"h":"1","l":"1","c":"1","v":"1","x":true}}"#,
            r#"{"e":"kline","E":1,"s":"BTC\u0055SDT","k":{"t":0,"T":59999,"i":"1m","o":"1","h":"1","l":"1","c":"1","v":"1","x":true}}"#,
            r#"{"e":"kline","E":1,"s":"BTCUSDT","id":3,"result":null,"k":{"t":0,"T":59999,"i":"1m","o":"1","h":"1","l":"1","c":"1","v":"1","x":true}}"#,
            r#"{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":59999,"i":"7m","o":"1","h":"1","l":"1","c":"1","v":"1","x":true}}"#,
        ] {
            assert_eq!(fast_kline(text), None, "{text}");
        }
        // The general path reads the numbers-as-numbers and escaped ones.
        assert!(matches!(
            parse_message(
                r#"{"e":"kline","E":1,"s":"BTCUSDT","k":{"t":0,"T":59999,"i":"1m","o":1,"h":"1","l":"1","c":"1","v":"1","x":true}}"#,
                MAX_MESSAGE_BYTES,
            ),
            Ok(Event::Kline { .. })
        ));
    }

    #[test]
    fn control_messages_are_recognised() {
        assert_eq!(parse_message(&server_shutdown_json(5), 1000).unwrap(), Event::ServerShutdown);
        assert_eq!(parse_message(r#"{"event":{"e":"serverShutdown","E":1}}"#, 1000).unwrap(), Event::ServerShutdown);
        assert_eq!(
            parse_message(r#"{"result":null,"id":7}"#, 1000).unwrap(),
            Event::Response { id: Value::from(7), result: Value::Null }
        );
        assert_eq!(parse_message(r#"{"e":"trade","s":"X"}"#, 1000).unwrap(), Event::Other("trade".into()));
    }

    #[test]
    fn bad_messages_are_typed_errors() {
        assert!(matches!(parse_message("{\"e\":", 1000), Err(MessageError::NotJson(_))));
        assert!(matches!(parse_message("[1,2]", 1000), Err(MessageError::Schema(_))));
        assert!(matches!(parse_message(&"x".repeat(2000), 1000), Err(MessageError::TooLarge { len: 2000, .. })));
        let no_close = DOC_EXAMPLE.replace("\"c\":\"0.0020\",", "");
        assert_eq!(parse_message(&no_close, 1000).unwrap_err(), schema("kline \"c\" is not a number"));
        let nan = DOC_EXAMPLE.replace("\"0.0025\"", "\"NaN\"");
        assert!(matches!(parse_message(&nan, 1000), Err(MessageError::Schema(_))));
        let interval = DOC_EXAMPLE.replace("\"1m\"", "\"7m\"");
        assert_eq!(parse_message(&interval, 1000).unwrap_err(), schema("unknown interval '7m'"));
    }

    #[test]
    fn rest_klines_round_trip_and_mark_the_bar_in_progress() {
        let iv = Interval::Fixed(60_000);
        let ks: Vec<Kline> = (0..3)
            .map(|i| {
                let bar = Bar { ts: i * 60_000, open: 1.5, high: 2.0, low: 1.0, close: 1.25 + i as f64, volume: 3.0 };
                Kline::closed(&bar, iv, 0)
            })
            .collect();
        let text = rest_klines_json(&ks);
        let back = parse_rest_klines(&text, 150_000, MAX_MESSAGE_BYTES).unwrap();
        assert_eq!(back.len(), 3);
        assert!(back[0].closed && back[1].closed && !back[2].closed, "the last bar closes at 179,999, after now");
        assert_eq!(back[1].bar(), ks[1].bar());
        let err = parse_rest_klines(r#"{"code":-1121,"msg":"Invalid symbol."}"#, 0, 1000).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unexpected message layout: the venue answered with an error -1121: Invalid symbol."
        );
        assert!(parse_rest_klines(r#"[[1,"a"]]"#, 0, 1000).is_err());
    }

    #[test]
    fn streams_and_intervals_parse_with_helpful_errors() {
        assert_eq!(Stream::parse("BTCUSDT@1h").unwrap().interval, Interval::Fixed(3_600_000));
        assert_eq!(Stream::parse("btcusdt@kline_1M").unwrap().interval, Interval::Month);
        assert!(Stream::parse("BTCUSDT@1min").unwrap_err().contains("did you mean"));
        assert!(Stream::parse("BTCUSDT").unwrap_err().contains("SYMBOL@INTERVAL"));
        assert!(Stream::parse("BTC/USDT@1m").unwrap_err().contains("not a symbol"));
        // Months are calendar months.
        let jan = crate::time::month_start(2024, 1);
        assert_eq!(Interval::Month.next_open(jan), crate::time::month_start(2024, 2));
        assert_eq!(Interval::Month.next_open(crate::time::month_start(2024, 12)), crate::time::month_start(2025, 1));
    }
}
