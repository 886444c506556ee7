//! `bulwark db`: build, update and inspect the offline vulnerability
//! database.
//!
//! Exit codes: 0 when the command did its work, with skipped records only
//! warned about; 1 when `db status --max-age` finds a feed older than the
//! limit; 2 for errors, including an import input or download that was not
//! imported at all.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use bulwark_version::{Scheme, compare};
use bulwark_vulndb::import::{self, ImportOptions, ImportReport, Input, Progress};
use bulwark_vulndb::update::{self, Outcome, UpdateOptions};
use bulwark_vulndb::{Database, feeds, paths};

use crate::{EXIT_ERROR, EXIT_OK};

/// Exit status of `db status` when a feed is older than `--max-age`.
const EXIT_STALE: u8 = 1;

#[derive(clap::Args)]
pub(crate) struct DbArgs {
    #[command(subcommand)]
    command: DbCommand,
}

#[derive(clap::Subcommand)]
enum DbCommand {
    /// Import feed files, directories or archives into the database.
    Import(ImportArgs),
    /// Download the public feeds and import the changed ones.
    Update(UpdateArgs),
    /// Show the database's feeds, their digests and ages.
    Status(StatusArgs),
    /// Compare version pairs read from stdin, one `A B` pair per line.
    CompareVersions(CompareArgs),
}

/// Options shared by every command that reads or writes the database.
#[derive(clap::Args)]
struct CacheArgs {
    /// Cache directory; the database is DIR/db/bulwark.db
    /// [default: $XDG_CACHE_HOME/bulwark or ~/.cache/bulwark].
    #[arg(long, value_name = "DIR", env = "BULWARK_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

impl CacheArgs {
    fn dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(paths::default_cache_dir)
    }
}

#[derive(clap::Args)]
struct ImportArgs {
    /// Feed files, directories, or .tar, .tar.gz and .zip archives. Each
    /// one becomes a feed named by its absolute path, replacing what the
    /// same path stored before.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,

    /// Convert every file with this converter instead of detecting the
    /// format: osv, alpine-secdb, kev, epss, or another listed in
    /// docs/vulndb.md.
    #[arg(long, value_name = "NAME")]
    format: Option<String>,

    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(clap::Args)]
struct UpdateArgs {
    /// Base URL serving every feed under its public path (see
    /// docs/db-mirror.md); plain http only for loopback hosts.
    #[arg(long, value_name = "URL", env = "BULWARK_DB_MIRROR")]
    mirror: Option<String>,

    /// OSV ecosystem to download, as OSV spells it (repeatable); each one
    /// named must be on the server [default: every ecosystem Bulwark can
    /// match, skipping those the server lacks].
    #[arg(long = "ecosystem", value_name = "NAME")]
    ecosystems: Vec<String>,

    /// Skip the CISA KEV catalog.
    #[arg(long)]
    no_kev: bool,

    /// Skip EPSS scores.
    #[arg(long)]
    no_epss: bool,

    /// Maximum size of one download, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    max_download_size: u64,

    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(clap::Args)]
struct StatusArgs {
    /// Warn and exit with status 1 when a feed was imported longer ago
    /// than this: a number with a unit s, m, h or d, such as 36h or 7d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_age: Option<Duration>,

    #[command(flatten)]
    cache: CacheArgs,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// OSV ecosystem whose version ordering to use, such as PyPI, Debian,
    /// Alpine or crates.io; a release suffix (Debian:12) is allowed.
    ecosystem: String,
}

