//! The `timeline` command: a thin layer over the library. See `timeline --help`.

use std::process::ExitCode;

use clap::Parser;

mod cli;

/// mimalloc instead of glibc's malloc: extraction makes many small, short-lived allocations
/// (tokens, spans, candidate lists) on every worker thread, which glibc's arenas serve more
/// slowly (docs/performance.md: the share of extraction time malloc and free take with them).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
