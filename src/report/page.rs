//! The report page: a header, the metrics, the charts, the calendar tables and the trade list, in one HTML file.
//!
//! Design choice: one self-contained file with its styles and its one small script inline — nothing fetched, no
//! CDN — and nothing in it that changes from one rendering to the next (no "generated at"), so the same run always
//! gives the same bytes.

use std::fmt::Write;

use serde_json::Value;
use strata_runtime::run_dir::RunDir;

use super::calendar::{self, YearRow};
use super::svg::{self, esc};

/// Trades listed in the page; `trades.parquet` has them all.
pub const MAX_TRADE_ROWS: usize = 5000;

/// Thousands separators and 2 decimals: 1,234,567.89
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{:.2}", v.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{frac}", if v < 0.0 { "-" } else { "" })
}

/// A quantity: up to 6 decimals, trailing zeros dropped.
fn qty(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
    s.to_string()
}

fn pct(v: f64) -> String {
    format!("{:.2}%", v * 100.0)
}

#[derive(Clone, Copy)]
enum Fmt {
    Pct,
    Ratio,
    Money,
    Count,
}

fn show(v: Option<&Value>, f: Fmt) -> String {
    match (v, f) {
        (None | Some(Value::Null), _) => "n/a".into(),
        (Some(Value::Number(n)), Fmt::Pct) => n.as_f64().map_or("n/a".into(), pct),
        (Some(Value::Number(n)), Fmt::Ratio) => n.as_f64().map_or("n/a".into(), |x| format!("{x:.2}")),
        (Some(Value::Number(n)), Fmt::Money) => n.as_f64().map_or("n/a".into(), money),
        (Some(Value::Number(n)), Fmt::Count) => n.to_string(),
        (Some(Value::String(s)), _) => esc(s),
        (Some(other), _) => esc(&other.to_string()),
    }
}

/// A metric row: the summary's key, its label, how to show it.
type MetricRow = (&'static str, &'static str, Fmt);

const METRICS: &[(&str, &[MetricRow])] = &[
    (
        "Returns",
        &[
            ("initial_cash", "Initial equity", Fmt::Money),
            ("final_equity", "Final equity", Fmt::Money),
            ("total_return", "Total return", Fmt::Pct),
            ("cagr", "CAGR", Fmt::Pct),
            ("exposure", "Exposure", Fmt::Pct),
            ("fees", "Fees", Fmt::Money),
        ],
    ),
    (
        "Risk",
        &[
            ("volatility", "Volatility (annualized)", Fmt::Pct),
            ("sharpe", "Sharpe", Fmt::Ratio),
            ("sortino", "Sortino", Fmt::Ratio),
            ("calmar", "Calmar", Fmt::Ratio),
            ("max_drawdown", "Max drawdown", Fmt::Pct),
            ("max_drawdown_bars", "Longest drawdown (bars)", Fmt::Count),
        ],
    ),
    (
        "Trades",
        &[
            ("closed_trades", "Closed trades", Fmt::Count),
            ("win_rate", "Win rate", Fmt::Pct),
            ("avg_win", "Average win", Fmt::Pct),
            ("avg_loss", "Average loss", Fmt::Pct),
            ("profit_factor", "Profit factor", Fmt::Ratio),
            ("expectancy", "Expectancy (per trade)", Fmt::Money),
            ("avg_trade_return", "Average trade", Fmt::Pct),
            ("max_consecutive_losses", "Max consecutive losses", Fmt::Count),
            ("avg_bars_held", "Average bars held", Fmt::Ratio),
        ],
    ),
    (
        "Significance and activity",
        &[
            ("trade_t_stat", "t-statistic of trade returns", Fmt::Ratio),
            ("probabilistic_sharpe", "Probabilistic Sharpe (SR > 0)", Fmt::Pct),
            ("periods_per_year", "Bars per year", Fmt::Ratio),
            ("warmup_bars", "Warm-up bars", Fmt::Count),
            ("fills", "Fills", Fmt::Count),
            ("realized_pnl", "Realized PnL", Fmt::Money),
            ("unrealized_pnl", "Unrealized PnL", Fmt::Money),
            ("orders_rejected", "Orders rejected", Fmt::Count),
        ],
    ),
];

