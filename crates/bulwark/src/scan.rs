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
use bulwark_inventory::{AnalyzerSet, Inventory};
use bulwark_match::policy::{Config, Date};
use bulwark_match::report::{self, Format};
use bulwark_match::vex::VexDocument;
use bulwark_match::{Note, Report, RuleFinding, SeverityLevel, Summary};
use bulwark_vulndb::{Database, paths};

use crate::misconfig;
use crate::sbom::{ImageArgs, OpenedTarget, open_target};
use crate::secrets::{self, SecretHandler, SecretResults};
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
    /// Check configuration files for misconfigurations: Dockerfiles,
    /// Kubernetes manifests, Compose files, Terraform and CloudFormation.
    Config(ConfigScanArgs),
}

#[derive(clap::Args)]
struct ConfigScanArgs {
    /// Directory or file to check.
    path: PathBuf,

    /// Output format: table, json or sarif.
    #[arg(short, long, default_value = "table", env = "BULWARK_FORMAT")]
    format: String,

    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "BULWARK_OUTPUT")]
    output: Option<PathBuf>,

    /// Exit 1 when a finding is at or above this severity: low, medium,
    /// high or critical [default: any finding fails].
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    fail_on: Option<SeverityLevel>,

    /// Exit 0 even when findings are reported (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,

    /// Report only these severities, comma-separated (for example
    /// high,critical).
    #[arg(long, value_name = "LEVELS", value_delimiter = ',', value_parser = parse_level)]
    severity: Vec<SeverityLevel>,

    /// Directory of Rego checks (with `# METADATA` annotations) to run
    /// next to the built-in checks; repeat for several.
    #[arg(long, value_name = "DIR")]
    policy: Vec<PathBuf>,

    /// Policy file with exceptions [default: .bulwark.yaml when present].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl ConfigScanArgs {
    /// Returns the scan options these arguments stand for: the misconfig
    /// scanner alone, without a database or VEX.
    fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            format: self.format.clone(),
            output: self.output.clone(),
            cache_dir: None,
            fail_on: self.fail_on,
            exit_zero: self.exit_zero,
            severity: self.severity.clone(),
            ignore_unfixed: false,
            fail_on_kev: false,
            scanners: Some(vec!["misconfig".to_owned()]),
            secret_config: None,
            scan_archives: false,
            policy: self.policy.clone(),
            config: self.config.clone(),
            vex: Vec::new(),
        }
    }
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

    /// Scanners to run, comma-separated: vuln, secret, misconfig
    /// [default: vuln,secret for images and directories, vuln for SBOMs].
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        env = "BULWARK_SCANNERS"
    )]
    scanners: Option<Vec<String>>,

    /// Secret-scanning config: custom rules, disabled rules, allow-lists
    /// and stop-words.
    #[arg(long, value_name = "FILE", env = "BULWARK_SECRET_CONFIG")]
    secret_config: Option<PathBuf>,

    /// Also scan text files inside zip, jar, war and ear archives for
    /// secrets.
    #[arg(long)]
    scan_archives: bool,

    /// Directory of Rego checks (with `# METADATA` annotations) to run
    /// next to the built-in misconfiguration checks; repeat for several.
    #[arg(long, value_name = "DIR")]
    policy: Vec<PathBuf>,

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
    let config_options;
    let options = match &args.command {
        ScanCommand::Image(a) => &a.options,
        ScanCommand::Fs(a) => &a.options,
        ScanCommand::Sbom(a) => &a.options,
        ScanCommand::Config(a) => {
            config_options = a.scan_options();
            &config_options
        }
    };
    let scanners = Scanners::resolve(&args.command, options.scanners.as_deref())?;
    let Some(format) = Format::parse(&options.format) else {
        bail!(
            "unknown format {:?}: expected {}",
            options.format,
            Format::NAMES
        );
    };
    let policy = load_policy(options)?;
    let secret_scanner = if scanners.secret {
        Some(build_secret_scanner(options)?)
    } else {
        None
    };
    let policies = if scanners.misconfig {
        Some(misconfig::load_policies(&options.policy)?)
    } else {
        None
    };
    let db = if scanners.vuln {
        Some(open_database(options.cache_dir.as_deref())?)
    } else {
        None
    };
    let unknown_rule_notes =
        unknown_exception_rules(&policy.config, secret_scanner.as_ref(), policies.as_ref());
    if let ScanCommand::Config(a) = &args.command {
        let policies = policies
            .as_ref()
            .expect("scan config always runs the misconfig scanner");
        return scan_config(a, format, options, policies, &policy, unknown_rule_notes);
    }

    let mut collected = match &args.command {
        ScanCommand::Image(a) => {
            collect_target(&a.target, &a.image, scanners, secret_scanner.as_ref())?
        }
        ScanCommand::Fs(a) => {
            if !a.path.is_dir() {
                bail!("{}: not a directory", a.path.display());
            }
            let target = format!("dir:{}", a.path.display());
            collect_target(&target, &a.image, scanners, secret_scanner.as_ref())?
        }
        ScanCommand::Sbom(a) => Collected {
            inventory: bulwark_match::sbom::read_sbom(&a.file)?,
            secrets: None,
            image_config: None,
            image_configs: Vec::new(),
        },
        ScanCommand::Config(_) => unreachable!("handled above"),
    };
    let inventory = &collected.inventory;
    let mut report = match &db {
        Some(db) => bulwark_match::match_inventory(db, inventory)
            .with_context(|| format!("failed to read the database {}", db.path().display()))?,
        None => bulwark_match::unmatched_report(inventory),
    };
    report.scanners = scanners.names();
    report.notes.extend(unknown_rule_notes);
    add_inventory_warnings(&mut report, inventory);
    if let Some(secrets) = collected.secrets {
        add_rule_findings(&mut report, secrets.findings, &secrets.warnings);
    }
    if let Some(policies) = &policies {
        let findings = match (&args.command, &collected.image_config) {
            (ScanCommand::Fs(a), _) => {
                let results = misconfig::scan_path(policies, &a.path, policy.today);
                report.errors.extend(results.errors);
                results.findings
            }
            (_, Some(config)) => {
                let mut findings = misconfig::scan_image_config(policies, config, policy.today);
                let results = misconfig::scan_files(
                    policies,
                    std::mem::take(&mut collected.image_configs),
                    policy.today,
                );
                report.errors.extend(results.errors);
                findings.extend(results.findings);
                findings
            }
            _ => Vec::new(),
        };
        add_rule_findings(&mut report, findings, &[]);
    }
    bulwark_match::policy::apply_policy(&mut report, &policy.config, &policy.vex, policy.today);
    apply_filters(&mut report, options);
    write_report(format, &report, options.output.as_deref())?;
    Ok(exit_code(&report, options))
}

