//! TA-Lib's C library, loaded at run time, so that the indicator benchmark times TA-Lib's own array functions on the
//! same arrays in the same run (nothing of TA-Lib is built or shipped with Strata).
//!
//! Where it comes from: `STRATA_TALIB_LIB` (a path to `libta-lib.so` or `libta_lib.so`); else the system's
//! `libta-lib.so.0` / `libta_lib.so.0`; else the C library bundled in the `TA-Lib` Python wheel, found through
//! `python3` (`STRATA_TALIB_PYTHON` names another interpreter). Without any of them the benchmark says so and
//! prints TA-Lib's figures measured earlier on this machine instead.

use std::ffi::{CString, c_char, c_int, c_void};

unsafe extern "C" {
    fn dlopen(filename: *const c_char, flags: c_int) -> *mut c_void;
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}
const RTLD_NOW: c_int = 2;

type Out = *mut c_int;
type Single = unsafe extern "C" fn(c_int, c_int, *const f64, c_int, Out, Out, *mut f64) -> c_int;
type Atr = unsafe extern "C" fn(c_int, c_int, *const f64, *const f64, *const f64, c_int, Out, Out, *mut f64) -> c_int;
type Bbands = unsafe extern "C" fn(
    c_int,
    c_int,
    *const f64,
    c_int,
    f64,
    f64,
    c_int,
    Out,
    Out,
    *mut f64,
    *mut f64,
    *mut f64,
) -> c_int;
type Macd = unsafe extern "C" fn(
    c_int,
    c_int,
    *const f64,
    c_int,
    c_int,
    c_int,
    Out,
    Out,
    *mut f64,
    *mut f64,
    *mut f64,
) -> c_int;

/// TA-Lib's array functions for the six benchmarked indicators.
pub struct TaLib {
    pub source: String,
    sma: Single,
    ema: Single,
    rsi: Single,
    atr: Atr,
    bbands: Bbands,
    macd: Macd,
}

/// TA-Lib writes a function's `count` values from `out[0]` on for the bars from `begin` on: this moves them under
/// their bars, NaN before (outside the timed call).
pub fn align(out: &mut [f64], (begin, count): (c_int, c_int)) {
    let (begin, count) = (begin as usize, count as usize);
    out.copy_within(0..count, begin);
    out[..begin].fill(f64::NAN);
}

impl TaLib {
    pub fn load() -> Option<TaLib> {
        let mut candidates: Vec<String> = std::env::var("STRATA_TALIB_LIB").into_iter().collect();
        candidates.extend(["libta-lib.so.0", "libta_lib.so.0", "libta-lib.so", "libta_lib.so"].map(String::from));
        let python = std::env::var("STRATA_TALIB_PYTHON").unwrap_or_else(|_| "python3".into());
        let find = "import glob, os, talib; d = os.path.dirname(talib.__file__); \
                    print(sorted(glob.glob(os.path.join(d, '..', 'ta_lib.libs', 'libta*')))[0])";
        if let Ok(o) = std::process::Command::new(python).args(["-c", find]).output() {
            candidates.extend(String::from_utf8_lossy(&o.stdout).lines().map(String::from));
        }
        candidates.into_iter().find_map(|path| Self::open(&path))
    }

    fn open(path: &str) -> Option<TaLib> {
        let name = CString::new(path).ok()?;
        // SAFETY: dlopen/dlsym with NUL-terminated names; each symbol is cast to TA-Lib's documented C signature
        // (ta_func.h), and TA_Initialize is called before any function.
        unsafe {
            let handle = dlopen(name.as_ptr(), RTLD_NOW);
            if handle.is_null() {
                return None;
            }
            let sym = |s: &str| {
                let s = CString::new(s).ok()?;
                let p = dlsym(handle, s.as_ptr());
                (!p.is_null()).then_some(p)
            };
            let init: unsafe extern "C" fn() -> c_int = std::mem::transmute(sym("TA_Initialize")?);
            if init() != 0 {
                return None;
            }
            Some(TaLib {
                source: path.to_string(),
                sma: std::mem::transmute::<*mut c_void, Single>(sym("TA_SMA")?),
                ema: std::mem::transmute::<*mut c_void, Single>(sym("TA_EMA")?),
                rsi: std::mem::transmute::<*mut c_void, Single>(sym("TA_RSI")?),
                atr: std::mem::transmute::<*mut c_void, Atr>(sym("TA_ATR")?),
                bbands: std::mem::transmute::<*mut c_void, Bbands>(sym("TA_BBANDS")?),
                macd: std::mem::transmute::<*mut c_void, Macd>(sym("TA_MACD")?),
            })
        }
    }