pub(crate) fn run(args: &DbArgs) -> anyhow::Result<u8> {
    match &args.command {
        DbCommand::Import(args) => run_import(args),
        DbCommand::Update(args) => run_update(args),
        DbCommand::Status(args) => run_status(args),
        DbCommand::CompareVersions(args) => run_compare(args),
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg:40!} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Self { bar }
    }

    fn handle(&self, event: Progress) {
        let Some(bar) = &self.bar else {
            return;
        };
        match event {
            Progress::Reading { input, total } => {
                bar.set_message(file_name(&input));
                bar.set_position(0);
                bar.set_length(total);
            }
            Progress::Advance { done } => bar.set_position(done),
            Progress::Writing => bar.set_message("writing the database"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

fn run_import(args: &ImportArgs) -> anyhow::Result<u8> {
    if let Some(format) = &args.format
        && feeds::converter_named(format).is_none()
    {
        bail!(
            "unknown format {format:?}: expected one of {}",
            feeds::converter_names().join(", ")
        );
    }
    let db_path = paths::db_path(&args.cache.dir());
    let inputs: Vec<Input> = args.paths.iter().map(Input::new).collect();
    let bar = ProgressBar::new();
    let mut on_progress = |event| bar.handle(event);
    let report = import::import(
        &db_path,
        &inputs,
        ImportOptions {
            format: args.format.clone(),
            progress: Some(&mut on_progress),
            ..ImportOptions::default()
        },
    );
    bar.finish();
    let report = report?;
    print_import_summary(&report)?;
    Ok(import_exit_code(&report))
}

fn import_exit_code(report: &ImportReport) -> u8 {
    if report.failed_inputs.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}

fn print_import_summary(report: &ImportReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for feed in &report.feeds {
        writeln!(
            out,
            "{}: {} advisories, {} KEV entries, {} EPSS scores, {} skipped, {} merged by id",
            feed.name, feed.advisories, feed.kev, feed.epss, feed.skipped, feed.merged
        )?;
    }
    let per_ecosystem = import::per_ecosystem(&report.feeds);
    if !per_ecosystem.is_empty() {
        writeln!(out, "\n{:<40} {:>10}", "ECOSYSTEM", "ADVISORIES")?;
        for (ecosystem, count) in &per_ecosystem {
            writeln!(out, "{ecosystem:<40} {count:>10}")?;
        }
    }
    out.flush()?;
    let skipped = report.problems.len();
    if skipped > 0 {
        tracing::warn!("{skipped} files or records were skipped; see the messages above");
    }
    Ok(())
}

fn run_update(args: &UpdateArgs) -> anyhow::Result<u8> {
    let mut options = UpdateOptions {
        mirror: args.mirror.clone(),
        kev: !args.no_kev,
        epss: !args.no_epss,
        max_download_bytes: args.max_download_size.saturating_mul(1 << 20),
        ..UpdateOptions::default()
    };
    // Ecosystems named on the command line must exist on the server; from
    // the default list, one the server lacks is skipped with a warning.
    if !args.ecosystems.is_empty() {
        options.ecosystems.clone_from(&args.ecosystems);
        options.require_all = true;
    }
    let bar = ProgressBar::new();
    let mut on_progress = |event| bar.handle(event);
    let report = update::update(&args.cache.dir(), &options, Some(&mut on_progress));
    bar.finish();
    let report = report?;
    let mut out = std::io::stdout().lock();
    for (source, outcome) in &report.sources {
        let text = match outcome {
            Outcome::Updated { bytes } => format!("downloaded {bytes} bytes"),
            Outcome::NotModified => "not modified".to_owned(),
            Outcome::NotFound => "not on the server; skipped".to_owned(),
            Outcome::Failed { reason } => format!("failed: {reason}"),
        };
        writeln!(out, "{}: {text}", source.name)?;
    }
    drop(out);
    let mut code = EXIT_OK;
    if let Some(import) = &report.import {
        println!();
        print_import_summary(import)?;
        code = import_exit_code(import);
    }
    if report.has_failures() {
        code = EXIT_ERROR;
    }
    Ok(code)
}

fn run_status(args: &StatusArgs) -> anyhow::Result<u8> {
    let db = Database::open_in(&args.cache.dir())?;
    let feeds = db.feeds()?;
    let counts = db.counts()?;
    let now = bulwark_vulndb::time::now_unix();
    let mut out = std::io::stdout().lock();
    writeln!(out, "database: {}", db.path().display())?;
    writeln!(out, "schema version: {}", bulwark_vulndb::SCHEMA_VERSION)?;
    writeln!(
        out,
        "advisories: {}, indexed packages: {}, KEV entries: {}, EPSS scores: {}",
        counts.advisories, counts.packages, counts.kev, counts.epss
    )?;
    let mut stale = Vec::new();
    for feed in &feeds {
        let age = now.saturating_sub(feed.imported_at).max(0);
        writeln!(out, "\nfeed: {}", feed.name)?;
        writeln!(out, "  source: {}", feed.source)?;
        writeln!(out, "  formats: {}", feed.formats.join(", "))?;
        writeln!(out, "  sha256: {}", feed.sha256)?;
        writeln!(out, "  size: {} bytes", feed.size)?;
        writeln!(
            out,
            "  records: {} ({} skipped)",
            feed.records, feed.skipped
        )?;
        writeln!(
            out,
            "  newest modified: {}",
            feed.newest_modified.as_deref().unwrap_or("none")
        )?;
        writeln!(
            out,
            "  imported: {} ({} ago)",
            bulwark_vulndb::time::format_rfc3339(feed.imported_at),
            format_age(age)
        )?;
        if let Some(max_age) = args.max_age
            && u64::try_from(age).unwrap_or(0) > max_age.as_secs()
        {
            stale.push((feed.name.clone(), age));
        }
    }
    out.flush()?;
    drop(out);
    if feeds.is_empty() {
        tracing::warn!("the database has no feeds");
    }
    for (name, age) in &stale {
        tracing::warn!(
            "feed {name} was imported {} ago, longer than --max-age; run `bulwark db update`",
            format_age(*age)
        );
    }
    Ok(if stale.is_empty() {
        EXIT_OK
    } else {
        EXIT_STALE
    })
}

fn format_age(seconds: i64) -> String {
    match seconds {
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 * 2 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        s => format!("{}d{:02}h", s / 86_400, s / 3600 % 24),
    }
}

/// Parses `36h`, `7d`, `90m` or `30s`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("invalid duration {text:?}: missing a unit s, m, h or d"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| {
        format!("invalid duration {text:?}: expected a number and a unit, such as 7d")
    })?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "invalid duration {text:?}: unknown unit {unit:?}; expected s, m, h or d"
            ));
        }
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