/// Renders the report to `--output` or stdout, then repeats its errors and
/// notes on stderr, so that a CI log shows them even when the report goes
/// to a file.
fn write_report(format: Format, report: &Report, output: Option<&Path>) -> anyhow::Result<()> {
    let text = report::render(format, report)?;
    match output {
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
    for note in &report.notes {
        tracing::warn!(code = %note.code, "{}", note.message);
    }
    Ok(())
}

/// Runs `bulwark scan config`: the misconfiguration checks on the
/// configuration files under a path.
fn scan_config(
    args: &ConfigScanArgs,
    format: Format,
    options: &ScanOptions,
    policies: &bulwark_policy::PolicySet,
    policy: &Policy,
    notes: Vec<Note>,
) -> anyhow::Result<u8> {
    if matches!(format, Format::CycloneDx | Format::OpenVex) {
        bail!(
            "scan config reports misconfigurations, which {} documents cannot carry; use table, json or sarif",
            options.format
        );
    }
    if !args.path.exists() {
        bail!("{}: no such file or directory", args.path.display());
    }
    let mut report = Report::new(bulwark_match::TargetInfo {
        name: args.path.display().to_string(),
        kind: "config".to_owned(),
        ..bulwark_match::TargetInfo::default()
    });
    report.scanners = vec!["misconfig".to_owned()];
    report.notes.extend(notes);
    let results = misconfig::scan_path(policies, &args.path, policy.today);
    tracing::info!(
        files = results.files,
        findings = results.findings.len(),
        "checked configuration files"
    );
    if results.files == 0 && results.errors.is_empty() {
        // An empty result must not read as a clean one: say that nothing
        // was checked (Helm chart templates, for one, are skipped).
        report.notes.push(Note {
            code: "no-config-files".to_owned(),
            message: format!(
                "{}: no Dockerfile, Kubernetes, Compose, Terraform or CloudFormation file found (Helm templates are skipped; render them with `helm template` first)",
                args.path.display()
            ),
        });
    }
    report.errors.extend(results.errors);
    add_rule_findings(&mut report, results.findings, &[]);
    bulwark_match::policy::apply_policy(&mut report, &policy.config, &policy.vex, policy.today);
    apply_filters(&mut report, options);
    write_report(format, &report, options.output.as_deref())?;
    Ok(exit_code(&report, options))
}

/// Returns a note for each `rule:` exception whose id none of the rules
/// that run has, so that a misspelled id does not silently leave findings
/// unsuppressed. Ids of a scanner that does not run are not checked.
fn unknown_exception_rules(
    config: &Config,
    secret_scanner: Option<&bulwark_secrets::Scanner>,
    policies: Option<&bulwark_policy::PolicySet>,
) -> Vec<Note> {
    let mut notes = Vec::new();
    for exception in &config.exceptions {
        let bulwark_match::policy::ExceptionTarget::Rule(id) = &exception.target else {
            continue;
        };
        let lower = id.to_ascii_lowercase();
        let known = if lower.starts_with("secret-") {
            secret_scanner.is_none_or(|scanner| {
                scanner
                    .rule_ids()
                    .iter()
                    .any(|rule| rule.eq_ignore_ascii_case(id))
            })
        } else if lower.starts_with("misconfig-") {
            policies.is_none_or(|set| {
                set.catalogue()
                    .iter()
                    .any(|check| check.id.eq_ignore_ascii_case(id))
            })
        } else {
            false
        };
        if !known {
            let message = format!(
                "{} {}: no rule has the id {id:?}, so it suppresses nothing; `bulwark rules list` lists the ids",
                config.display_path(),
                exception.label()
            );
            notes.push(Note {
                code: "exception-unknown-rule".to_owned(),
                message,
            });
        }
    }
    notes
}

/// The scanners a scan runs.
#[derive(Debug, Clone, Copy, Default)]
struct Scanners {
    vuln: bool,
    secret: bool,
    misconfig: bool,
}

impl Scanners {
    /// Returns the names of the scanners that run, in a fixed order.
    fn names(self) -> Vec<String> {
        [
            (self.vuln, "vuln"),
            (self.secret, "secret"),
            (self.misconfig, "misconfig"),
        ]
        .into_iter()
        .filter(|(runs, _)| *runs)
        .map(|(_, name)| name.to_owned())
        .collect()
    }

    /// Parses `--scanners`, or picks the default for the subcommand.
    fn resolve(command: &ScanCommand, requested: Option<&[String]>) -> anyhow::Result<Self> {
        let is_sbom = matches!(command, ScanCommand::Sbom(_));
        let is_config = matches!(command, ScanCommand::Config(_));
        let Some(requested) = requested else {
            return Ok(Self {
                vuln: !is_config,
                secret: !is_sbom && !is_config,
                misconfig: is_config,
            });
        };
        let mut scanners = Self::default();
        for name in requested {
            match name.trim() {
                "misconfig" if is_sbom => bail!(
                    "the misconfig scanner reads files, and an SBOM has none; use --scanners vuln"
                ),
                "misconfig" => scanners.misconfig = true,
                "vuln" | "secret" if is_config => bail!(
                    "scan config runs only the misconfig scanner; use scan fs --scanners {} for the others",
                    name.trim()
                ),
                "vuln" => scanners.vuln = true,
                "secret" if is_sbom => bail!(
                    "the secret scanner reads files, and an SBOM has none; use --scanners vuln"
                ),
                "secret" => scanners.secret = true,
                other => bail!("unknown scanner {other:?}: expected vuln, secret or misconfig"),
            }
        }
        if !scanners.vuln && !scanners.secret && !scanners.misconfig {
            bail!("--scanners is empty: name at least one of vuln, secret or misconfig");
        }
        Ok(scanners)
    }
}

/// The inventory of a target and, when the secret scanner ran, its
/// findings.
struct Collected {
    inventory: Inventory,
    secrets: Option<SecretResults>,
    /// The config document of an image target.
    image_config: Option<serde_json::Value>,
    /// Configuration files in an image's final filesystem, when the
    /// misconfig scanner runs.
    image_configs: Vec<misconfig::ConfigFile>,
}

/// Opens a target and reads it once: the package analyzers and, when
/// given, the secret scanner see each file in the same pass.
fn collect_target(
    target_text: &str,
    image_args: &ImageArgs,
    scanners: Scanners,
    secret_scanner: Option<&bulwark_secrets::Scanner>,
) -> anyhow::Result<Collected> {
    // Without the vulnerability scanner no package is needed, so no
    // analyzer reads files: a secret-only scan reads only what the secret
    // scanner wants.
    let analyzers = if scanners.vuln {
        AnalyzerSet::all()
    } else {
        AnalyzerSet::new(Vec::new())
    };
    let limits = image_args.limits();
    let opened = open_target(target_text, image_args)?;
    // Configuration files of a directory are found by the misconfig
    // scanner's own walk, which parses Terraform modules whole; in an image
    // they are read in the same pass as everything else.
    let handler = FileHandlers {
        secrets: secret_scanner.map(|scanner| SecretHandler { scanner }),
        configs: (scanners.misconfig && matches!(opened, OpenedTarget::Image(_)))
            .then_some(misconfig::ConfigFileHandler),
    };
    if handler.secrets.is_none() && handler.configs.is_none() {
        return Ok(match opened {
            OpenedTarget::Dir(path) => Collected {
                inventory: bulwark_inventory::inventory_directory(&path, &limits, &analyzers)?,
                secrets: None,
                image_config: None,
                image_configs: Vec::new(),
            },
            OpenedTarget::Image(image) => Collected {
                inventory: bulwark_inventory::inventory_image(&image, &limits, &analyzers),
                secrets: None,
                image_config: Some(image.config.clone()),
                image_configs: Vec::new(),
            },
        });
    }
    match opened {
        OpenedTarget::Dir(path) => {
            let (inventory, outputs) =
                bulwark_inventory::inventory_directory_with(&path, &limits, &analyzers, &handler)?;
            let (secret_outputs, _) = outputs.split(|(secrets, configs)| (secrets, configs));
            Ok(Collected {
                inventory,
                secrets: secret_scanner.map(|_| secrets::collect(secret_outputs, None)),
                image_config: None,
                image_configs: Vec::new(),
            })
        }
        OpenedTarget::Image(image) => {
            let (inventory, outputs) =
                bulwark_inventory::inventory_image_with(&image, &limits, &analyzers, &handler);
            let (secret_outputs, config_outputs) =
                outputs.split(|(secrets, configs)| (secrets, configs));
            let layers: Vec<Option<String>> = image
                .layers
                .iter()
                .map(|layer| layer.diff_id.as_ref().map(ToString::to_string))
                .collect();
            let secrets = secret_scanner.map(|scanner| {
                let mut secrets = secrets::collect(secret_outputs, Some(&layers));
                secrets
                    .findings
                    .extend(secrets::scan_image_config(scanner, &image));
                secrets
            });
            Ok(Collected {
                inventory,
                secrets,
                image_config: Some(image.config.clone()),
                image_configs: misconfig::final_config_files(config_outputs),
            })
        }
    }
}

/// The secret scanner and the configuration-file reader, run as one
/// handler in the pass over the target's files.
struct FileHandlers<'a> {
    secrets: Option<SecretHandler<'a>>,
    configs: Option<misconfig::ConfigFileHandler>,
}

