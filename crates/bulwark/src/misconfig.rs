//! Misconfiguration scanning inside `bulwark scan`: configuration files of
//! a directory (Dockerfile, Kubernetes, Compose, Terraform,
//! CloudFormation) and the config of an image, checked by the built-in
//! Rego checks and the user's `--policy` directories.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bulwark_iac::{FileContent, ParsedFile};
use bulwark_inventory::ExtraOutputs;
use bulwark_match::policy::Date;
use bulwark_match::{Note, RuleFinding, RuleKind, SeverityLevel, Suppression};
use bulwark_policy::{Misconfiguration, PolicySet, Severity};

/// Path of findings in the image config.
const IMAGE_CONFIG_PATH: &str = "image config";

/// Note code of a finding whose inline ignore comment gives no reason.
const NOTE_IGNORE_WITHOUT_REASON: &str = "inline-ignore-without-reason";
/// Note code of a finding whose inline ignore comment has expired.
const NOTE_IGNORE_EXPIRED: &str = "inline-ignore-expired";

/// Misconfiguration findings of a scan, and the files or checks that could
/// not be evaluated.
#[derive(Default)]
pub(crate) struct MisconfigResults {
    pub(crate) findings: Vec<RuleFinding>,
    pub(crate) errors: Vec<String>,
    /// Number of configuration files evaluated.
    pub(crate) files: usize,
}

