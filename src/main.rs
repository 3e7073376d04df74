//! The `strata` command. See `strata --help`.

fn main() -> std::process::ExitCode {
    strata::cli::main()
}