impl bulwark_image::FileHandler for FileHandlers<'_> {
    type Output = (
        Option<bulwark_secrets::FileScan>,
        Option<misconfig::ConfigFile>,
    );

    fn wants(&self, info: &bulwark_image::EntryInfo<'_>) -> bool {
        self.secrets.as_ref().is_some_and(|h| h.wants(info))
            || self.configs.as_ref().is_some_and(|h| h.wants(info))
    }

    fn handle(&self, info: &bulwark_image::EntryInfo<'_>, data: &[u8]) -> Option<Self::Output> {
        let secrets = self
            .secrets
            .as_ref()
            .filter(|h| h.wants(info))
            .and_then(|h| h.handle(info, data));
        let configs = self
            .configs
            .as_ref()
            .filter(|h| h.wants(info))
            .and_then(|h| h.handle(info, data));
        (secrets.is_some() || configs.is_some()).then_some((secrets, configs))
    }
}

/// Reads `--secret-config` and builds the secret scanner.
fn build_secret_scanner(options: &ScanOptions) -> anyhow::Result<bulwark_secrets::Scanner> {
    let mut config = match &options.secret_config {
        Some(path) => bulwark_secrets::SecretConfig::load(path)?,
        None => bulwark_secrets::SecretConfig::default(),
    };
    if options.scan_archives {
        config.archives.enabled = true;
    }
    Ok(bulwark_secrets::Scanner::new(&config)?)
}

