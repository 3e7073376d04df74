//! The `strata` command. See `strata --help`.

// mimalloc keeps freed pages for reuse; the system allocator returns large blocks to the kernel on free, so every
// chunk of Parquet decoded or encoded would be fresh memory the kernel must zero first (~10 % of `strata ta`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set(mi_option_t, long)`.
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
    /// The C library's `prctl(2)`.
    #[cfg(target_os = "linux")]
    fn prctl(option: std::os::raw::c_int, ...) -> std::os::raw::c_int;
}

/// `PR_SET_THP_DISABLE` in `<linux/prctl.h>`.
#[cfg(target_os = "linux")]
const PR_SET_THP_DISABLE: std::os::raw::c_int = 41;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (v2 and v3 alike): how long freed memory waits before it is
/// handed back to the kernel.
const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;

fn main() -> std::process::ExitCode {
    // Never hand freed memory back: by default mimalloc returns it after 10 ms, and a run that reads many files (a
    // universe of 100 symbols) then pays the kernel to clear the same pages again for every file — over a second of
    // system time in `cargo bench --bench universe`, against 0.3 s with this.
    // SAFETY: a plain call into the allocator linked above, with an option it defines and a value it documents
    // (-1: never purge); it only changes a setting mimalloc reads on later frees.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    // No transparent huge pages: mimalloc asks for them, and a kernel whose memory is fragmented then compacts it
    // on the page fault, synchronously — seconds of system time in a run that reads a few hundred megabytes (a
    // 100-symbol universe: 0.9 s most runs, 3–4.6 s in four of ten; without huge pages 1.0–1.05 s in ten of ten).
    // SAFETY: prctl with PR_SET_THP_DISABLE and the documented arguments (1, then zeros) only sets a flag on this
    // process; an error (an old kernel) leaves things as they were, which is fine.
    #[cfg(target_os = "linux")]
    unsafe {
        prctl(
            PR_SET_THP_DISABLE,
            1 as std::os::raw::c_ulong,
            0 as std::os::raw::c_ulong,
            0 as std::os::raw::c_ulong,
            0 as std::os::raw::c_ulong,
        )
    };
    strata::cli::main()
}
