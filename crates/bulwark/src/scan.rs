//! `bulwark scan`: match a target's packages against the offline advisory
//! database and report what to fix first.
//!
//! Exit codes: 0 when no finding is at or above `--fail-on` (or with
//! `--exit-zero`); 1 when one is, or with `--fail-on-kev` when a finding is
//! known to be exploited; 2 for errors, including a partial scan and a
//! missing database.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bulwark_inventory::Inventory;
use bulwark_match::policy::{Config, Date};
use bulwark_match::report::{self, Format};
use bulwark_match::vex::VexDocument;
use bulwark_match::{Note, Report, SeverityLevel, Summary};
use bulwark_vulndb::{Database, paths};

use crate::sbom::{ImageArgs, inventory_target};
use crate::{EXIT_ERROR, EXIT_OK};

/// Exit status when a finding is at or above `--fail-on`.
const EXIT_FINDINGS: u8 = 1;

#[derive(clap::Args)]
pub(crate) struct ScanArgs {
    #[command(subcommand)]
    command: ScanCommand,
}

#[derive(clap::Subcommand)]
enum ScanCommand {
    /// Scan a container image: oci:DIR[:TAG], docker-archive:PATH,
    /// oci-archive:PATH or a registry reference.
    Image(ImageScanArgs),
    /// Scan a directory: lockfiles, manifests and installed packages.
    Fs(FsScanArgs),
    /// Scan the packages listed in a CycloneDX or SPDX JSON SBOM.
    Sbom(SbomScanArgs),
}

#[derive(clap::Args)]
struct ImageScanArgs {
    /// Image reference, as for `bulwark sbom`.
    target: String,

    #[command(flatten)]
    image: ImageArgs,

    #[command(flatten)]
    options: ScanOptions,
}

#[derive(clap::Args)]
struct FsScanArgs {
    /// Directory to scan.
    path: PathBuf,

    #[command(flatten)]
    image: ImageArgs,

    #[command(flatten)]
    options: ScanOptions,
}

#[derive(clap::Args)]
struct SbomScanArgs {
    /// CycloneDX 1.4 to 1.6 or SPDX 2.3 JSON file.
    file: PathBuf,

    #[command(flatten)]
    options: ScanOptions,
}

/// Options shared by every scan subcommand.
#[derive(clap::Args)]
struct ScanOptions {
    /// Output format: table, json, sarif, cyclonedx or openvex.
    #[arg(short, long, default_value = "table", env = "BULWARK_FORMAT")]
    format: String,

    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "BULWARK_OUTPUT")]
    output: Option<PathBuf>,

    /// Cache directory; the database is DIR/db/bulwark.db
    /// [default: $XDG_CACHE_HOME/bulwark or ~/.cache/bulwark].
    #[arg(long, value_name = "DIR", env = "BULWARK_CACHE_DIR")]
    cache_dir: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity: unknown, low,
    /// medium, high or critical [default: unknown, so any finding fails;
    /// with --fail-on-kev alone, only known-exploited findings fail].
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    fail_on: Option<SeverityLevel>,

    /// Exit 0 even when findings are reported (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,

    /// Report only these severities, comma-separated (for example
    /// high,critical).
    #[arg(long, value_name = "LEVELS", value_delimiter = ',', value_parser = parse_level)]
    severity: Vec<SeverityLevel>,

    /// Leave out findings that have no fixed version.
    #[arg(long)]
    ignore_unfixed: bool,

    /// Exit 1 when a finding is on the CISA KEV list, whatever its severity.
    #[arg(long)]
    fail_on_kev: bool,

    /// Scanners to run, comma-separated: vuln (secret and misconfig are
    /// not available yet).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "vuln"
    )]
    scanners: Vec<String>,

    /// Policy file with exceptions [default: .bulwark.yaml when present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// VEX document (OpenVEX or CycloneDX VEX) whose statements suppress
    /// findings; repeat for several.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
}