/// Adds secret or misconfiguration findings, and the files their scanner
/// could not read whole, to the report.
fn add_rule_findings(report: &mut Report, findings: Vec<RuleFinding>, warnings: &[String]) {
    report.rule_findings.extend(findings);
    if report.rule_summary.is_none() {
        report.rule_summary = Some(bulwark_match::RuleSummary::default());
    }
    for warning in warnings {
        report.notes.push(Note {
            code: "secret-scan-skipped".to_owned(),
            message: warning.clone(),
        });
    }
    report.notes.sort();
    report.notes.dedup();
    report.settle_suppressions();
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

    // `--ignore-unfixed` is about vulnerabilities; a secret or a
    // misconfiguration has no fixed version.
    let keep_rule = |finding: &RuleFinding| {
        options.severity.is_empty() || options.severity.contains(&finding.severity)
    };
    report.rule_findings.retain(keep_rule);
    report.rule_suppressed.retain(keep_rule);
    if report.rule_summary.is_some() {
        report.rule_summary = Some(bulwark_match::RuleSummary::count(
            &report.rule_findings,
            &report.rule_suppressed,
        ));
    }
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
    }) || report
        .rule_findings
        .iter()
        .any(|finding| threshold.is_some_and(|level| finding.severity >= level));
    if failing { EXIT_FINDINGS } else { EXIT_OK }
}
