//! `bulwark policy`: evaluate configuration against policies.
//!
//! `policy pss` exits with 0 when every pod and pod template is allowed and
//! with 1 when at least one is denied. It exits with 2, even if objects were
//! denied, when a file could not be read or parsed or an object has a field
//! of the wrong type.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use bulwark_pss::report::{Format, ParseError, Report, Status};
use bulwark_pss::{Level, Version};

use crate::{EXIT_ERROR, EXIT_OK};

/// Exit status when at least one object is denied.
const EXIT_DENIED: u8 = 1;

#[derive(clap::Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(clap::Subcommand)]
enum PolicyCommand {
    /// Evaluate pods and workload pod templates against the Kubernetes Pod
    /// Security Standards, as the Pod Security admission controller does.
    Pss(PssArgs),
    /// Run Rego unit tests: every `test_*` rule of the `.rego` files under
    /// the directories, reported like `opa test`.
    Test(TestArgs),
}

#[derive(clap::Args)]
struct TestArgs {
    /// Directories (or files) holding policies and their `*_test.rego`
    /// files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,

    /// Output format: table or json.
    #[arg(short, long, default_value = "table")]
    format: String,
}

#[derive(clap::Args)]
struct PssArgs {
    /// Pod Security Standards level to enforce.
    #[arg(long, value_enum)]
    level: LevelArg,

    /// Policy version: v1.N for the policy of Kubernetes 1.N, or latest.
    /// Versions newer than the newest known policy evaluate as it.
    #[arg(long, default_value = "latest", value_parser = parse_version)]
    version: Version,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,

    /// Manifest files: YAML (multiple documents allowed) or, for names ending
    /// in .json, JSON. `-` reads YAML from stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LevelArg {
    /// No restrictions: every pod is allowed.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Baseline plus current pod hardening practice.
    Restricted,
}

impl From<LevelArg> for Level {
    fn from(level: LevelArg) -> Self {
        match level {
            LevelArg::Privileged => Level::Privileged,
            LevelArg::Baseline => Level::Baseline,
            LevelArg::Restricted => Level::Restricted,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    /// One line per object and one per failed control.
    Table,
    /// One JSON document with every object in input order.
    Json,
}

fn parse_version(text: &str) -> Result<Version, bulwark_pss::Error> {
    Version::parse(text)
}

pub(crate) fn run(args: &PolicyArgs) -> anyhow::Result<u8> {
    match &args.command {
        PolicyCommand::Pss(args) => run_pss(args),
        PolicyCommand::Test(args) => run_tests(args),
    }
}

/// Runs the Rego unit tests. Exits with 0 when every test passed, 1 when a
/// test failed or raised an error, and 2 when a module did not load or no
/// test was found.
fn run_tests(args: &TestArgs) -> anyhow::Result<u8> {
    if !matches!(args.format.as_str(), "table" | "json") {
        anyhow::bail!("unknown format {:?}: expected table or json", args.format);
    }
    for path in &args.paths {
        if !path.exists() {
            anyhow::bail!("{}: no such file or directory", path.display());
        }
    }
    let report = bulwark_policy::run_tests(&args.paths);
    let text = if args.format == "json" {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        text
    } else {
        report.to_string()
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    if !report.load_errors.is_empty() || report.results.is_empty() {
        if report.results.is_empty() {
            tracing::error!("no test_* rules found");
        }
        return Ok(EXIT_ERROR);
    }
    Ok(if report.is_success() {
        EXIT_OK
    } else {
        EXIT_DENIED
    })
}

fn run_pss(args: &PssArgs) -> anyhow::Result<u8> {
    let mut report = Report::new(args.level.into(), args.version);
    for path in &args.files {
        let name = path.display().to_string();
        tracing::debug!(file = %name, "evaluating manifest");
        match read_manifest(path) {
            Ok(text) => report.add_manifest(&name, &text, Format::from_file_name(&name)),
            Err(message) => report.add_file_error(
                &name,
                ParseError {
                    message,
                    line: None,
                    column: None,
                },
            ),
        }
    }

    let mut stderr = std::io::stderr().lock();
    for error in &report.errors {
        let position = match (error.error.line, error.error.column) {
            (Some(line), Some(column)) => format!(":{line}:{column}"),
            _ => String::new(),
        };
        writeln!(
            stderr,
            "bulwark: error: {}{position}: {}",
            error.file, error.error.message
        )?;
    }
    for object in report.objects.iter().filter(|o| o.status == Status::Error) {
        let message = object.message.as_deref().unwrap_or_default();
        writeln!(stderr, "bulwark: error: {}: {message}", object.location())?;
    }

    let output = match args.format {
        OutputFormat::Table => report.to_table(),
        OutputFormat::Json => report.to_json(),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(output.as_bytes())?;
    stdout.flush()?;

    Ok(if report.has_errors() {
        EXIT_ERROR
    } else if report.has_denied() {
        EXIT_DENIED
    } else {
        EXIT_OK
    })
}

/// Reads a manifest file, or stdin for `-`, as UTF-8 text.
/// Largest manifest file `policy pss` reads.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

fn read_manifest(path: &Path) -> Result<String, String> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        // A FIFO or a device could block or never end, so only regular
        // files (symbolic links followed, since the user named the path)
        // are read, and at most MAX_MANIFEST_BYTES of them.
        let metadata =
            std::fs::metadata(path).map_err(|error| format!("failed to read the file: {error}"))?;
        if !metadata.is_file() {
            return Err("not a regular file (a directory, FIFO or device)".to_owned());
        }
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_MANIFEST_BYTES + 1).read_to_end(&mut bytes))
            .map(|_| ())
    };
    read.map_err(|error| format!("failed to read the file: {error}"))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(format!(
            "larger than {MAX_MANIFEST_BYTES} bytes, the limit for one manifest file"
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        format!(
            "invalid UTF-8 at byte {}: expected a YAML or JSON text file",
            error.utf8_error().valid_up_to()
        )
    })
}
