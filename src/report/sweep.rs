//! The report of a sweep: its settings, a heatmap of the ranking metric over a two-parameter grid, and the best
//! combinations.
//!
//! Design choice: the same offline, byte-stable page as a run's report (inline SVG, no script needed); the heatmap
//! puts the first axis down the side and the second across, coloured on a scale centred on the metric's median so
//! the good and the bad halves of the grid read at a glance.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use strata_runtime::sweep::run::{METRICS, metric_index};
use strata_runtime::sweep::{Manifest, Row};

use super::ReportError;
use super::svg::{diverging, esc};

/// Rows listed in the page; sweep.parquet has them all.
pub const TOP: usize = 50;

/// Writes `dir/report.html` for a sweep's results (rows sorted best first).
pub fn write(dir: &Path, manifest: &Manifest, rows: &[Row]) -> Result<PathBuf, ReportError> {
    let path = dir.join("report.html");
    let staging = dir.join(".report.html.partial");
    std::fs::write(&staging, render(manifest, rows))
        .map_err(|source| ReportError::Write { path: staging.clone(), source })?;
    std::fs::rename(&staging, &path).map_err(|source| ReportError::Write { path: path.clone(), source })?;
    Ok(path)
}

fn axis_params(manifest: &Manifest) -> Vec<usize> {
    manifest
        .grid
        .iter()
        .filter_map(|g| g.split_once('=').and_then(|(n, _)| manifest.params.iter().position(|p| p == n.trim())))
        .collect()
}

/// The page.
pub fn render(manifest: &Manifest, rows: &[Row]) -> String {
    let sort = metric_index(&manifest.sort).unwrap_or(0);
    let axes = axis_params(manifest);
    let mut o = String::new();
    let title = format!("Sweep of {} on {}", manifest.strategy, manifest.data);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{}</style></head><body><main>",
        esc(&title),
        super::page::STYLE
    );
    let _ = write!(
        o,
        "<h1>{}</h1><div class=\"sub\">{} combinations · grid {}{} · ranked by {}</div>",
        esc(&title),
        rows.len(),
        esc(&manifest.grid.join(" ")),
        manifest.condition.as_ref().map_or(String::new(), |c| format!(" where {}", esc(c))),
        esc(&manifest.sort)
    );
    if let [a, b] = axes[..] {
        o.push_str(&heatmap(manifest, rows, a, b, sort));
    }
    let _ = write!(
        o,
        "<section><h2>Best {} combinations</h2><table class=\"list\" id=\"sweep-top\"><tr><th>#</th>",
        TOP.min(rows.len())
    );
    for &p in &axes {
        let _ = write!(o, "<th>{}</th>", esc(&manifest.params[p]));
    }
    for (m, _) in METRICS {
        let _ = write!(o, "<th>{m}</th>");
    }
    o.push_str("</tr>");
    for (rank, r) in rows.iter().take(TOP).enumerate() {
        let _ = write!(o, "<tr><td>{}</td>", rank + 1);
        for &p in &axes {
            let _ = write!(o, "<td>{}</td>", strata_runtime::fmt_num(r.params[p]));
        }
        for (k, (m, _)) in METRICS.iter().enumerate() {
            let _ = write!(o, "<td>{}</td>", super::metric(m, r.metrics[k]));
        }
        o.push_str("</tr>");
    }
    o.push_str("</table></section></main></body></html>\n");
    o
}

fn heatmap(manifest: &Manifest, rows: &[Row], a: usize, b: usize, m: usize) -> String {
    let mut ys: Vec<f64> = rows.iter().map(|r| r.params[a]).collect();
    let mut xs: Vec<f64> = rows.iter().map(|r| r.params[b]).collect();
    for v in [&mut ys, &mut xs] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let values: Vec<f64> = rows.iter().map(|r| r.metrics[m]).filter(|v| !v.is_nan()).collect();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let spread = sorted.iter().fold(0.0f64, |s, v| s.max((v - median).abs()));
    let lower_better = METRICS[m].1 == strata_runtime::sweep::run::Better::Lower;
    let (cw, ch, left, top) =
        ((720.0 / xs.len() as f64).clamp(8.0, 48.0), (420.0 / ys.len() as f64).clamp(8.0, 32.0), 60.0, 30.0);
    let (w, h) = (left + cw * xs.len() as f64 + 10.0, top + ch * ys.len() as f64 + 40.0);
    let mut s = format!(
        r#"<section><h2>{} by {} (down) and {} (across)</h2><svg id="sweep-heatmap" class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="Sweep heatmap">"#,
        esc(&manifest.sort),
        esc(&manifest.params[a]),
        esc(&manifest.params[b])
    );
    let every = |n: usize| (n / 16).max(1);
    for (j, x) in xs.iter().enumerate() {
        if j % every(xs.len()) == 0 {
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                left + (j as f64 + 0.5) * cw,
                top - 8.0,
                strata_runtime::fmt_num(*x)
            );
        }
    }
    for (i, y) in ys.iter().enumerate() {
        if i % every(ys.len()) == 0 {
            let _ = write!(
                s,
                r#"<text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                left - 6.0,
                top + (i as f64 + 0.5) * ch + 4.0,
                strata_runtime::fmt_num(*y)
            );
        }
    }
    for r in rows {
        let (Ok(i), Ok(j)) =
            (ys.binary_search_by(|v| v.total_cmp(&r.params[a])), xs.binary_search_by(|v| v.total_cmp(&r.params[b])))
        else {
            continue;
        };
        let v = r.metrics[m];
        let fill = if v.is_nan() {
            "#f0f1f4".to_string()
        } else {
            let d = v - median;
            diverging(if lower_better { -d } else { d }, spread)
        };
        let _ = write!(
            s,
            r#"<rect class="cell" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}"><title>{}={} {}={}: {} {}</title></rect>"#,
            left + j as f64 * cw,
            top + i as f64 * ch,
            cw - 1.0,
            ch - 1.0,
            esc(&manifest.params[a]),
            strata_runtime::fmt_num(r.params[a]),
            esc(&manifest.params[b]),
            strata_runtime::fmt_num(r.params[b]),
            esc(&manifest.sort),
            super::metric(&manifest.sort, v)
        );
    }
    s.push_str("</svg></section>");
    s
}
