//! A fake Binance Spot venue: the signed account and order endpoints, checked and answered as the venue documents
//! them, filling against a replayed market — for tests and for rehearsals (`strata venue serve`).
//!
//! Design choice: the exchange is a pure state machine. A request (method, path, raw query and body, API key), the
//! server's clock and the market's current price go in; a response comes out. So every rule — signature, recvWindow,
//! filters, balances, fills, the faults a test asks for — is unit-tested without a socket, and the server around it
//! only carries bytes and says when the market moved.
//!
//! Faults on demand ([`Fault`]) apply to the next order placements, in the order they were queued: partial fills,
//! rejections, a 5XX with or without the order having been placed, a 429 with `Retry-After`.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

use super::binance::Secret;

/// A symbol's trading rules (the venue's `LOT_SIZE`, `PRICE_FILTER` and `NOTIONAL` filters).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolRules {
    pub min_qty: f64,
    pub max_qty: f64,
    pub step_size: f64,
    pub tick_size: f64,
    pub min_notional: f64,
}

impl Default for SymbolRules {
    fn default() -> Self {
        Self { min_qty: 0.00001, max_qty: 9000.0, step_size: 0.00001, tick_size: 0.01, min_notional: 5.0 }
    }
}

/// The account and the instrument the fake venue trades.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub api_key: String,
    pub secret: Secret,
    pub symbol: String,
    pub base: String,
    pub quote: String,
    pub quote_balance: f64,
    pub base_balance: f64,
    pub rules: SymbolRules,
    /// Commission rate: a buy pays it in the base asset, a sell in the quote asset, as the venue does by default.
    pub commission: f64,
}

impl FakeConfig {
    /// `symbol` split into base and quote by a known quote asset suffix (USDT, BUSD, USDC, FDUSD, BTC, ETH, BNB,
    /// EUR, TRY).
    pub fn new(api_key: &str, secret: Secret, symbol: &str, quote_balance: f64) -> Self {
        let symbol = symbol.to_ascii_uppercase();
        let quote = ["FDUSD", "USDT", "BUSD", "USDC", "BTC", "ETH", "BNB", "EUR", "TRY"]
            .into_iter()
            .find(|q| symbol.len() > q.len() && symbol.ends_with(q))
            .unwrap_or("USDT");
        let base = symbol.strip_suffix(quote).unwrap_or(&symbol).to_string();
        Self {
            api_key: api_key.to_string(),
            secret,
            symbol: symbol.clone(),
            base,
            quote: quote.to_string(),
            quote_balance,
            base_balance: 0.0,
            rules: SymbolRules::default(),
            commission: 0.001,
        }
    }
}

/// What the next order placement meets instead of a plain fill.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Filled in `parts` equal trades: the first at once, one more at each later market price.
    Partial { parts: u32 },
    /// Refused with this venue error code and message (HTTP 400).
    Reject { code: i64, msg: String },
    /// HTTP 503 with `-1007` after the order *was* placed (and filled).
    ServerErrorPlaced,
    /// HTTP 500 with no order placed.
    ServerErrorNotPlaced,
    /// HTTP 429 with `Retry-After`; nothing placed.
    RateLimited { retry_after_s: u64 },
    /// The placement's answer is cut off (the order was placed): the server closes the connection mid-response.
    ResetPlaced,
    /// A proxy's HTML error page (HTTP 502) instead of the venue's answer; nothing placed.
    Html,
    /// The order is placed, but its answer comes only after this many milliseconds (a client times out first).
    Stall { ms: u64 },
}

/// A request as the server read it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The raw body (form-encoded parameters, or empty).
    pub body: &'a str,
    /// `X-MBX-APIKEY`.
    pub api_key: Option<&'a str>,
}

/// The answer: status, body, and `Retry-After` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
    /// Cut the response off mid-body (a connection reset), for [`Fault::ResetPlaced`].
    pub cut: bool,
    /// Wait this long before answering, for [`Fault::Stall`].
    pub stall_ms: u64,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self { status: 200, body: body.to_string(), retry_after: None, cut: false, stall_ms: 0 }
    }

    fn error(status: u16, code: i64, msg: &str) -> Self {
        Self {
            status,
            body: json!({ "code": code, "msg": msg }).to_string(),
            retry_after: None,
            cut: false,
            stall_ms: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    Expired,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::PartiallyFilled => "PARTIALLY_FILLED",
            Status::Filled => "FILLED",
            Status::Canceled => "CANCELED",
            Status::Expired => "EXPIRED",
        }
    }

    fn open(self) -> bool {
        matches!(self, Status::New | Status::PartiallyFilled)
    }
}