/// Loads the built-in checks and the checks of every `--policy` directory.
/// A user check that fails to load is an error, so that a policy is never
/// silently skipped.
pub(crate) fn load_policies(dirs: &[PathBuf]) -> anyhow::Result<PolicySet> {
    let set = if dirs.is_empty() {
        PolicySet::builtin()?
    } else {
        PolicySet::with_user_dirs(dirs)
            .with_context(|| format!("failed to load the policies in {}", join_paths(dirs)))?
    };
    if let Some(first) = set.load_errors().first() {
        anyhow::bail!(
            "failed to load a policy: {first} ({} policy error(s) in total)",
            set.load_errors().len()
        );
    }
    Ok(set)
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds and parses the configuration files under `path` (a directory or
/// one file) and evaluates the checks on them. A file that fails to parse
/// becomes an error naming the file, line and column, and the other files
/// are still checked.
pub(crate) fn scan_path(policies: &PolicySet, path: &Path, today: Date) -> MisconfigResults {
    let mut results = MisconfigResults::default();
    let mut files: Vec<ParsedFile> = Vec::new();
    if path.is_dir() {
        let tree = bulwark_iac::scan_tree(path);
        for entry in tree.results {
            match entry {
                Ok(file) => files.push(file),
                Err(error) => results.errors.push(error.to_string()),
            }
        }
    } else {
        match parse_single_file(path) {
            Ok(Some(file)) => files.push(file),
            Ok(None) => results.errors.push(format!(
                "{}: not a Dockerfile, Kubernetes, Compose, Terraform or CloudFormation file",
                path.display()
            )),
            Err(error) => results.errors.push(error),
        }
    }
    let scanned = scan_files(policies, files.into_iter().map(Ok).collect(), today);
    results.files = scanned.files;
    results.findings = scanned.findings;
    results.errors.extend(scanned.errors);
    results
}

/// Evaluates the checks on parsed files; parse errors become errors.
pub(crate) fn scan_files(
    policies: &PolicySet,
    files: Vec<ConfigFile>,
    today: Date,
) -> MisconfigResults {
    let mut results = MisconfigResults::default();
    let mut parsed = Vec::new();
    for file in files {
        match file {
            Ok(file) => parsed.push(file),
            Err(error) => results.errors.push(error),
        }
    }
    results.files = parsed.len();
    for (file, result) in parsed.iter().zip(policies.evaluate_all(&parsed)) {
        tracing::debug!(path = %file.path, kind = file.kind.as_str(), findings = result.findings.len(), "evaluated");
        results.errors.extend(result.errors);
        results.findings.extend(
            result
                .findings
                .into_iter()
                .map(|finding| rule_finding(finding, today)),
        );
    }
    // A local Terraform module called from several root modules is
    // evaluated once per caller, which reports the same finding at the
    // same place again; keep one.
    results
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    results.findings.dedup_by(|a, b| {
        a.rule_id == b.rule_id
            && a.path == b.path
            && a.line == b.line
            && a.resource == b.resource
            && a.message == b.message
            && a.suppressed == b.suppressed
    });
    results.errors.sort();
    results.errors.dedup();
    results
}

/// A configuration file read from an image: parsed, or the located parse
/// error.
pub(crate) type ConfigFile = Result<ParsedFile, String>;

/// Largest configuration file read from an image.
const MAX_IMAGE_CONFIG_FILE: u64 = 1 << 20;

/// Reads configuration files (Dockerfiles, Kubernetes, Compose, Terraform,
/// CloudFormation) from image layers while they are streamed.
pub(crate) struct ConfigFileHandler;

impl ConfigFileHandler {
    /// Returns whether a path may hold configuration, from its name. Package
    /// trees (`node_modules`, Python's `site-packages`) and documentation
    /// are skipped: their YAML files are package data, not deployments.
    fn is_candidate(path: &str) -> bool {
        let skipped = [
            "node_modules/",
            "site-packages/",
            "dist-packages/",
            "usr/share/",
        ];
        if skipped
            .iter()
            .any(|dir| path.starts_with(dir) || path.contains(&format!("/{dir}")))
        {
            return false;
        }
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        name.starts_with("dockerfile")
            || name.starts_with("containerfile")
            || name.ends_with(".dockerfile")
            || name.ends_with(".yaml")
            || name.ends_with(".yml")
            || name.ends_with(".tf")
    }
}

impl bulwark_image::FileHandler for ConfigFileHandler {
    type Output = ConfigFile;

    fn wants(&self, info: &bulwark_image::EntryInfo<'_>) -> bool {
        info.size <= MAX_IMAGE_CONFIG_FILE && Self::is_candidate(info.path)
    }

    fn handle(&self, info: &bulwark_image::EntryInfo<'_>, data: &[u8]) -> Option<ConfigFile> {
        let path = Path::new(info.path);
        let kind = bulwark_iac::detect(path, data)?;
        Some(
            bulwark_iac::parse_file(path, info.path, kind, data).map_err(|error| error.to_string()),
        )
    }
}

/// Keeps the configuration files of an image's final filesystem: the last
/// version of each path that the last layer writing it produced. Deleted
/// and replaced files are not deployed, so they are not checked.
pub(crate) fn final_config_files(outputs: ExtraOutputs<ConfigFile>) -> Vec<ConfigFile> {
    let mut files = Vec::new();
    for (path, mut history) in outputs.outputs {
        let final_layer = outputs.final_layers.get(&path).copied();
        if let Some((layer, file)) = history.pop()
            && Some(layer) == final_layer
        {
            files.push(file);
        }
    }
    files
}

/// Parses one file whose kind is detected from its content and name.
fn parse_single_file(path: &Path) -> Result<Option<ParsedFile>, String> {
    // A link given as PATH is the user's choice, so it is resolved here,
    // unlike links found while walking a directory. The bounded read keeps
    // a FIFO or device given as PATH from blocking or filling memory.
    let resolved = std::fs::canonicalize(path)
        .map_err(|error| format!("{}: failed to read: {error}", path.display()))?;
    let content = match bulwark_iac::read_regular_file(&resolved) {
        Ok(FileContent::Whole(content)) => content,
        Ok(FileContent::TooLarge { size, .. }) => {
            return Err(format!(
                "{}: file is {size} bytes, larger than the {}-byte limit",
                path.display(),
                bulwark_iac::MAX_FILE_SIZE
            ));
        }
        Err(error) => return Err(format!("{}: {error}", path.display())),
    };
    let Some(kind) = bulwark_iac::detect(path, &content) else {
        return Ok(None);
    };
    let display = path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    bulwark_iac::parse_file(path, &display, kind, &content)
        .map(Some)
        .map_err(|error| error.to_string())
}

/// Evaluates the image-config checks on an image's config document.
pub(crate) fn scan_image_config(
    policies: &PolicySet,
    config: &serde_json::Value,
    today: Date,
) -> Vec<RuleFinding> {
    if config.is_null() {
        return Vec::new();
    }
    policies
        .evaluate_image_config(config)
        .into_iter()
        .map(|finding| {
            let mut finding = rule_finding(finding, today);
            finding.path = IMAGE_CONFIG_PATH.to_owned();
            finding
        })
        .collect()
}

/// Converts a check finding. An inline ignore comment suppresses it until
/// its `expires` date has passed; one without a reason still suppresses it
/// but leaves a note saying so.
fn rule_finding(finding: Misconfiguration, today: Date) -> RuleFinding {
    let mut notes = Vec::new();
    let mut suppressed = None;
    if let Some(ignore) = &finding.suppressed_inline {
        let expires = ignore
            .expires
            .as_deref()
            .map(|text| (text, Date::parse(text)));
        let expired = matches!(expires, Some((_, Some(date))) if today > date);
        if expired {
            notes.push(Note {
                code: NOTE_IGNORE_EXPIRED.to_owned(),
                message: format!(
                    "the bulwark:ignore comment on line {} expired after {}; the finding counts again",
                    ignore.line,
                    ignore.expires.as_deref().unwrap_or_default()
                ),
            });
        } else {
            if let Some((text, None)) = expires {
                notes.push(Note {
                    code: "inline-ignore-invalid-expiry".to_owned(),
                    message: format!(
                        "the bulwark:ignore comment on line {} has expires={text:?}, expected YYYY-MM-DD; it never expires",
                        ignore.line
                    ),
                });
            }
            if ignore.reason_missing {
                notes.push(Note {
                    code: NOTE_IGNORE_WITHOUT_REASON.to_owned(),
                    message: format!(
                        "the bulwark:ignore comment on line {} gives no reason=\"...\"",
                        ignore.line
                    ),
                });
            }
            suppressed = Some(Suppression {
                kind: "inline".to_owned(),
                source: format!("{}:{}", finding.path, ignore.line),
                reason: ignore
                    .reason
                    .clone()
                    .or_else(|| Some("no reason given".to_owned())),
                expires: ignore.expires.clone(),
                owner: ignore.owner.clone(),
                status: None,
                justification: None,
            });
        }
    }
    let fingerprint = misconfig_fingerprint(&finding);
    RuleFinding {
        kind: RuleKind::Misconfig,
        rule_id: finding.rule_id,
        title: finding.title,
        severity: severity_level(finding.severity),
        path: finding.path,
        line: (finding.line > 0).then_some(finding.line),
        column: None,
        resource: finding.resource,
        message: finding.message,
        snippet: None,
        fingerprint: Some(fingerprint),
        layer: None,
        removed_in_later_layer: false,
        suppressed,
        notes,
    }
}

/// Returns a hex SHA-256 of the rule id, file, resource and message: stable
/// when lines above the finding move, so dashboards keep tracking it.
fn misconfig_fingerprint(finding: &Misconfiguration) -> String {
    use sha2::Digest;

    let mut hasher = sha2::Sha256::new();
    for part in [
        finding.rule_id.as_str(),
        finding.path.as_str(),
        finding.resource.as_deref().unwrap_or_default(),
        finding.message.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn severity_level(severity: Severity) -> SeverityLevel {
    match severity {
        Severity::Low => SeverityLevel::Low,
        Severity::Medium => SeverityLevel::Medium,
        Severity::High => SeverityLevel::High,
        Severity::Critical => SeverityLevel::Critical,
    }
}
