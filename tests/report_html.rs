//! The HTML report (`strata backtest --report`, `strata report`): one self-contained page that works offline,
//! rendered byte-identically from a run directory, and — in a real headless Chromium — free of console output,
//! its script run, every chart drawn (elements present, and visible in a screenshot that is not blank).
//!
//! The browser checks need `chromium` (`.ci/run` installs Debian's and sets STRATA_REQUIRE_CHROMIUM=1, which makes
//! a missing browser a failure instead of a skip).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("which").arg(name).output()
            && o.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        }
    }
    assert!(std::env::var_os("STRATA_REQUIRE_CHROMIUM").is_none(), "STRATA_REQUIRE_CHROMIUM is set but no chromium");
    eprintln!("chromium not installed: browser checks skipped");
    None
}

/// Runs headless Chromium on `page` with `extra` args; returns (stdout, console lines from stderr).
fn browse(browser: &Path, page: &Path, extra: &[&str]) -> (String, Vec<String>) {
    let profile = tempdir();
    let o = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000"])
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    let console =
        String::from_utf8_lossy(&o.stderr).lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), console)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

fn run_report(dir: &Path) -> PathBuf {
    let rep = dir.join("rep");
    let o = strata(&["backtest", "strategies/sma_cross.strat", "--report", rep.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    rep
}

#[test]
fn report_is_self_contained_and_reproducible() {
    let dir = tempdir();
    let rep = run_report(dir.path());
    for f in ["report.html", "summary.json", "equity.parquet", "trades.parquet", "fills.parquet"] {
        assert!(rep.join(f).is_file(), "{f} written");
    }
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    // Nothing fetched: no external scripts, styles, images or fonts.
    for needle in ["src=\"http", "href=\"http", "url(http", "@import", "<link", "src=\"//"] {
        assert!(!html.contains(needle), "the page references something external: {needle}");
    }
    for id in [
        "id=\"metrics\"",
        "id=\"equity-chart\"",
        "id=\"trade-returns\"",
        "id=\"monthly-returns\"",
        "id=\"weekday-hour\"",
        "id=\"trade-list\"",
        "id=\"monte-carlo\"",
    ] {
        assert!(html.contains(id), "{id} present");
    }
    // 945 closed trades (the bundled run): one table row each, plus the header.
    let list = html.split("id=\"trade-list\"").nth(1).unwrap_or("");
    assert_eq!(count(list, "<tr><td>"), 945, "one row per trade");
    // The same run directory renders to the same bytes.
    let again = dir.path().join("again");
    let o = strata(&["report", rep.to_str().unwrap(), "--out", again.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(again.join("report.html")).unwrap(), html.as_bytes(), "byte-identical");
}

#[test]
fn report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else { return };
    let dir = tempdir();
    let rep = run_report(dir.path());
    let page = rep.join("report.html");

    // The check for console output works: a page that logs and throws is caught.
    let bad = dir.path().join("bad.html");
    std::fs::write(&bad, "<html><body><script>console.log('x'); throw new Error('boom');</script></body></html>")
        .unwrap();
    let (_, console) = browse(&browser, &bad, &["--dump-dom"]);
    assert!(console.iter().any(|l| l.contains("Uncaught Error: boom")), "console capture works: {console:?}");

    // The report: its DOM after the script ran, and no console output at all.
    let (dom, console) = browse(&browser, &page, &["--dump-dom"]);
    assert!(console.is_empty(), "console output: {console:?}");
    assert!(dom.contains("data-report-ready=\"yes\""), "the page's script ran to the end");
    let equity_path = dom.split("class=\"equity\" d=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or("");
    assert!(count(equity_path, "L") > 500, "the equity curve has its points");
    assert!(dom.contains("class=\"drawdown\" d=\"M"), "the drawdown is drawn");
    assert!(count(&dom, "class=\"bar\"") >= 5, "the histogram has bars");
    assert!(count(&dom, "class=\"cell\"") == 7 * 24, "minute bars fill every weekday × hour cell");
    assert!(dom.contains("<td>2022</td>"), "the monthly table has its year");

    // A screenshot: not blank, and each chart's colours are on it.
    let shot = dir.path().join("shot.png");
    browse(&browser, &page, &["--window-size=1100,2600", &format!("--screenshot={}", shot.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let pixels: Vec<[u8; 3]> = buf[..info.buffer_size()].chunks(px).map(|p| [p[0], p[1], p[2]]).collect();
    let near = |c: [u8; 3], t: [u8; 3]| c.iter().zip(t).all(|(a, b)| (*a as i32 - b as i32).abs() <= 24);
    let background = pixels.iter().filter(|p| near(**p, [0xf6, 0xf7, 0xf9]) || near(**p, [0xff, 0xff, 0xff])).count();
    assert!(background < pixels.len() * 97 / 100, "the screenshot is not blank");
    let blue = pixels.iter().filter(|p| near(**p, [0x2b, 0x5f, 0xb3])).count();
    let red = pixels.iter().filter(|p| near(**p, [0xd7, 0x30, 0x27])).count();
    let green = pixels.iter().filter(|p| near(**p, [0x1a, 0x98, 0x50])).count();
    assert!(blue > 800, "the equity line is visible ({blue} px)");
    assert!(red > 800, "the drawdown and losing trades are visible ({red} px)");
    assert!(green > 300, "the winning trades are visible ({green} px)");
}

#[test]
fn report_of_a_missing_or_broken_run_names_the_file() {
    let dir = tempdir();
    let o = strata(&["report", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("summary.json: not found"), "{}", stderr(&o));
    let rep = run_report(dir.path());
    std::fs::write(rep.join("trades.parquet"), b"not parquet").unwrap();
    let o = strata(&["report", rep.to_str().unwrap(), "--out", dir.path().join("x").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("trades.parquet: not a readable Parquet file"), "{}", stderr(&o));
    assert!(!dir.path().join("x/report.html").exists(), "nothing written on failure");
}
