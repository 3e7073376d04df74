//! The `strata` command. See `strata --help`.

// mimalloc keeps freed pages for reuse; the system allocator returns large blocks to the kernel on free, so every
// chunk of Parquet decoded or encoded would be fresh memory the kernel must zero first (~10 % of `strata ta`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    strata::cli::main()
}
