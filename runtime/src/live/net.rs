//! The connections a live feed needs: a URL taken apart, a TCP (or TLS) stream to it, and one HTTP/1.1 `GET`.
//!
//! Design choice: the feed needs exactly one kind of HTTP request (a small JSON `GET`), so it is written here over
//! the same stream type the WebSocket uses instead of pulling in an HTTP client stack. Every read has a deadline
//! and a size limit, `wss://` and `https://` go through rustls with the Mozilla root store compiled in (no system
//! certificate files needed), and every failure is an [`NetError`] that names the URL.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Why a connection or a request failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NetError {
    #[error("'{url}' is not a usable URL: {why}")]
    BadUrl { url: String, why: String },
    #[error("{url}: {why}")]
    Connect { url: String, why: String },
    #[error("{url}: no answer within {ms} ms")]
    Timeout { url: String, ms: u128 },
    #[error("{url}: {why}")]
    Http { url: String, why: String },
}

/// A URL of one of the schemes a feed uses: `ws`, `wss`, `http`, `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// The path and query, starting with `/` (just `/` when the URL has none).
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Self, NetError> {
        let bad = |why: &str| NetError::BadUrl { url: url.to_string(), why: why.to_string() };
        let (scheme, rest) =
            url.split_once("://").ok_or_else(|| bad("no scheme (ws://, wss://, http://, https://)"))?;
        let (tls, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "ws" | "http" => (false, 80),
            "wss" | "https" => (true, 443),
            other => return Err(bad(&format!("unsupported scheme '{other}'"))),
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'?' => (&rest[..i], format!("/{}", &rest[i..])),
            Some(i) => (&rest[..i], rest[i..].to_string()),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad("credentials in the URL are not supported"));
        }
        let port_of =
            |p: &str| p.parse::<u16>().map_err(|_| bad(&format!("port '{p}' is not a number from 0 to 65535")));
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let (h, after) = inner.split_once(']').ok_or_else(|| bad("'[' without ']'"))?;
            match after.strip_prefix(':') {
                Some(p) => (h, port_of(p)?),
                None if after.is_empty() => (h, default_port),
                None => return Err(bad("text after ']'")),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, port_of(p)?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(Endpoint { tls, host: host.to_string(), port, path })
    }

    /// The same server with another path and query.
    pub fn with_path(&self, path: &str) -> Endpoint {
        Endpoint { path: path.to_string(), ..self.clone() }
    }

    /// The URL back, with `ws`/`wss` (`websocket`) or `http`/`https` as the scheme.
    pub fn url(&self, websocket: bool) -> String {
        let scheme = match (websocket, self.tls) {
            (true, false) => "ws",
            (true, true) => "wss",
            (false, false) => "http",
            (false, true) => "https",
        };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        format!("{scheme}://{host}:{}{}", self.port, self.path)
    }
}

/// A byte stream to a server, plain or TLS.
pub trait Conn: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Conn for T {}

fn tls_config() -> Arc<tokio_rustls::rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<tokio_rustls::rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            use tokio_rustls::rustls;
            let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots).with_no_client_auth());
            match config {
                Ok(c) => Arc::new(c),
                // The ring provider supports the default versions; a failure here would be a build defect. Fall back
                // to an empty configuration so that connecting fails with rustls's own error instead of a panic.
                Err(_) => Arc::new(
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                ),
            }
        })
        .clone()
}

/// Opens a stream to `ep` (TLS when its scheme says so) within `timeout`.
pub async fn connect(ep: &Endpoint, timeout: Duration) -> Result<Box<dyn Conn>, NetError> {
    let url = ep.url(false);
    let work = async {
        let tcp = TcpStream::connect((ep.host.as_str(), ep.port))
            .await
            .map_err(|e| NetError::Connect { url: url.clone(), why: e.to_string() })?;
        let _ = tcp.set_nodelay(true);
        if !ep.tls {
            return Ok(Box::new(tcp) as Box<dyn Conn>);
        }
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(ep.host.clone())
            .map_err(|e| NetError::Connect { url: url.clone(), why: format!("TLS server name: {e}") })?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| NetError::Connect { url: url.clone(), why: format!("TLS: {e}") })?;
        Ok(Box::new(tls) as Box<dyn Conn>)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| NetError::Timeout { url: url.clone(), ms: timeout.as_millis() })?
}

/// An HTTP response: its status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
}

/// `GET ep` (its path and query) and read the whole response, within `timeout` and `max_body` bytes.
pub async fn get(ep: &Endpoint, timeout: Duration, max_body: usize) -> Result<Response, NetError> {
    request(ep, "GET", &[], None, timeout, max_body).await
}

/// `POST ep` with a JSON body, and read the whole response, within `timeout` and `max_body` bytes.
pub async fn post_json(ep: &Endpoint, body: &str, timeout: Duration, max_body: usize) -> Result<Response, NetError> {
    request(ep, "POST", &[], Some(body), timeout, max_body).await
}

/// `method ep` with extra `headers` and no body (a signed venue request carries its parameters in the query).
pub async fn send(
    ep: &Endpoint,
    method: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
    max_body: usize,
) -> Result<Response, NetError> {
    request(ep, method, headers, None, timeout, max_body).await
}