    /// Each call returns TA-Lib's `(begin, count)` for [`align`].
    fn single(f: Single, x: &[f64], n: c_int, out: &mut [f64]) -> (c_int, c_int) {
        let (mut b, mut c) = (0, 0);
        let last = x.len() as c_int - 1;
        // SAFETY: `out` holds `x.len()` values, TA-Lib writes at most that many.
        let rc = unsafe { f(0, last, x.as_ptr(), n, &mut b, &mut c, out.as_mut_ptr()) };
        assert_eq!(rc, 0, "TA-Lib returned {rc}");
        (b, c)
    }

    pub fn sma(&self, x: &[f64], n: c_int, out: &mut [f64]) -> (c_int, c_int) {
        Self::single(self.sma, x, n, out)
    }

    pub fn ema(&self, x: &[f64], n: c_int, out: &mut [f64]) -> (c_int, c_int) {
        Self::single(self.ema, x, n, out)
    }

    pub fn rsi(&self, x: &[f64], n: c_int, out: &mut [f64]) -> (c_int, c_int) {
        Self::single(self.rsi, x, n, out)
    }

    pub fn atr(&self, h: &[f64], l: &[f64], c: &[f64], n: c_int, out: &mut [f64]) -> (c_int, c_int) {
        let (mut b, mut k) = (0, 0);
        let last = c.len() as c_int - 1;
        // SAFETY: as in `single`, with three inputs of the same length.
        let rc =
            unsafe { (self.atr)(0, last, h.as_ptr(), l.as_ptr(), c.as_ptr(), n, &mut b, &mut k, out.as_mut_ptr()) };
        assert_eq!(rc, 0, "TA-Lib returned {rc}");
        (b, k)
    }

    /// BBANDS over an SMA (TA-Lib's MA type 0).
    pub fn bbands(&self, x: &[f64], n: c_int, k: f64, outs: [&mut [f64]; 3]) -> (c_int, c_int) {
        let (mut b, mut c) = (0, 0);
        let last = x.len() as c_int - 1;
        let [u, m, l] = outs;
        // SAFETY: as in `single`, with three outputs of the input's length.
        let rc = unsafe {
            (self.bbands)(
                0,
                last,
                x.as_ptr(),
                n,
                k,
                k,
                0,
                &mut b,
                &mut c,
                u.as_mut_ptr(),
                m.as_mut_ptr(),
                l.as_mut_ptr(),
            )
        };
        assert_eq!(rc, 0, "TA-Lib returned {rc}");
        (b, c)
    }

    pub fn macd(&self, x: &[f64], f: c_int, s: c_int, g: c_int, outs: [&mut [f64]; 3]) -> (c_int, c_int) {
        let (mut b, mut c) = (0, 0);
        let last = x.len() as c_int - 1;
        let [m, sg, h] = outs;
        // SAFETY: as in `bbands`.
        let rc = unsafe {
            (self.macd)(0, last, x.as_ptr(), f, s, g, &mut b, &mut c, m.as_mut_ptr(), sg.as_mut_ptr(), h.as_mut_ptr())
        };
        assert_eq!(rc, 0, "TA-Lib returned {rc}");
        (b, c)
    }
}

/// The largest relative difference between two outputs where both are defined (absolute near zero), and whether
/// they are defined on exactly the same bars.
pub fn compare(ours: &[f64], theirs: &[f64]) -> (f64, bool) {
    let mut worst = 0.0f64;
    let mut same_bars = true;
    for (&a, &b) in ours.iter().zip(theirs) {
        match (a.is_nan(), b.is_nan()) {
            (false, false) => worst = worst.max((a - b).abs() / b.abs().max(1.0)),
            (true, true) => {}
            _ => same_bars = false,
        }
    }
    (worst, same_bars)
}
