//! Binance Spot's signed REST API as a client: the symbol's rules, placing, querying and cancelling orders, open
//! orders, the account and an order's trades.
//!
//! Design choice: a placement whose outcome is unknown — a 5XX, `-1007`, a timeout, an answer cut off — is never
//! sent again blindly. The client asks the venue for the order by its client order id until it knows whether it
//! exists, and only when the venue says it does not is it placed again, under the same id (so even then the venue
//! would refuse a second copy). 429 and 418 are waited out for as long as `Retry-After` says.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use thiserror::Error;
use tracing::{debug, trace, warn};

use super::binance::{Credentials, Outcome, VenueError, query};
use super::orders::VenueTrade;
use crate::live::net::{self, Endpoint, NetError};
use crate::order::Side;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ClientError {
    #[error(transparent)]
    Venue(#[from] VenueError),
    #[error(transparent)]
    Net(#[from] NetError),
    /// The venue's answer could not be read as what was asked for.
    #[error("{what}: the venue's answer is not what its API documents: {detail}")]
    Answer { what: String, detail: String },
    /// A placement's outcome stayed unknown after every attempt to find out.
    #[error(
        "order {client_id}: whether the venue placed it is still unknown after {attempts} queries; not resubmitted"
    )]
    Unresolved { client_id: String, attempts: u32 },
}

impl ClientError {
    /// Whether the order a failed placement asked for may exist.
    pub fn outcome(&self) -> Outcome {
        match self {
            ClientError::Venue(v) => v.outcome(),
            // Refused before a byte was sent: nothing placed.
            ClientError::Net(NetError::Connect { .. } | NetError::BadUrl { .. }) => Outcome::Rejected,
            ClientError::Net(_) | ClientError::Answer { .. } | ClientError::Unresolved { .. } => Outcome::Unknown,
        }
    }
}

/// Where the venue is and how to talk to it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The REST base, such as `https://api.binance.com`.
    pub rest: Endpoint,
    pub credentials: Credentials,
    pub recv_window_ms: u64,
    /// Per request.
    pub timeout: Duration,
    /// Requests tried (rate-limited waits and unknown-outcome queries) before giving up.
    pub attempts: u32,
    /// First pause between unknown-outcome queries (doubling).
    pub retry_pause: Duration,
    /// The longest `Retry-After` waited out; a longer one is an error.
    pub max_retry_after: Duration,
}

impl ClientConfig {
    pub fn new(rest: Endpoint, credentials: Credentials) -> Self {
        Self {
            rest,
            credentials,
            recv_window_ms: 5_000,
            timeout: Duration::from_secs(10),
            attempts: 8,
            retry_pause: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// A symbol's trading rules, from `GET /api/v3/exchangeInfo`.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolInfo {
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub min_qty: f64,
    pub step_size: f64,
    pub min_notional: f64,
    pub tick_size: f64,
}

impl SymbolInfo {
    /// `qty` rounded down to the lot step, or why it cannot be ordered at `price`.
    pub fn order_qty(&self, qty: f64, price: f64) -> Result<f64, String> {
        let steps = (qty / self.step_size + 1e-9).floor();
        let q = (steps * self.step_size * 1e8).round() / 1e8;
        if q < self.min_qty {
            return Err(format!(
                "quantity {} is below {}'s minimum {} (LOT_SIZE)",
                crate::fmt_num(qty),
                self.symbol,
                crate::fmt_num(self.min_qty)
            ));
        }
        if q * price < self.min_notional {
            return Err(format!(
                "notional {} is below {}'s minimum {} (NOTIONAL)",
                crate::fmt_num(q * price),
                self.symbol,
                crate::fmt_num(self.min_notional)
            ));
        }
        Ok(q)
    }

    /// `price` rounded to the tick, towards the side's protection (down for a buy, up for a sell).
    pub fn limit_price(&self, side: Side, price: f64) -> f64 {
        let ticks = price / self.tick_size;
        let ticks = match side {
            Side::Buy => (ticks + 1e-9).floor(),
            Side::Sell => (ticks - 1e-9).ceil(),
        };
        (ticks * self.tick_size * 1e8).round() / 1e8
    }
}

/// How much an order is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderSize {
    /// Units of the base asset.
    Qty(f64),
    /// An amount of the quote asset to spend (a market buy).
    Quote(f64),
}

/// An order as the venue reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderReport {
    pub venue_id: u64,
    pub client_id: String,
    pub status: String,
    pub side: Side,
    pub orig_qty: f64,
    pub executed_qty: f64,
    /// The trades the answer carried (a placement's `FULL` answer; empty for queries).
    pub trades: Vec<VenueTrade>,
}

