//! The `bulwark` command line.

mod db;
mod misconfig;
mod policy;
mod rules;
mod sbom;
mod scan;
mod secrets;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status when the command finished without problems.
const EXIT_OK: u8 = 0;
/// Exit status for errors, including a partial scan.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "bulwark",
    version,
    about = "Container security: inventory, scanning and policy in one tool."
)]
struct Cli {
    /// Log more detail to stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,

    /// Log only errors.
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List every package in an image or directory as an SBOM.
    Sbom(sbom::SbomArgs),
    /// Scan images, directories, SBOMs and configuration files for
    /// vulnerabilities, secrets and misconfigurations.
    #[command(subcommand_required = true)]
    Scan(scan::ScanArgs),
    /// Build, update and inspect the offline vulnerability database.
    #[command(subcommand_required = true)]
    Db(db::DbArgs),
    /// Evaluate configuration against policies: Pod Security Standards and Rego checks.
    #[command(subcommand_required = true)]
    Policy(policy::PolicyArgs),
    /// List and explain the built-in secret and misconfiguration rules.
    #[command(subcommand_required = true)]
    Rules(rules::RulesArgs),
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BULWARK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Sbom(args) => sbom::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Db(args) => db::run(&args),
        Command::Policy(args) => policy::run(&args),
        Command::Rules(args) => rules::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // A closed pipe (`bulwark sbom ... | head`) is not an error.
            if error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::from(EXIT_OK);
            }
            let _ = writeln!(std::io::stderr(), "bulwark: error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
