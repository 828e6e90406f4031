//! The `timeline` command: a thin layer over the library. See `timeline --help`.

use std::process::ExitCode;

use clap::Parser;

mod cli;

/// mimalloc instead of glibc's malloc: extraction makes many small, short-lived allocations
/// (tokens, spans, candidate lists) on every worker thread, and glibc's arenas spent about 7%
/// of extraction time in malloc and free.
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
