//! Binance Spot's signed REST requests: credentials that never print, the HMAC-SHA256 signature over the query
//! string (and body) with `timestamp` and `recvWindow`, deterministic client order ids, and the venue's
//! `{code, msg}` errors as a typed enum that says what a caller may do next.
//!
//! Design choice: the signature is computed over exactly the bytes sent — the caller builds the query once, signs
//! it, and appends `&signature=` — so there is no second encoding that could disagree with the first. Whether a
//! failed request may have placed the order is a property of the error ([`VenueError::outcome`]), decided here
//! once, so no caller resubmits blindly.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// An API secret. Its `Debug` and `Display` print `<redacted>`; the bytes are reachable only to sign.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// HMAC-SHA256 of `payload` under this secret, as lower-case hex (the venue's `signature`).
    pub fn sign(&self, payload: &str) -> String {
        // HMAC accepts a key of any length: `new_from_slice` cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.as_bytes()) else { return String::new() };
        mac.update(payload.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        hex
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An API key and its secret. The key is sent in `X-MBX-APIKEY`; it is printed only by its first four characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    key: String,
    secret: Secret,
}

impl Credentials {
    pub fn new(key: impl Into<String>, secret: Secret) -> Self {
        Self { key: key.into(), secret }
    }

    /// From `BINANCE_API_KEY` and `BINANCE_API_SECRET`; the error names what is missing.
    pub fn from_env() -> Result<Self, String> {
        let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (get("BINANCE_API_KEY"), get("BINANCE_API_SECRET")) {
            (Some(k), Some(s)) => Ok(Self::new(k.trim(), Secret::new(s.trim()))),
            (None, None) => Err("BINANCE_API_KEY and BINANCE_API_SECRET are not set".into()),
            (None, _) => Err("BINANCE_API_KEY is not set".into()),
            (_, None) => Err("BINANCE_API_SECRET is not set".into()),
        }
    }

    /// From a key file: two lines, the key then the secret (blank lines and `#` comments ignored).
    pub fn from_key_file(text: &str, path: &str) -> Result<Self, String> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        match (lines.next(), lines.next(), lines.next()) {
            (Some(k), Some(s), None) => Ok(Self::new(k, Secret::new(s))),
            _ => Err(format!("{path}: a key file holds two lines, the API key then the secret")),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// `query` (already `k=v&…`, with `timestamp` and `recvWindow`) and `body`, signed: the full query string to
    /// send, ending in `&signature=…`. The venue signs the query string followed directly by the body.
    pub fn signed_query(&self, query: &str, body: &str) -> String {
        let signature = self.secret.sign(&format!("{query}{body}"));
        if query.is_empty() { format!("signature={signature}") } else { format!("{query}&signature={signature}") }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.key.chars().take(4).collect();
        write!(f, "Credentials {{ key: \"{shown}…\", secret: <redacted> }}")
    }
}

/// `params` as a query string with the request's `recvWindow` and `timestamp` last, values percent-encoded.
pub fn query(params: &[(&str, String)], recv_window_ms: u64, timestamp_ms: i64) -> String {
    let mut out = String::new();
    for (k, v) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(&format!("recvWindow={recv_window_ms}&timestamp={timestamp_ms}"));
    out
}

fn percent_encode(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The client order id of a run's order intent: the same intent always gets the same id, so a resubmission after an
/// unknown outcome is recognised by the venue (and can be looked up) instead of placing a second order. At most 36
/// characters of `[a-zA-Z0-9-_]`, as the venue requires.
pub fn client_order_id(run: &str, seq: u64) -> String {
    // "st-" + 12 + "-" + up to 20 digits = 36.
    let run: String = run.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(12).collect();
    format!("st-{run}-{seq}")
}

/// What is known about an order after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The venue refused it: no order exists.
    Rejected,
    /// The venue may or may not have placed it: query by client order id before anything else.
    Unknown,
}

/// The venue's errors, by what they mean to a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VenueError {
    #[error("the venue refused the signature (-1022): wrong API secret, or the request was altered: {msg}")]
    BadSignature { msg: String },
    #[error("the request's timestamp is outside the venue's recvWindow (-1021): check the clock: {msg}")]
    ClockSkew { msg: String },
    #[error("the API key is not accepted ({code}): {msg}")]
    BadKey { code: i64, msg: String },
    #[error("unknown symbol (-1121): {msg}")]
    UnknownSymbol { msg: String },
    #[error("the order breaks a symbol filter such as the minimum quantity (-1013): {msg}")]
    Filter { msg: String },
    #[error("the venue rejected the order ({code}): {msg}")]
    Rejected { code: i64, msg: String },
    #[error("the venue timed out and does not know whether the request succeeded (-1007): {msg}")]
    UnknownStatus { msg: String },
    #[error("rate limited (HTTP {status}); retry after {retry_after_s:?} s")]
    RateLimited { status: u16, retry_after_s: Option<u64> },
    #[error("the venue failed (HTTP {status}): {detail}")]
    Server { status: u16, detail: String },
    #[error("the venue answered ({code}): {msg}")]
    Other { code: i64, msg: String },
    #[error("the venue's answer is not its error format (HTTP {status}): {detail}")]
    Garbage { status: u16, detail: String },
}

impl VenueError {
    /// Reads an error response: its HTTP status, `Retry-After` and body (`{"code":…,"msg":"…"}`, or anything else).
    pub fn from_response(status: u16, retry_after_s: Option<u64>, body: &str) -> Self {
        if matches!(status, 418 | 429) {
            return VenueError::RateLimited { status, retry_after_s };
        }
        let parsed: Option<(i64, String)> = serde_json::from_str::<serde_json::Value>(body).ok().and_then(|v| {
            Some((v.get("code")?.as_i64()?, v.get("msg").and_then(|m| m.as_str()).unwrap_or_default().to_string()))
        });
        let Some((code, msg)) = parsed else {
            let detail: String = body.chars().take(120).collect();
            return if status >= 500 {
                VenueError::Server { status, detail }
            } else {
                VenueError::Garbage { status, detail }
            };
        };
        match code {
            -1022 => VenueError::BadSignature { msg },
            -1021 => VenueError::ClockSkew { msg },
            -2014 | -2015 | -2008 => VenueError::BadKey { code, msg },
            -1121 => VenueError::UnknownSymbol { msg },
            -1013 => VenueError::Filter { msg },
            -1007 => VenueError::UnknownStatus { msg },
            -2010 | -2011 | -2013 => VenueError::Rejected { code, msg },
            _ if status >= 500 => VenueError::Server { status, detail: format!("{code}: {msg}") },
            _ => VenueError::Other { code, msg },
        }
    }

    /// Whether the order a failed placement asked for may exist: a 5XX, `-1007` or garbage (a response cut off by
    /// a proxy) leaves it unknown; everything else is a refusal.
    pub fn outcome(&self) -> Outcome {
        match self {
            VenueError::UnknownStatus { .. } | VenueError::Server { .. } | VenueError::Garbage { .. } => {
                Outcome::Unknown
            }
            _ => Outcome::Rejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The venue's documented example (Binance Spot API, "SIGNED endpoint examples for POST /api/v3/order").
    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const QUERY: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    const SIGNATURE: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

    #[test]
    fn the_documented_example_signs_to_the_documented_signature() {
        assert_eq!(Secret::new(SECRET).sign(QUERY), SIGNATURE);
        let creds =
            Credentials::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", Secret::new(SECRET));
        assert_eq!(creds.signed_query(QUERY, ""), format!("{QUERY}&signature={SIGNATURE}"));
        // Query and body together: the venue signs the concatenation.
        let (q, b) = QUERY.split_at(QUERY.find("&quantity").unwrap());
        assert_eq!(creds.signed_query(q, b), format!("{q}&signature={SIGNATURE}"));
        let built = query(
            &[
                ("symbol", "LTCBTC".into()),
                ("side", "BUY".into()),
                ("type", "LIMIT".into()),
                ("timeInForce", "GTC".into()),
                ("quantity", "1".into()),
                ("price", "0.1".into()),
            ],
            5000,
            1499827319559,
        );
        assert_eq!(built, QUERY);
    }

    #[test]
    fn secrets_never_print() {
        let creds = Credentials::new("abcdEFGH", Secret::new(SECRET));
        for text in [format!("{creds:?}"), format!("{:?}", Secret::new(SECRET)), Secret::new(SECRET).to_string()] {
            assert!(!text.contains(SECRET) && !text.contains("NhqP"), "{text}");
            assert!(!text.contains("EFGH"), "{text}");
        }
        assert_eq!(format!("{creds:?}"), "Credentials { key: \"abcd…\", secret: <redacted> }");
    }

    #[test]
    fn key_files_and_values_are_read_strictly() {
        let c = Credentials::from_key_file("# live key\nKEY123\n\nSECRET456\n", "k.txt").unwrap();
        assert_eq!(c.key(), "KEY123");
        assert_eq!(c.signed_query("a=1", ""), format!("a=1&signature={}", Secret::new("SECRET456").sign("a=1")));
        assert!(Credentials::from_key_file("only-a-key\n", "k.txt").unwrap_err().starts_with("k.txt: a key file"));
        assert!(Credentials::from_key_file("a\nb\nc\n", "k.txt").is_err());
        assert_eq!(percent_encode("a b/c+d=é"), "a%20b%2Fc%2Bd%3D%C3%A9");
    }

    #[test]
    fn client_order_ids_are_deterministic_and_within_the_venues_rules() {
        assert_eq!(client_order_id("sma-btc", 42), client_order_id("sma-btc", 42));
        assert_ne!(client_order_id("sma-btc", 42), client_order_id("sma-btc", 43));
        let long = client_order_id("a very long run name with spaces!!", u64::MAX);
        assert!(long.len() <= 36 && long.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{long}");
    }

    #[test]
    fn venue_errors_are_typed_and_say_whether_the_order_may_exist() {
        let e = |status, body: &str| VenueError::from_response(status, None, body);
        assert!(matches!(
            e(400, r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#),
            VenueError::BadSignature { .. }
        ));
        assert!(matches!(
            e(400, r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#),
            VenueError::ClockSkew { .. }
        ));
        assert!(matches!(
            e(401, r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#),
            VenueError::BadKey { code: -2015, .. }
        ));
        assert!(matches!(e(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#), VenueError::UnknownSymbol { .. }));
        assert!(matches!(e(400, r#"{"code":-1013,"msg":"Filter failure: LOT_SIZE"}"#), VenueError::Filter { .. }));
        assert_eq!(e(400, r#"{"code":-2010,"msg":"Account has insufficient balance."}"#).outcome(), Outcome::Rejected);
        assert_eq!(
            e(503, r#"{"code":-1007,"msg":"Timeout waiting for response from backend server."}"#).outcome(),
            Outcome::Unknown
        );
        assert_eq!(e(502, "<html>Bad Gateway</html>").outcome(), Outcome::Unknown);
        assert!(matches!(e(200, "<html>maintenance</html>"), VenueError::Garbage { status: 200, .. }));
        let limited = VenueError::from_response(429, Some(7), "{}");
        assert_eq!(limited, VenueError::RateLimited { status: 429, retry_after_s: Some(7) });
        assert_eq!(limited.outcome(), Outcome::Rejected);
        assert!(e(400, r#"{"code":-1022,"msg":"x"}"#).to_string().contains("wrong API secret"));
    }
}