#[derive(Debug, Clone)]
struct Order {
    id: u64,
    client_id: String,
    buy: bool,
    market: bool,
    price: f64,
    orig_qty: f64,
    executed: f64,
    quote_spent: f64,
    status: Status,
    time: i64,
    /// Trades still to come, for a partial fill: each this quantity.
    parts_left: u32,
    part_qty: f64,
}

#[derive(Debug, Clone)]
struct Trade {
    id: u64,
    order_id: u64,
    price: f64,
    qty: f64,
    commission: f64,
    commission_asset: String,
    time: i64,
    buyer: bool,
}

/// The fake venue's state.
#[derive(Debug, Clone)]
pub struct Exchange {
    config: FakeConfig,
    balances: BTreeMap<String, f64>,
    orders: Vec<Order>,
    trades: Vec<Trade>,
    faults: VecDeque<Fault>,
    next_order: u64,
    next_trade: u64,
    /// The market's current price and time, as last told.
    price: f64,
    now: i64,
}

/// The venue's default and largest `recvWindow`.
const DEFAULT_RECV_WINDOW: i64 = 5_000;
const MAX_RECV_WINDOW: i64 = 60_000;

impl Exchange {
    pub fn new(config: FakeConfig) -> Self {
        let mut balances = BTreeMap::new();
        balances.insert(config.quote.clone(), config.quote_balance);
        balances.insert(config.base.clone(), config.base_balance);
        Self {
            config,
            balances,
            orders: Vec::new(),
            trades: Vec::new(),
            faults: VecDeque::new(),
            next_order: 1,
            next_trade: 1,
            price: f64::NAN,
            now: 0,
        }
    }

    pub fn config(&self) -> &FakeConfig {
        &self.config
    }

    /// Queues a fault for the next order placement.
    pub fn push_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// The market now trades at `price` (a new bar opened): resting limit orders that it crosses fill, and partial
    /// fills go on.
    pub fn on_price(&mut self, price: f64, now: i64) {
        self.price = price;
        self.now = now;
        for i in 0..self.orders.len() {
            if !self.orders[i].status.open() {
                continue;
            }
            let o = self.orders[i].clone();
            if o.parts_left > 0 {
                let qty = if o.parts_left == 1 { o.orig_qty - o.executed } else { o.part_qty };
                let at = if o.market { price } else { o.price };
                self.orders[i].parts_left -= 1;
                self.execute(i, qty, at);
            } else if !o.market && ((o.buy && price <= o.price) || (!o.buy && price >= o.price)) {
                self.execute(i, o.orig_qty - o.executed, o.price);
            }
        }
    }

    /// A balance (free), for tests and reports.
    pub fn balance(&self, asset: &str) -> f64 {
        self.balances.get(asset).copied().unwrap_or(0.0)
    }

    /// How many orders were placed.
    pub fn orders_placed(&self) -> usize {
        self.orders.len()
    }

    /// Answers a request at server time `now` (epoch ms).
    pub fn handle(&mut self, req: &Request<'_>, now: i64) -> Reply {
        self.now = now;
        match (req.method, req.path) {
            ("GET", "/api/v3/time") => Reply::ok(json!({ "serverTime": now })),
            ("GET", "/api/v3/exchangeInfo") => self.exchange_info(req),
            (_, "/api/v3/order" | "/api/v3/openOrders" | "/api/v3/account" | "/api/v3/myTrades") => {
                let params = match self.authenticate(req, now) {
                    Ok(p) => p,
                    Err(reply) => return reply,
                };
                let p = Params(&params);
                match (req.method, req.path) {
                    ("POST", "/api/v3/order") => self.place(&p),
                    ("DELETE", "/api/v3/order") => self.cancel(&p),
                    ("GET", "/api/v3/order") => self.query(&p),
                    ("GET", "/api/v3/openOrders") => self.open_orders(&p),
                    ("GET", "/api/v3/account") => self.account(),
                    ("GET", "/api/v3/myTrades") => self.my_trades(&p),
                    _ => Reply::error(405, -1000, "Method not allowed for this endpoint."),
                }
            }
            _ => Reply::error(404, -1000, "Unknown endpoint."),
        }
    }