/// A number as the venue takes it: up to 8 decimals, no exponent, no trailing zeros.
pub fn venue_number(x: f64) -> String {
    let s = format!("{x:.8}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" { "0".to_string() } else { s.to_string() }
}

/// Binance Spot's REST API, signed with the run's credentials.
pub struct BinanceClient {
    cfg: ClientConfig,
    /// Epoch ms for `timestamp`: the wall clock (tests shift it to rehearse clock skew).
    clock: Box<dyn Fn() -> i64 + Send + Sync>,
}

impl std::fmt::Debug for BinanceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceClient")
            .field("rest", &self.cfg.rest.url(false))
            .field("credentials", &self.cfg.credentials)
            .finish()
    }
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

const MAX_BODY: usize = 4 << 20;

impl BinanceClient {
    pub fn new(cfg: ClientConfig) -> Self {
        Self { cfg, clock: Box::new(wall_clock_ms) }
    }

    /// With `clock` instead of the wall clock for request timestamps.
    pub fn with_clock(cfg: ClientConfig, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self { cfg, clock: Box::new(clock) }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// One request, retried while the venue rate-limits it (waiting as long as `Retry-After` says).
    async fn call(
        &self,
        method: &str,
        path: &str,
        params: &[(&str, String)],
        signed: bool,
    ) -> Result<Value, ClientError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let q = if signed {
                let q = query(params, self.cfg.recv_window_ms, (self.clock)());
                self.cfg.credentials.signed_query(&q, "")
            } else {
                params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
            };
            let ep = self.cfg.rest.with_path(&if q.is_empty() { path.to_string() } else { format!("{path}?{q}") });
            trace!(method, path, "venue request");
            let headers = [("X-MBX-APIKEY", self.cfg.credentials.key())];
            let headers: &[(&str, &str)] = if signed { &headers } else { &[] };
            let response = net::send(&ep, method, headers, self.cfg.timeout, MAX_BODY).await?;
            trace!(method, path, status = response.status, "venue response");
            if (200..300).contains(&response.status) {
                return serde_json::from_str(&response.body).map_err(|_| {
                    VenueError::Garbage { status: response.status, detail: response.body.chars().take(120).collect() }
                        .into()
                });
            }
            let error = VenueError::from_response(response.status, response.retry_after, &response.body);
            if let VenueError::RateLimited { retry_after_s, .. } = error
                && attempt < self.cfg.attempts
            {
                let wait = Duration::from_secs(retry_after_s.unwrap_or(1));
                if wait <= self.cfg.max_retry_after {
                    warn!(
                        method,
                        path,
                        wait_s = wait.as_secs(),
                        "rate limited by the venue; waiting as Retry-After says"
                    );
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return Err(error.into());
        }
    }

    /// The symbol's rules; an unknown symbol is [`VenueError::UnknownSymbol`].
    pub async fn symbol_info(&self, symbol: &str) -> Result<SymbolInfo, ClientError> {
        let v = self.call("GET", "/api/v3/exchangeInfo", &[("symbol", symbol.to_ascii_uppercase())], false).await?;
        let bad = |detail: &str| ClientError::Answer { what: "exchangeInfo".into(), detail: detail.into() };
        let s = v["symbols"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["symbol"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(symbol))))
            .ok_or_else(|| bad(&format!("no symbol {symbol}")))?;
        let filter = |kind: &str, field: &str| -> Option<f64> {
            s["filters"].as_array()?.iter().find(|f| f["filterType"] == kind)?[field].as_str()?.parse().ok()
        };
        Ok(SymbolInfo {
            symbol: s["symbol"].as_str().unwrap_or(symbol).to_string(),
            base: s["baseAsset"].as_str().ok_or_else(|| bad("no baseAsset"))?.to_string(),
            quote: s["quoteAsset"].as_str().ok_or_else(|| bad("no quoteAsset"))?.to_string(),
            min_qty: filter("LOT_SIZE", "minQty").ok_or_else(|| bad("no LOT_SIZE minQty"))?,
            step_size: filter("LOT_SIZE", "stepSize")
                .filter(|s| *s > 0.0)
                .ok_or_else(|| bad("no LOT_SIZE stepSize"))?,
            min_notional: filter("NOTIONAL", "minNotional")
                .or_else(|| filter("MIN_NOTIONAL", "minNotional"))
                .unwrap_or(0.0),
            tick_size: filter("PRICE_FILTER", "tickSize").filter(|s| *s > 0.0).unwrap_or(1e-8),
        })
    }