fn run_compare(args: &CompareArgs) -> anyhow::Result<u8> {
    let (name, _) = args
        .ecosystem
        .split_once(':')
        .unwrap_or((&args.ecosystem, ""));
    let Some(ecosystem) =
        bulwark_version::Ecosystem::all().find(|e| e.osv_name().eq_ignore_ascii_case(name.trim()))
    else {
        bail!(
            "unknown ecosystem {:?}: expected an OSV ecosystem such as PyPI, npm, Debian or Alpine",
            args.ecosystem
        );
    };
    let scheme = Scheme::for_ecosystem(&ecosystem);
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (index, line) in stdin.lines().enumerate() {
        let number = index + 1;
        let line = line.with_context(|| format!("failed to read line {number} of stdin"))?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [a, b] = fields[..] else {
            out.flush()?;
            bail!(
                "line {number}: expected two versions separated by a space, found {} fields",
                fields.len()
            );
        };
        let order = compare(scheme, a, b).map_err(|error| {
            let _ = out.flush();
            anyhow::anyhow!("line {number}: {error}")
        })?;
        let symbol = match order {
            std::cmp::Ordering::Less => "<",
            std::cmp::Ordering::Equal => "=",
            std::cmp::Ordering::Greater => ">",
        };
        writeln!(out, "{symbol}")?;
    }
    out.flush()?;
    Ok(EXIT_OK)
}