pub(crate) const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#5b6475}
section{background:#fff;border:1px solid #e2e5ea;border-radius:8px;padding:16px;margin-top:16px;overflow-x:auto}
.metrics{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px 40px}
.metrics table{width:100%}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
td,th{padding:3px 8px;text-align:right;white-space:nowrap}
th{font-weight:600;color:#3b4252}td:first-child,th:first-child{text-align:left}
.metrics caption{text-align:left;font-weight:600;padding:4px 8px}
.list tr:nth-child(even){background:#f6f7f9}
.pos{color:#1a7a44}.neg{color:#b8261f}
.chart{max-width:100%;height:auto;display:block}
.chart .grid{stroke:#e6e8ec;stroke-width:1}
.chart .tick{font-size:11px;fill:#5b6475}
.chart .label{font-size:12px;fill:#5b6475}
.chart .equity{fill:none;stroke:#2b5fb3;stroke-width:1.5}
.chart .drawdown{fill:#d73027;fill-opacity:.35;stroke:#d73027;stroke-width:1}
.chart .cursor{stroke:#888;stroke-dasharray:3 3}
.chart .empty{fill:#f0f1f4}
#equity-readout{min-height:1.4em;color:#3b4252}
"#;

/// Reads the chart's embedded points and shows the date and equity under the pointer.
const SCRIPT: &str = r#"
(function () {
  var svg = document.getElementById('equity-chart');
  var holder = document.getElementById('equity-points');
  var out = document.getElementById('equity-readout');
  var cursor = document.getElementById('equity-cursor');
  if (!svg || !holder || !out || !cursor) { return; }
  var pts = (holder.getAttribute('data-points') || '').split(';').filter(Boolean).map(function (p) {
    var f = p.split(':'); return [parseFloat(f[0]), parseInt(f[1], 10), parseFloat(f[2])];
  });
  if (pts.length === 0) { return; }
  svg.addEventListener('mousemove', function (ev) {
    var box = svg.getBoundingClientRect();
    var x = (ev.clientX - box.left) * svg.viewBox.baseVal.width / box.width;
    var lo = 0, hi = pts.length - 1;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (pts[mid][0] < x) { lo = mid + 1; } else { hi = mid; } }
    var p = pts[lo];
    cursor.setAttribute('x1', p[0]); cursor.setAttribute('x2', p[0]); cursor.setAttribute('visibility', 'visible');
    out.textContent = new Date(p[1]).toISOString().slice(0, 16).replace('T', ' ') + ' UTC   equity ' +
      p[2].toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  });
  svg.addEventListener('mouseleave', function () { cursor.setAttribute('visibility', 'hidden'); out.textContent = ''; });
  document.body.setAttribute('data-report-ready', 'yes');
})();
"#;

fn signed_class(v: f64) -> &'static str {
    if v > 0.0 {
        "pos"
    } else if v < 0.0 {
        "neg"
    } else {
        ""
    }
}

/// The whole page for a run.
pub fn render(run: &RunDir) -> String {
    let s = &run.summary;
    let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let initial = s.get("initial_cash").and_then(Value::as_f64).unwrap_or(f64::NAN);
    let mut o = String::with_capacity(64 * 1024 + run.trades.len().min(MAX_TRADE_ROWS) * 300);
    let title = format!("{} on {}", text("strategy"), text("data"));
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Strata report: {}</title><style>{STYLE}</style></head><body><main>",
        esc(&title)
    );
    let params = s
        .get("params")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"sub\">{} .. {} · {} bars{}</div>",
        esc(&title),
        esc(&text("first_bar")),
        esc(&text("last_bar")),
        show(s.get("bars"), Fmt::Count),
        if params.is_empty() { String::new() } else { format!(" · {}", esc(&params)) }
    );

    // Metrics.
    o.push_str("<section id=\"metrics\"><h2>Metrics</h2><div class=\"metrics\">");
    for (group, rows) in METRICS {
        let _ = write!(o, "<table><caption>{group}</caption>");
        for (key, label, f) in rows.iter() {
            let _ = write!(o, "<tr><td>{label}</td><td>{}</td></tr>", show(s.get(*key), *f));
        }
        o.push_str("</table>");
    }
    o.push_str("</div>");
    if let Some(mc) = s.get("monte_carlo").and_then(Value::as_object) {
        let p = |what: &str, k: &str| mc.get(what).and_then(|v| v.get(k)).and_then(Value::as_f64).unwrap_or(f64::NAN);
        let _ = write!(
            o,
            "<h2>Monte Carlo: {} resamples of the closed trades (seed {})</h2><table id=\"monte-carlo\"><tr><th></th><th>5th</th><th>25th</th><th>median</th><th>75th</th><th>95th</th></tr>",
            show(mc.get("resamples"), Fmt::Count),
            show(mc.get("seed"), Fmt::Count)
        );
        o.push_str("<tr><td>Final equity</td>");
        for k in ["p5", "p25", "p50", "p75", "p95"] {
            let _ = write!(o, "<td>{}</td>", money(p("final_equity", k)));
        }
        o.push_str("</tr><tr><td>Max drawdown</td>");
        for k in ["p5", "p25", "p50", "p75", "p95"] {
            let _ = write!(o, "<td>{}</td>", pct(p("max_drawdown", k)));
        }
        o.push_str("</tr></table>");
    }
    o.push_str("</section>");

    // Equity and drawdown.
    let _ = write!(
        o,
        "<section id=\"equity\"><h2>Equity and drawdown</h2>{}<div id=\"equity-readout\"></div></section>",
        svg::equity_chart(&run.equity)
    );

    // Trade returns.
    let closed: Vec<f64> = run.trades.iter().filter(|t| t.exit_ts.is_some()).map(|t| t.ret).collect();
    let _ = write!(
        o,
        "<section id=\"distribution\"><h2>Trade returns ({} closed trades)</h2>{}</section>",
        closed.len(),
        svg::histogram("trade-returns", &closed, "Distribution of trade returns")
    );

    // Calendar.
    let months = calendar::monthly(&run.equity, initial);
    o.push_str("<section id=\"calendar\"><h2>Monthly and yearly returns</h2>");
    o.push_str(&monthly_table(&months));
    o.push_str("<h2>Mean bar return by weekday and hour (UTC)</h2>");
    o.push_str(&svg::week_hour_heatmap(&calendar::weekday_hour(&run.equity, initial)));
    o.push_str("</section>");

    // Trades.
    let _ = write!(o, "<section id=\"trades\"><h2>Trades ({})</h2>", run.trades.len());
    if run.trades.len() > MAX_TRADE_ROWS {
        let _ = write!(
            o,
            "<p class=\"sub\">The first {MAX_TRADE_ROWS} of {} trades; trades.parquet in the run directory has them all.</p>",
            run.trades.len()
        );
    }
    o.push_str("<table class=\"list\" id=\"trade-list\"><tr><th>#</th><th>side</th><th>entry</th><th>exit</th><th>qty</th><th>entry price</th><th>exit price</th><th>PnL</th><th>return</th><th>bars</th></tr>");
    for (i, t) in run.trades.iter().take(MAX_TRADE_ROWS).enumerate() {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            i + 1,
            if t.long { "long" } else { "short" },
            strata_runtime::time::format_ts(t.entry_ts),
            t.exit_ts.map_or_else(|| "open".to_string(), strata_runtime::time::format_ts),
            qty(t.qty),
            strata_runtime::fmt_num(t.entry_price),
            t.exit_price.map_or_else(|| "—".to_string(), strata_runtime::fmt_num),
            signed_class(t.pnl),
            money(t.pnl),
            signed_class(t.ret),
            pct(t.ret),
            t.bars_held
        );
    }
    o.push_str("</table></section>");
    let _ = writeln!(o, "</main><script>{SCRIPT}</script></body></html>");
    o
}

fn monthly_table(rows: &std::collections::BTreeMap<i64, YearRow>) -> String {
    let scale = rows.values().flat_map(|r| r.months.iter().flatten()).fold(0.0f64, |a, v| a.max(v.abs()));
    let mut o = String::from("<table id=\"monthly-returns\"><tr><th>year</th>");
    for m in ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] {
        let _ = write!(o, "<th>{m}</th>");
    }
    o.push_str("<th>Year</th></tr>");
    for (y, row) in rows {
        let _ = write!(o, "<tr><td>{y}</td>");
        for m in &row.months {
            match m {
                Some(v) => {
                    let _ = write!(o, "<td style=\"background:{}\">{:.1}%</td>", svg::diverging(*v, scale), v * 100.0);
                }
                None => o.push_str("<td></td>"),
            }
        }
        let _ = write!(o, "<td class=\"{}\"><b>{:.1}%</b></td></tr>", signed_class(row.year), row.year * 100.0);
    }
    o.push_str("</table>");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(62052.7721), "62,052.77");
        assert_eq!(money(-1234567.891), "-1,234,567.89");
        assert_eq!(money(5.0), "5.00");
    }

    #[test]
    fn quantities_are_short() {
        assert_eq!(qty(2.1537798836958864), "2.15378");
        assert_eq!(qty(3.0), "3");
        assert_eq!(qty(0.5), "0.5");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(show(Some(&Value::String("<b>&".into())), Fmt::Count), "&lt;b&gt;&amp;");
        assert_eq!(show(None, Fmt::Pct), "n/a");
        assert_eq!(show(Some(&serde_json::json!(0.1234)), Fmt::Pct), "12.34%");
    }
}