fn parse_level(text: &str) -> Result<SeverityLevel, String> {
    SeverityLevel::ALL
        .into_iter()
        .find(|level| level.as_str() == text.trim().to_ascii_lowercase())
        .ok_or_else(|| {
            format!("invalid severity {text:?}: expected unknown, low, medium, high or critical")
        })
}

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<u8> {
    let options = match &args.command {
        ScanCommand::Image(a) => &a.options,
        ScanCommand::Fs(a) => &a.options,
        ScanCommand::Sbom(a) => &a.options,
    };
    check_scanners(&options.scanners)?;
    let Some(format) = Format::parse(&options.format) else {
        bail!(
            "unknown format {:?}: expected {}",
            options.format,
            Format::NAMES
        );
    };
    let policy = load_policy(options)?;
    let db = open_database(options.cache_dir.as_deref())?;

    let inventory = match &args.command {
        ScanCommand::Image(a) => inventory_target(&a.target, &a.image)?,
        ScanCommand::Fs(a) => {
            if !a.path.is_dir() {
                bail!("{}: not a directory", a.path.display());
            }
            inventory_target(&format!("dir:{}", a.path.display()), &a.image)?
        }
        ScanCommand::Sbom(a) => bulwark_match::sbom::read_sbom(&a.file)?,
    };
    let mut report = bulwark_match::match_inventory(&db, &inventory)
        .with_context(|| format!("failed to read the database {}", db.path().display()))?;
    add_inventory_warnings(&mut report, &inventory);
    bulwark_match::policy::apply_policy(&mut report, &policy.config, &policy.vex, policy.today);
    apply_filters(&mut report, options);

    let text = report::render(format, &report)?;
    match &options.output {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("failed to write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    for error in &report.errors {
        tracing::error!("{error}");
    }
    // Notes say what the scan could not check (an unknown distribution
    // release, ecosystems without data); repeat them on stderr so that a
    // CI log shows them even when the report goes to a file.
    for note in &report.notes {
        tracing::warn!(code = %note.code, "{}", note.message);
    }
    Ok(exit_code(&report, options))
}

fn check_scanners(scanners: &[String]) -> anyhow::Result<()> {
    for scanner in scanners {
        match scanner.trim() {
            "vuln" => {}
            "secret" | "misconfig" => bail!(
                "the {scanner} scanner is not available yet; only vuln is (use --scanners vuln)"
            ),
            other => bail!("unknown scanner {other:?}: expected vuln, secret or misconfig"),
        }
    }
    Ok(())
}

/// The project configuration, the VEX documents and the date that decides
/// which exceptions are in force.
struct Policy {
    config: Config,
    vex: Vec<VexDocument>,
    today: Date,
}

/// Reads `--config` (else `.bulwark.yaml` in the working directory, when
/// present) and every `--vex` document. Any invalid file is an error, so an
/// exception or a VEX statement is never silently ignored.
fn load_policy(options: &ScanOptions) -> anyhow::Result<Policy> {
    let config = match &options.config {
        Some(path) => Config::load(path)?,
        None => Config::discover(Path::new("."))?,
    };
    let vex = options
        .vex
        .iter()
        .map(|path| VexDocument::load(path))
        .collect::<Result<Vec<_>, _>>()?;
    let today = Date::today()?;
    Ok(Policy { config, vex, today })
}

fn open_database(cache_dir: Option<&Path>) -> anyhow::Result<Database> {
    let dir = cache_dir.map_or_else(paths::default_cache_dir, Path::to_owned);
    match Database::open_in(&dir) {
        Ok(db) => Ok(db),
        Err(bulwark_vulndb::Error::Missing { path }) => bail!(
            "no vulnerability database at {}: run `bulwark db import --cache-dir {} FEED...` or `bulwark db update --cache-dir {}` first",
            path.display(),
            dir.display(),
            dir.display()
        ),
        Err(error) => Err(error).context(
            "failed to open the vulnerability database; rebuild it with `bulwark db import` or `bulwark db update`",
        ),
    }
}

/// Carries entries the inventory skipped into the report's notes.
fn add_inventory_warnings(report: &mut Report, inventory: &Inventory) {
    for warning in &inventory.warnings {
        report.notes.push(Note {
            code: "inventory-warning".to_owned(),
            message: warning.clone(),
        });
    }
    report.notes.sort();
    report.notes.dedup();
}

/// Applies `--severity` and `--ignore-unfixed`, then recounts.
fn apply_filters(report: &mut Report, options: &ScanOptions) {
    let keep = |finding: &bulwark_match::Finding| {
        (options.severity.is_empty() || options.severity.contains(&finding.severity.level))
            && (!options.ignore_unfixed || finding.has_fix())
    };
    report.findings.retain(keep);
    report.suppressed.retain(keep);
    report.summary = Summary::count(&report.findings, &report.suppressed);
}

fn exit_code(report: &Report, options: &ScanOptions) -> u8 {
    if !report.errors.is_empty() {
        return EXIT_ERROR;
    }
    if options.exit_zero {
        return EXIT_OK;
    }
    let threshold = match (options.fail_on, options.fail_on_kev) {
        (Some(level), _) => Some(level),
        (None, true) => None,
        (None, false) => Some(SeverityLevel::Unknown),
    };
    let failing = report.findings.iter().any(|finding| {
        threshold.is_some_and(|level| finding.severity.level >= level)
            || (options.fail_on_kev && finding.kev.is_some())
    });
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}