async fn request(
    ep: &Endpoint,
    method: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
    timeout: Duration,
    max_body: usize,
) -> Result<Response, NetError> {
    let url = ep.url(false);
    let work = async {
        let mut conn = connect(ep, timeout).await?;
        let host = if ep.host.contains(':') { format!("[{}]", ep.host) } else { ep.host.clone() };
        let mut content = body
            .map_or_else(String::new, |b| format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
        for (name, value) in headers {
            content.push_str(&format!("{name}: {value}\r\n"));
        }
        if body.is_none() && method != "GET" {
            content.push_str("Content-Length: 0\r\n");
        }
        let head = format!(
            "{method} {} HTTP/1.1\r\nHost: {host}:{}\r\nAccept: application/json\r\nUser-Agent: strata\r\n{content}Connection: close\r\n\r\n{}",
            ep.path,
            ep.port,
            body.unwrap_or_default()
        );
        let io = |e: std::io::Error| NetError::Http { url: url.clone(), why: e.to_string() };
        conn.write_all(head.as_bytes()).await.map_err(io)?;
        conn.flush().await.map_err(io)?;
        let limit = max_body + 16 * 1024;
        let mut raw = Vec::with_capacity(8 * 1024);
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let n = match conn.read(&mut chunk).await {
                Ok(n) => n,
                // A TLS server that closes without close_notify still sent a complete response.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => 0,
                Err(e) => return Err(io(e)),
            };
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
            if raw.len() > limit {
                return Err(NetError::Http { url: url.clone(), why: format!("response over {max_body} bytes") });
            }
            if response_complete(&raw) {
                break;
            }
        }
        parse_response(&raw, max_body).map_err(|why| NetError::Http { url: url.clone(), why })
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| NetError::Timeout { url: url.clone(), ms: timeout.as_millis() })?
}

/// Whether `raw` holds a whole response with a `Content-Length` (otherwise the server's close ends it).
fn response_complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { return false };
    let head = String::from_utf8_lossy(&raw[..end]);
    let length = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok());
    length.is_some_and(|n| raw.len() >= end + 4 + n)
}

/// The value of header `name` (any case) in a response head.
fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, value) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Splits a raw HTTP/1.1 response into status and body (`Content-Length`, chunked, or read to close).
fn parse_response(raw: &[u8], max_body: usize) -> Result<Response, String> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("the response ended inside its head")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "the response head is not text")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/1."))
        .ok_or_else(|| {
            format!("not an HTTP/1.x status line: '{}'", status_line.chars().take(60).collect::<String>())
        })?;
    let header = |name: &str| header(head, name);
    let rest = &raw[end + 4..];
    let body: Vec<u8> = if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        dechunk(rest, max_body)?
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| format!("bad Content-Length '{len}'"))?;
        if rest.len() < len {
            return Err(format!("the body ended after {} of {len} bytes", rest.len()));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    if body.len() > max_body {
        return Err(format!("response over {max_body} bytes"));
    }
    let body = String::from_utf8(body).map_err(|_| "the body is not UTF-8 text".to_string())?;
    let retry_after = header("retry-after").and_then(|v| v.parse::<u64>().ok());
    Ok(Response { status, body, retry_after })
}

fn dechunk(mut rest: &[u8], max_body: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").ok_or("a chunk size line is cut off")?;
        let size_text = std::str::from_utf8(&rest[..eol]).map_err(|_| "a chunk size is not text")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size '{size_text}'"))?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 || body.len() + size > max_body {
            return Err(if body.len() + size > max_body {
                format!("response over {max_body} bytes")
            } else {
                "a chunk is cut off".to_string()
            });
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_come_apart_with_their_defaults() {
        let e = Endpoint::parse("wss://stream.binance.com:9443/ws/btcusdt@kline_1m").unwrap();
        assert_eq!(
            (e.tls, e.host.as_str(), e.port, e.path.as_str()),
            (true, "stream.binance.com", 9443, "/ws/btcusdt@kline_1m")
        );
        let e = Endpoint::parse("https://api.binance.com").unwrap();
        assert_eq!((e.tls, e.port, e.path.as_str()), (true, 443, "/"));
        let e = Endpoint::parse("ws://127.0.0.1:9443?x=1").unwrap();
        assert_eq!((e.tls, e.port, e.path.as_str()), (false, 9443, "/?x=1"));
        let e = Endpoint::parse("http://[::1]:8080/api").unwrap();
        assert_eq!((e.host.as_str(), e.port), ("::1", 8080));
        assert_eq!(e.url(false), "http://[::1]:8080/api");
        for bad in ["localhost:9443", "ftp://x", "ws://:80/", "ws://host:99999/", "ws://u:p@host/"] {
            assert!(matches!(Endpoint::parse(bad), Err(NetError::BadUrl { .. })), "{bad}");
        }
    }

    #[test]
    fn responses_are_read_with_every_framing() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]extra", 100).unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "[]"));
        let r = parse_response(
            b"HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2;x\r\n\":\r\n0\r\n\r\n",
            100,
        )
        .unwrap();
        assert_eq!((r.status, r.body.as_str()), (400, "{\"a\":"));
        let r = parse_response(b"HTTP/1.0 200 OK\r\n\r\nto the end", 100).unwrap();
        assert_eq!((r.body.as_str(), r.retry_after), ("to the end", None));
        let r = parse_response(b"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n", 100).unwrap();
        assert_eq!((r.status, r.retry_after), (429, Some(7)));
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", 100).unwrap_err().contains("ended")
        );
        assert!(parse_response(b"SSH-2.0\r\n\r\n", 100).unwrap_err().contains("status line"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n12345", 4).unwrap_err().contains("over"));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100).is_err());
        assert!(response_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]"));
        assert!(!response_complete(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[]"));
    }
}