    /// Places an order — a market order, or with `limit` an immediate-or-cancel limit order (the risk engine's price
    /// collar) — under `client_id`. An unknown outcome is resolved by querying, never by resubmitting blindly.
    pub async fn place(
        &self,
        symbol: &str,
        side: Side,
        size: OrderSize,
        limit: Option<f64>,
        client_id: &str,
    ) -> Result<OrderReport, ClientError> {
        let mut params: Vec<(&str, String)> = vec![
            ("symbol", symbol.to_ascii_uppercase()),
            ("side", if side == Side::Buy { "BUY" } else { "SELL" }.to_string()),
        ];
        match limit {
            Some(price) => {
                params.push(("type", "LIMIT".into()));
                params.push(("timeInForce", "IOC".into()));
                params.push(("price", venue_number(price)));
            }
            None => params.push(("type", "MARKET".into())),
        }
        match size {
            OrderSize::Qty(q) => params.push(("quantity", venue_number(q))),
            OrderSize::Quote(q) => params.push(("quoteOrderQty", venue_number(q))),
        }
        params.push(("newClientOrderId", client_id.to_string()));
        params.push(("newOrderRespType", "FULL".into()));
        let mut resolutions = 0;
        loop {
            let error = match self.call("POST", "/api/v3/order", &params, true).await {
                Ok(v) => return parse_order(&v, "order placement"),
                Err(e) => e,
            };
            if error.outcome() == Outcome::Rejected {
                return Err(error);
            }
            warn!(client_id, error = %error, "the order's outcome is unknown; asking the venue by its client order id");
            // Find out whether it exists before anything else.
            let mut pause = self.cfg.retry_pause;
            let found = loop {
                resolutions += 1;
                if resolutions > self.cfg.attempts {
                    return Err(ClientError::Unresolved {
                        client_id: client_id.to_string(),
                        attempts: self.cfg.attempts,
                    });
                }
                match self.query_order(symbol, client_id).await {
                    Ok(found) => break found,
                    Err(e) => {
                        debug!(client_id, error = %e, "order query failed; asking again");
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_secs(10));
                    }
                }
            };
            match found {
                Some(mut report) => {
                    // Placed: its trades come from the trade list (the placement's answer was lost).
                    report.trades = self.trades(symbol, report.venue_id).await.unwrap_or_default();
                    return Ok(report);
                }
                None => debug!(client_id, "the venue has no such order: placing it again under the same id"),
            }
        }
    }

    /// The order with `client_id`, or `None` when the venue has none (`-2013`).
    pub async fn query_order(&self, symbol: &str, client_id: &str) -> Result<Option<OrderReport>, ClientError> {
        let params = [("symbol", symbol.to_ascii_uppercase()), ("origClientOrderId", client_id.to_string())];
        match self.call("GET", "/api/v3/order", &params, true).await {
            Ok(v) => parse_order(&v, "order query").map(Some),
            Err(ClientError::Venue(VenueError::Rejected { code: -2013, .. })) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Cancels the order with `client_id`.
    pub async fn cancel(&self, symbol: &str, client_id: &str) -> Result<OrderReport, ClientError> {
        let params = [("symbol", symbol.to_ascii_uppercase()), ("origClientOrderId", client_id.to_string())];
        let v = self.call("DELETE", "/api/v3/order", &params, true).await?;
        parse_order(&v, "order cancel")
    }

    /// The symbol's open orders.
    pub async fn open_orders(&self, symbol: &str) -> Result<Vec<OrderReport>, ClientError> {
        let v = self.call("GET", "/api/v3/openOrders", &[("symbol", symbol.to_ascii_uppercase())], true).await?;
        let list = v
            .as_array()
            .ok_or_else(|| ClientError::Answer { what: "openOrders".into(), detail: "not a list".into() })?;
        list.iter().map(|o| parse_order(o, "openOrders")).collect()
    }

    /// Balances (free + locked) by asset.
    pub async fn balances(&self) -> Result<BTreeMap<String, f64>, ClientError> {
        let v = self.call("GET", "/api/v3/account", &[], true).await?;
        let bad = || ClientError::Answer { what: "account".into(), detail: "no balances list".into() };
        let mut out = BTreeMap::new();
        for b in v["balances"].as_array().ok_or_else(bad)? {
            let amount = |f: &str| b[f].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
            if let Some(asset) = b["asset"].as_str() {
                out.insert(asset.to_string(), amount("free") + amount("locked"));
            }
        }
        Ok(out)
    }

    /// The trades of the order with the venue's id `venue_id`.
    pub async fn trades(&self, symbol: &str, venue_id: u64) -> Result<Vec<VenueTrade>, ClientError> {
        let params = [("symbol", symbol.to_ascii_uppercase()), ("orderId", venue_id.to_string())];
        let v = self.call("GET", "/api/v3/myTrades", &params, true).await?;
        let list =
            v.as_array().ok_or_else(|| ClientError::Answer { what: "myTrades".into(), detail: "not a list".into() })?;
        list.iter().map(|t| parse_trade(t, "id", "myTrades")).collect()
    }
}

fn number(v: &Value, field: &str) -> Option<f64> {
    match &v[field] {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn parse_trade(t: &Value, id_field: &str, what: &str) -> Result<VenueTrade, ClientError> {
    let bad = |field: &str| ClientError::Answer { what: what.into(), detail: format!("a trade without '{field}'") };
    Ok(VenueTrade {
        trade_id: t[id_field].as_u64().ok_or_else(|| bad(id_field))?,
        price: number(t, "price").ok_or_else(|| bad("price"))?,
        qty: number(t, "qty").ok_or_else(|| bad("qty"))?,
        commission: number(t, "commission").unwrap_or(0.0),
        commission_asset: t["commissionAsset"].as_str().unwrap_or_default().to_string(),
        time: t["time"].as_i64().unwrap_or(0),
    })
}

fn parse_order(v: &Value, what: &str) -> Result<OrderReport, ClientError> {
    let bad = |field: &str| ClientError::Answer { what: what.into(), detail: format!("no '{field}'") };
    let side = match v["side"].as_str() {
        Some("BUY") => Side::Buy,
        Some("SELL") => Side::Sell,
        _ => return Err(bad("side")),
    };
    let trades = match v["fills"].as_array() {
        Some(fills) => fills.iter().map(|f| parse_trade(f, "tradeId", what)).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    Ok(OrderReport {
        venue_id: v["orderId"].as_u64().ok_or_else(|| bad("orderId"))?,
        client_id: v["clientOrderId"].as_str().ok_or_else(|| bad("clientOrderId"))?.to_string(),
        status: v["status"].as_str().ok_or_else(|| bad("status"))?.to_string(),
        side,
        orig_qty: number(v, "origQty").ok_or_else(|| bad("origQty"))?,
        executed_qty: number(v, "executedQty").ok_or_else(|| bad("executedQty"))?,
        trades,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_the_venue_takes_them() {
        assert_eq!(venue_number(1.0), "1");
        assert_eq!(venue_number(0.1), "0.1");
        assert_eq!(venue_number(0.000012346), "0.00001235");
        assert_eq!(venue_number(1e-9), "0");
        assert_eq!(venue_number(12345.5), "12345.5");
    }

    #[test]
    fn quantities_round_down_to_the_lot_and_refuse_what_the_venue_would() {
        let s = SymbolInfo {
            symbol: "BTCUSDT".into(),
            base: "BTC".into(),
            quote: "USDT".into(),
            min_qty: 0.001,
            step_size: 0.001,
            min_notional: 5.0,
            tick_size: 0.01,
        };
        assert_eq!(s.order_qty(1.23456, 100.0), Ok(1.234));
        assert_eq!(s.order_qty(0.3, 100.0), Ok(0.3), "no rounding down of an exact multiple");
        assert!(s.order_qty(0.0009, 100.0).unwrap_err().contains("below BTCUSDT's minimum 0.001 (LOT_SIZE)"));
        assert!(s.order_qty(0.01, 100.0).unwrap_err().contains("NOTIONAL"));
        assert_eq!(s.limit_price(Side::Buy, 105.129), 105.12);
        assert_eq!(s.limit_price(Side::Sell, 94.871), 94.88);
    }
}