    /// Checks the API key, the signature over query + body, and the timestamp against `recvWindow`, as the venue
    /// documents them; the parameters, decoded, on success.
    fn authenticate(&self, req: &Request<'_>, now: i64) -> Result<Vec<(String, String)>, Reply> {
        match req.api_key {
            None | Some("") => return Err(Reply::error(401, -2014, "API-key format invalid.")),
            Some(k) if k != self.config.api_key => {
                return Err(Reply::error(401, -2015, "Invalid API-key, IP, or permissions for action."));
            }
            Some(_) => {}
        }
        // totalParams = the query string followed by the body, without the signature parameter.
        let (query, sig_q) = without_signature(req.query);
        let (body, sig_b) = without_signature(req.body);
        let Some(signature) = sig_q.or(sig_b) else {
            return Err(Reply::error(
                400,
                -1102,
                "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
            ));
        };
        if !self.config.secret.sign(&format!("{query}{body}")).eq_ignore_ascii_case(&signature) {
            return Err(Reply::error(400, -1022, "Signature for this request is not valid."));
        }
        let params: Vec<(String, String)> = decode_params(&query).into_iter().chain(decode_params(&body)).collect();
        let p = Params(&params);
        let Some(timestamp) = p.get("timestamp").and_then(|t| t.parse::<i64>().ok()) else {
            return Err(Reply::error(
                400,
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
            ));
        };
        let recv_window = match p.get("recvWindow") {
            None => DEFAULT_RECV_WINDOW,
            Some(v) => match v.parse::<i64>() {
                Ok(w) if (1..=MAX_RECV_WINDOW).contains(&w) => w,
                _ => return Err(Reply::error(400, -1131, "recvWindow must be less than 60000")),
            },
        };
        if timestamp >= now + 1000 {
            return Err(Reply::error(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."));
        }
        if now - timestamp > recv_window {
            return Err(Reply::error(400, -1021, "Timestamp for this request is outside of the recvWindow."));
        }
        Ok(params)
    }

    fn exchange_info(&self, req: &Request<'_>) -> Reply {
        let params = decode_params(req.query);
        let p = Params(&params);
        if let Some(s) = p.get("symbol")
            && !s.eq_ignore_ascii_case(&self.config.symbol)
        {
            return Reply::error(400, -1121, "Invalid symbol.");
        }
        let r = self.config.rules;
        Reply::ok(json!({
            "timezone": "UTC",
            "serverTime": self.now,
            "symbols": [{
                "symbol": self.config.symbol,
                "status": "TRADING",
                "baseAsset": self.config.base,
                "quoteAsset": self.config.quote,
                "orderTypes": ["LIMIT", "MARKET"],
                "filters": [
                    { "filterType": "PRICE_FILTER", "minPrice": dec(r.tick_size), "maxPrice": "1000000.00000000", "tickSize": dec(r.tick_size) },
                    { "filterType": "LOT_SIZE", "minQty": dec(r.min_qty), "maxQty": dec(r.max_qty), "stepSize": dec(r.step_size) },
                    { "filterType": "NOTIONAL", "minNotional": dec(r.min_notional), "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5 },
                ],
            }],
        }))
    }

    fn place(&mut self, p: &Params<'_>) -> Reply {
        let mandatory = |name: &str| {
            Reply::error(
                400,
                -1102,
                &format!("Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
            )
        };
        let Some(symbol) = p.get("symbol") else { return mandatory("symbol") };
        if !symbol.eq_ignore_ascii_case(&self.config.symbol) {
            return Reply::error(400, -1121, "Invalid symbol.");
        }
        let buy = match p.get("side") {
            Some("BUY") => true,
            Some("SELL") => false,
            _ => return mandatory("side"),
        };
        let market = match p.get("type") {
            Some("MARKET") => true,
            Some("LIMIT") => false,
            Some(_) => return Reply::error(400, -1116, "Invalid orderType."),
            None => return mandatory("type"),
        };
        let number = |name: &str| p.get(name).map(|v| v.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0));
        let price = if market {
            self.price
        } else {
            match number("price") {
                Some(Some(x)) => x,
                _ => return mandatory("price"),
            }
        };
        let tif = p.get("timeInForce");
        if !market && !matches!(tif, Some("GTC" | "IOC" | "FOK")) {
            return mandatory("timeInForce");
        }
        if !(self.price.is_finite() && self.price > 0.0) {
            return Reply::error(400, -1013, "Market is closed.");
        }
        let qty = match (number("quantity"), number("quoteOrderQty")) {
            (Some(Some(q)), None) => q,
            (None, Some(Some(quote))) if market => {
                // The venue buys (or sells) as much as `quote` buys at the market, rounded down to the step.
                floor_to(quote / price, self.config.rules.step_size)
            }
            (Some(None), _) => return mandatory("quantity"),
            (_, Some(None)) => return mandatory("quoteOrderQty"),
            _ => {
                return Reply::error(
                    400,
                    -1102,
                    "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
                );
            }
        };
        let client_id =
            p.get("newClientOrderId").map(str::to_string).unwrap_or_else(|| format!("fake-{}", self.next_order));
        if client_id.len() > 36 || !client_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Reply::error(
                400,
                -1100,
                "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.",
            );
        }
        if self.orders.iter().any(|o| o.client_id == client_id && o.status.open()) {
            return Reply::error(400, -2010, "Duplicate order sent.");
        }
        let r = self.config.rules;
        if qty < r.min_qty || qty > r.max_qty || !on_step(qty - r.min_qty, r.step_size) {
            return Reply::error(400, -1013, "Filter failure: LOT_SIZE");
        }
        if !market && !on_step(price, r.tick_size) {
            return Reply::error(400, -1013, "Filter failure: PRICE_FILTER");
        }
        if qty * price < r.min_notional {
            return Reply::error(400, -1013, "Filter failure: NOTIONAL");
        }
        let affordable = if buy {
            self.balance(&self.config.quote) >= qty * price * (1.0 - 1e-12)
        } else {
            self.balance(&self.config.base) >= qty * (1.0 - 1e-12)
        };
        // A fault decides what happens to this placement.
        let fault = self.faults.pop_front();
        match &fault {
            Some(Fault::Reject { code, msg }) => return Reply::error(400, *code, msg),
            Some(Fault::ServerErrorNotPlaced) => {
                return Reply::error(500, -1000, "An unknown error occurred while processing the request.");
            }
            Some(Fault::Html) => {
                let body = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>";
                return Reply { status: 502, body: body.into(), retry_after: None, cut: false, stall_ms: 0 };
            }
            Some(Fault::RateLimited { retry_after_s }) => {
                let mut reply = Reply::error(
                    429,
                    -1003,
                    "Too much request weight used; current limit is 6000 request weight per 1 MINUTE.",
                );
                reply.retry_after = Some(*retry_after_s);
                return reply;
            }
            _ => {}
        }
        if !affordable {
            return Reply::error(400, -2010, "Account has insufficient balance for requested action.");
        }
        let parts = match fault {
            Some(Fault::Partial { parts }) => parts.max(1),
            _ => 1,
        };
        let id = self.next_order;
        self.next_order += 1;
        self.orders.push(Order {
            id,
            client_id,
            buy,
            market,
            price: if market { 0.0 } else { price },
            orig_qty: qty,
            executed: 0.0,
            quote_spent: 0.0,
            status: Status::New,
            time: self.now,
            parts_left: parts - 1,
            part_qty: floor_to(qty / parts as f64, r.step_size),
        });
        let i = self.orders.len() - 1;
        let crosses = market || (buy && self.price <= price) || (!buy && self.price >= price);
        if crosses {
            let first = if parts > 1 { self.orders[i].part_qty } else { qty };
            let at = if market { self.price } else { price };
            self.execute(i, first, at);
        }
        if !market && tif != Some("GTC") && self.orders[i].status.open() {
            // IOC / FOK: what did not fill at once expires.
            self.orders[i].status = Status::Expired;
            self.orders[i].parts_left = 0;
        }
        let body = self.order_json(&self.orders[i], true);
        match fault {
            Some(Fault::ServerErrorPlaced) => Reply::error(
                503,
                -1007,
                "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
            ),
            Some(Fault::ResetPlaced) => {
                Reply { status: 200, body: body.to_string(), retry_after: None, cut: true, stall_ms: 0 }
            }
            Some(Fault::Stall { ms }) => Reply { stall_ms: ms, ..Reply::ok(body) },
            _ => Reply::ok(body),
        }
    }

    /// Executes `qty` of order `i` at `price`: a trade, the balances, the order's status.
    fn execute(&mut self, i: usize, qty: f64, price: f64) {
        let (base, quote, rate) = (self.config.base.clone(), self.config.quote.clone(), self.config.commission);
        let o = &mut self.orders[i];
        let qty = qty.min(o.orig_qty - o.executed);
        if qty <= 0.0 {
            return;
        }
        let notional = qty * price;
        let (commission, commission_asset) =
            if o.buy { (qty * rate, base.clone()) } else { (notional * rate, quote.clone()) };
        o.executed += qty;
        o.quote_spent += notional;
        o.status = if o.orig_qty - o.executed <= o.orig_qty * 1e-12 { Status::Filled } else { Status::PartiallyFilled };
        if o.status == Status::Filled {
            o.parts_left = 0;
        }
        let (order_id, buyer) = (o.id, o.buy);
        let b = |m: &mut BTreeMap<String, f64>, k: &str, d: f64| *m.entry(k.to_string()).or_insert(0.0) += d;
        if buyer {
            b(&mut self.balances, &quote, -notional);
            b(&mut self.balances, &base, qty - commission);
        } else {
            b(&mut self.balances, &base, -qty);
            b(&mut self.balances, &quote, notional - commission);
        }
        self.trades.push(Trade {
            id: self.next_trade,
            order_id,
            price,
            qty,
            commission,
            commission_asset,
            time: self.now,
            buyer,
        });
        self.next_trade += 1;
    }

    fn find(&self, p: &Params<'_>) -> Result<usize, Reply> {
        if !p.get("symbol").is_some_and(|s| s.eq_ignore_ascii_case(&self.config.symbol)) {
            return Err(Reply::error(400, -1121, "Invalid symbol."));
        }
        let by_id = p.get("orderId").and_then(|v| v.parse::<u64>().ok());
        let by_client = p.get("origClientOrderId");
        if by_id.is_none() && by_client.is_none() {
            return Err(Reply::error(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            ));
        }
        // The newest order with that client id (an id may be reused once its order is closed).
        self.orders
            .iter()
            .rposition(|o| by_id.is_none_or(|id| o.id == id) && by_client.is_none_or(|c| o.client_id == c))
            .ok_or_else(|| Reply::error(400, -2013, "Order does not exist."))
    }

    fn query(&self, p: &Params<'_>) -> Reply {
        match self.find(p) {
            Ok(i) => Reply::ok(self.order_json(&self.orders[i], false)),
            Err(reply) => reply,
        }
    }

    fn cancel(&mut self, p: &Params<'_>) -> Reply {
        let i = match self.find(p) {
            Ok(i) => i,
            Err(r) if r.body.contains("-2013") => return Reply::error(400, -2011, "Unknown order sent."),
            Err(r) => return r,
        };
        if !self.orders[i].status.open() {
            return Reply::error(400, -2011, "Unknown order sent.");
        }
        self.orders[i].status = Status::Canceled;
        self.orders[i].parts_left = 0;
        Reply::ok(self.order_json(&self.orders[i], false))
    }

    fn open_orders(&self, p: &Params<'_>) -> Reply {
        if let Some(s) = p.get("symbol")
            && !s.eq_ignore_ascii_case(&self.config.symbol)
        {
            return Reply::error(400, -1121, "Invalid symbol.");
        }
        let open: Vec<Value> =
            self.orders.iter().filter(|o| o.status.open()).map(|o| self.order_json(o, false)).collect();
        Reply::ok(Value::Array(open))
    }

    fn account(&self) -> Reply {
        let balances: Vec<Value> = self
            .balances
            .iter()
            .map(|(asset, free)| json!({ "asset": asset, "free": dec(*free), "locked": "0.00000000" }))
            .collect();
        Reply::ok(json!({
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "canTrade": true, "canWithdraw": true, "canDeposit": true,
            "updateTime": self.now, "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"],
        }))
    }

    fn my_trades(&self, p: &Params<'_>) -> Reply {
        if !p.get("symbol").is_some_and(|s| s.eq_ignore_ascii_case(&self.config.symbol)) {
            return Reply::error(400, -1121, "Invalid symbol.");
        }
        let order = p.get("orderId").and_then(|v| v.parse::<u64>().ok());
        let from = p.get("fromId").and_then(|v| v.parse::<u64>().ok());
        let trades: Vec<Value> = self
            .trades
            .iter()
            .filter(|t| order.is_none_or(|o| t.order_id == o) && from.is_none_or(|f| t.id >= f))
            .map(|t| self.trade_json(t))
            .collect();
        Reply::ok(Value::Array(trades))
    }

    fn trade_json(&self, t: &Trade) -> Value {
        json!({
            "symbol": self.config.symbol, "id": t.id, "orderId": t.order_id, "orderListId": -1,
            "price": dec(t.price), "qty": dec(t.qty), "quoteQty": dec(t.qty * t.price),
            "commission": dec(t.commission), "commissionAsset": t.commission_asset, "time": t.time,
            "isBuyer": t.buyer, "isMaker": false, "isBestMatch": true,
        })
    }

    /// An order as the venue shows it; `fills` adds the `FULL` response's trades.
    fn order_json(&self, o: &Order, fills: bool) -> Value {
        let mut v = json!({
            "symbol": self.config.symbol, "orderId": o.id, "orderListId": -1, "clientOrderId": o.client_id,
            "price": dec(o.price), "origQty": dec(o.orig_qty), "executedQty": dec(o.executed),
            "cummulativeQuoteQty": dec(o.quote_spent), "status": o.status.name(),
            "timeInForce": "GTC", "type": if o.market { "MARKET" } else { "LIMIT" },
            "side": if o.buy { "BUY" } else { "SELL" }, "time": o.time, "transactTime": o.time,
            "updateTime": self.now, "isWorking": o.status.open(), "workingTime": o.time,
            "selfTradePreventionMode": "EXPIRE_MAKER",
        });
        if fills {
            let f: Vec<Value> = self
                .trades
                .iter()
                .filter(|t| t.order_id == o.id)
                .map(|t| {
                    json!({ "price": dec(t.price), "qty": dec(t.qty), "commission": dec(t.commission),
                            "commissionAsset": t.commission_asset, "tradeId": t.id })
                })
                .collect();
            v["fills"] = Value::Array(f);
        }
        v
    }
}

/// Decoded `k=v` pairs.
struct Params<'a>(&'a [(String, String)]);

