//! Command-line interface: one file per subcommand, each a thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use timeline::config::{Config, LogFormat};

#[cfg(feature = "embedded")]
mod demo;
mod eval;
mod extract;
mod logging;
mod replay;
mod run;
mod runtime;

/// Extract dated events and their actors from news articles.
#[derive(Debug, Parser)]
#[command(name = "timeline", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (TOML) layered over the built-in defaults (see config/default.toml).
    #[arg(long, global = true, env = "TIMELINE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Log format (overrides `log.format`).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormat>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract timeline records from JSON-lines files or stdin.
    Extract(extract::Args),
    /// Run the stream service: articles from Kafka in, timeline records out.
    Run(run::Args),
    /// Replay a window of a topic (or a JSON-lines file) through the extractor.
    Replay(replay::Args),
    /// Score the extractor on gold data (TimeML time expressions, CoNLL-2003 actors).
    Eval(eval::Args),
}

/// Loads the configuration, sets up logging and runs the subcommand.
pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(f) = cli.log_format {
        config.log.format = f;
    }
    logging::init(&config.log);
    match cli.command {
        Command::Extract(args) => extract::main(args, &config),
        Command::Run(args) => run::main(args, &config),
        Command::Replay(args) => replay::main(args, &config),
        Command::Eval(args) => eval::main(args, &config),
    }
}
