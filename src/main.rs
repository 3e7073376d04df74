//! The `strata` command. See `strata --help`.

// mimalloc keeps freed pages for reuse; the system allocator returns large blocks to the kernel on free, so every
// chunk of Parquet decoded or encoded would be fresh memory the kernel must zero first (~10 % of `strata ta`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's `mi_option_set(mi_option_t, long)`.
    fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
}

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
    strata::cli::main()
}