impl Params<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// `raw` without its `signature=…` pair, and the signature.
fn without_signature(raw: &str) -> (String, Option<String>) {
    let mut kept = Vec::new();
    let mut signature = None;
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        match pair.strip_prefix("signature=") {
            Some(s) => signature = Some(s.to_string()),
            None => kept.push(pair),
        }
    }
    (kept.join("&"), signature)
}

fn decode_params(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `x` is a whole number of `step`s.
fn on_step(x: f64, step: f64) -> bool {
    let n = x / step;
    (n - n.round()).abs() < 1e-6
}

/// `x` rounded down to a whole number of `step`s.
pub fn floor_to(x: f64, step: f64) -> f64 {
    let n = (x / step + 1e-9).floor();
    // Printed and parsed back through 8 decimals, as the venue's numbers are.
    (n * step * 1e8).round() / 1e8
}

/// A number as the venue writes it: a string with 8 decimals.
fn dec(x: f64) -> String {
    format!("{x:.8}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::binance::{Credentials, query};

    const KEY: &str = "fake-key";
    const SECRET: &str = "fake-secret";

    fn exchange() -> Exchange {
        let mut e = Exchange::new(FakeConfig::new(KEY, Secret::new(SECRET), "BTCUSDT", 10_000.0));
        e.on_price(100.0, 1_000_000);
        e
    }

    fn signed(params: &[(&str, String)], timestamp: i64) -> String {
        Credentials::new(KEY, Secret::new(SECRET)).signed_query(&query(params, 5000, timestamp), "")
    }

    fn call(e: &mut Exchange, method: &str, path: &str, params: &[(&str, String)]) -> (u16, Value) {
        let q = signed(params, 1_000_000);
        let r = e.handle(&Request { method, path, query: &q, body: "", api_key: Some(KEY) }, 1_000_100);
        (r.status, serde_json::from_str(&r.body).unwrap())
    }

    fn market(side: &str, qty: &str, id: &str) -> Vec<(&'static str, String)> {
        vec![
            ("symbol", "BTCUSDT".into()),
            ("side", side.into()),
            ("type", "MARKET".into()),
            ("quantity", qty.into()),
            ("newClientOrderId", id.into()),
        ]
    }

    #[test]
    fn signatures_keys_and_timestamps_are_checked_as_documented() {
        let mut e = exchange();
        let q = signed(&[("symbol", "BTCUSDT".into())], 1_000_000);
        let req = |query: &'static str, key: Option<&'static str>| Request {
            method: "GET",
            path: "/api/v3/openOrders",
            query,
            body: "",
            api_key: key,
        };
        let q: &'static str = Box::leak(q.into_boxed_str());
        assert_eq!(e.handle(&req(q, Some(KEY)), 1_000_100).status, 200);
        let code = |r: Reply| serde_json::from_str::<Value>(&r.body).unwrap()["code"].as_i64().unwrap();
        assert_eq!(code(e.handle(&req(q, Some("other")), 1_000_100)), -2015);
        assert_eq!(code(e.handle(&req(q, None), 1_000_100)), -2014);
        let tampered: &'static str = Box::leak(q.replace("BTCUSDT", "ETHUSDT").into_boxed_str());
        assert_eq!(code(e.handle(&req(tampered, Some(KEY)), 1_000_100)), -1022);
        // 5,001 ms after the timestamp with recvWindow 5,000; and a timestamp 1 s ahead of the server.
        assert_eq!(code(e.handle(&req(q, Some(KEY)), 1_005_001)), -1021);
        assert_eq!(code(e.handle(&req(q, Some(KEY)), 999_000)), -1021);
        // The signature may travel in the body: totalParams is the query followed by the body.
        let creds = Credentials::new(KEY, Secret::new(SECRET));
        let body = creds.signed_query(&query(&[], 5000, 1_000_000), "");
        let body_only = body.clone();
        let r = e.handle(
            &Request { method: "GET", path: "/api/v3/account", query: "", body: &body_only, api_key: Some(KEY) },
            1_000_100,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    #[test]
    fn market_orders_fill_at_the_market_with_the_venues_commission() {
        let mut e = exchange();
        let (status, v) = call(&mut e, "POST", "/api/v3/order", &market("BUY", "10", "a-1"));
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["status"], "FILLED");
        assert_eq!(v["fills"][0]["price"], "100.00000000");
        assert_eq!(v["fills"][0]["commission"], "0.01000000");
        assert_eq!(v["fills"][0]["commissionAsset"], "BTC");
        assert_eq!(e.balance("USDT"), 9_000.0);
        assert!((e.balance("BTC") - 9.99).abs() < 1e-12);
        e.on_price(110.0, 2_000_000);
        let (_, v) = call(&mut e, "POST", "/api/v3/order", &market("SELL", "9.99", "a-2"));
        assert_eq!(v["fills"][0]["commissionAsset"], "USDT");
        assert!((e.balance("USDT") - (9_000.0 + 9.99 * 110.0 * 0.999)).abs() < 1e-9);
        let (_, q) =
            call(&mut e, "GET", "/api/v3/order", &[("symbol", "BTCUSDT".into()), ("origClientOrderId", "a-1".into())]);
        assert_eq!((q["status"].as_str(), q["executedQty"].as_str()), (Some("FILLED"), Some("10.00000000")));
        let (_, t) = call(&mut e, "GET", "/api/v3/myTrades", &[("symbol", "BTCUSDT".into())]);
        assert_eq!(t.as_array().unwrap().len(), 2);
    }

    #[test]
    fn filters_balances_symbols_and_duplicates_are_refused_with_the_venues_codes() {
        let mut e = exchange();
        let code = |(_, v): (u16, Value)| v["code"].as_i64();
        assert_eq!(code(call(&mut e, "POST", "/api/v3/order", &market("BUY", "0.000001", "b-1"))), Some(-1013));
        assert_eq!(
            code(call(&mut e, "POST", "/api/v3/order", &market("BUY", "0.01", "b-2"))),
            Some(-1013),
            "notional 1 < 5"
        );
        assert_eq!(code(call(&mut e, "POST", "/api/v3/order", &market("BUY", "1000", "b-3"))), Some(-2010));
        let mut other = market("BUY", "1", "b-4");
        other[0].1 = "DOGEUSDT".into();
        assert_eq!(code(call(&mut e, "POST", "/api/v3/order", &other)), Some(-1121));
        let limit = vec![
            ("symbol", "BTCUSDT".to_string()),
            ("side", "BUY".into()),
            ("type", "LIMIT".into()),
            ("timeInForce", "GTC".into()),
            ("quantity", "1".into()),
            ("price", "90".into()),
            ("newClientOrderId", "b-5".into()),
        ];
        let (_, v) = call(&mut e, "POST", "/api/v3/order", &limit);
        assert_eq!(v["status"], "NEW");
        assert_eq!(code(call(&mut e, "POST", "/api/v3/order", &limit)), Some(-2010), "a duplicate client order id");
        let (_, open) = call(&mut e, "GET", "/api/v3/openOrders", &[("symbol", "BTCUSDT".into())]);
        assert_eq!(open.as_array().unwrap().len(), 1);
        let cancel = [("symbol", "BTCUSDT".to_string()), ("origClientOrderId", "b-5".to_string())];
        assert_eq!(call(&mut e, "DELETE", "/api/v3/order", &cancel).1["status"], "CANCELED");
        assert_eq!(code(call(&mut e, "DELETE", "/api/v3/order", &cancel)), Some(-2011));
        let missing = [("symbol", "BTCUSDT".to_string()), ("origClientOrderId", "nope".to_string())];
        assert_eq!(code(call(&mut e, "GET", "/api/v3/order", &missing)), Some(-2013));
    }

    #[test]
    fn faults_partial_fills_server_errors_and_rate_limits() {
        let mut e = exchange();
        e.push_fault(Fault::Partial { parts: 3 });
        let (_, v) = call(&mut e, "POST", "/api/v3/order", &market("BUY", "3", "c-1"));
        assert_eq!((v["status"].as_str(), v["executedQty"].as_str()), (Some("PARTIALLY_FILLED"), Some("1.00000000")));
        e.on_price(101.0, 2_000_000);
        e.on_price(102.0, 3_000_000);
        let (_, q) = call(&mut e, "GET", "/api/v3/order", &[("symbol", "BTCUSDT".into()), ("orderId", "1".into())]);
        assert_eq!((q["status"].as_str(), q["executedQty"].as_str()), (Some("FILLED"), Some("3.00000000")));
        e.push_fault(Fault::ServerErrorPlaced);
        let before = e.orders_placed();
        let (status, v) = call(&mut e, "POST", "/api/v3/order", &market("SELL", "1", "c-2"));
        assert_eq!((status, v["code"].as_i64()), (503, Some(-1007)));
        assert_eq!(e.orders_placed(), before + 1, "placed despite the error");
        e.push_fault(Fault::ServerErrorNotPlaced);
        assert_eq!(call(&mut e, "POST", "/api/v3/order", &market("SELL", "1", "c-3")).0, 500);
        assert_eq!(e.orders_placed(), before + 1);
        e.push_fault(Fault::RateLimited { retry_after_s: 2 });
        let q = signed(&market("SELL", "1", "c-4"), 1_000_000);
        let r = e.handle(
            &Request { method: "POST", path: "/api/v3/order", query: &q, body: "", api_key: Some(KEY) },
            1_000_100,
        );
        assert_eq!((r.status, r.retry_after), (429, Some(2)));
    }
}
