//! The result model of a vulnerability scan: one [`Finding`] per
//! (package, vulnerability) pair, gathered in a [`Report`].
//!
//! Every type here is serialized as-is into the JSON report (`-f json`),
//! whose layout is documented in `docs/scan-json.md` and versioned by
//! [`REPORT_SCHEMA_VERSION`]. Writers for other formats (table, SARIF,
//! OpenVEX, CycloneDX VEX) read the same types.

use serde::{Deserialize, Serialize};

use crate::rule_finding::{RuleFinding, RuleSummary};

/// Version of the JSON report layout. Adding a field keeps the version;
/// renaming, removing or changing the meaning of one increments it.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// Severity level, ordered from `Unknown` (lowest) to `Critical`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SeverityLevel {
    /// No source rated the vulnerability, or the rating was not recognized.
    #[default]
    Unknown,
    /// Low.
    Low,
    /// Medium (also "moderate").
    Medium,
    /// High (also "important").
    High,
    /// Critical.
    Critical,
}

impl SeverityLevel {
    /// Every level, from lowest to highest.
    pub const ALL: [Self; 5] = [
        Self::Unknown,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// Returns the lowercase name used in reports and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a severity word as feeds spell it, without regard to case.
    /// Red Hat's `moderate` and `important` map to `Medium` and `High`, and
    /// Debian's and Ubuntu's `negligible` and `unimportant` to `Low`.
    /// Returns `None` for any other word.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "unknown" | "none" | "untriaged" | "not yet assigned" => Self::Unknown,
            "negligible" | "unimportant" | "low" => Self::Low,
            "medium" | "moderate" => Self::Medium,
            "high" | "important" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }

    /// Returns the level of a CVSS base score (v3 and v4 bands; v2 scores
    /// use the same bands, so 7.0 to 10.0 is `High` below v3's `Critical`
    /// band of 9.0 and up).
    pub fn from_cvss_score(score: f64) -> Self {
        if score >= 9.0 {
            Self::Critical
        } else if score >= 7.0 {
            Self::High
        } else if score >= 4.0 {
            Self::Medium
        } else if score > 0.0 {
            Self::Low
        } else {
            Self::Unknown
        }
    }
}

impl std::fmt::Display for SeverityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A CVSS vector and, once computed, its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// CVSS version: `2.0`, `3.0`, `3.1` or `4.0`, from the vector prefix or
    /// the OSV severity type.
    pub version: String,
    /// The vector as the advisory states it.
    pub vector: String,
    /// Base score from 0.0 to 10.0, computed from the vector; `None` when it
    /// has not been computed or the vector is invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// The severity of a finding and the source that rates it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Severity {
    /// The level used for filtering, `--fail-on` and ranking.
    pub level: SeverityLevel,
    /// Where the level comes from: an advisory id (`DSA-5678-1`,
    /// `GHSA-...`), a distribution (`ubuntu`, `redhat`), or `cvss` when it
    /// was derived from a CVSS score. Empty when the level is `Unknown`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// The CVSS vector with the highest version among the advisories'
    /// severities, when any has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
}

/// What the advisory data states about the installed version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixStatus {
    /// Affected, and a fixed version exists: see [`Finding::fixed_versions`].
    Fixed,
    /// Affected, and no fixed version is known yet.
    Affected,
    /// Affected, and the distribution will not fix it.
    WillNotFix,
    /// Affected, and the distribution postponed the fix.
    FixDeferred,
    /// The distribution is still investigating whether the package is
    /// affected.
    UnderInvestigation,
    /// Not affected. Scans drop these; the status exists for VEX input and
    /// output.
    NotAffected,
}

impl FixStatus {
    /// Returns the snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Affected => "affected",
            Self::WillNotFix => "will_not_fix",
            Self::FixDeferred => "fix_deferred",
            Self::UnderInvestigation => "under_investigation",
            Self::NotAffected => "not_affected",
        }
    }
}

impl std::fmt::Display for FixStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CISA Known Exploited Vulnerabilities catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    /// CVE id the entry is listed under.
    pub cve: String,
    /// Date the CVE was added to the catalog, `YYYY-MM-DD`.
    pub date_added: String,
    /// Remediation due date for US federal agencies, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// Whether the catalog lists use in ransomware campaigns (`Known`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ransomware: bool,
}

/// FIRST EPSS exploit prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// CVE id the score belongs to.
    pub cve: String,
    /// Probability of exploitation in the next 30 days, 0.0 to 1.0.
    pub score: f64,
    /// Rank of the score among all scored CVEs, 0.0 to 1.0.
    pub percentile: f64,
    /// Day the score was published, `YYYY-MM-DD`.
    pub date: String,
}

/// The layer of an image that introduced a package.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Layer {
    /// Index of the layer, 0 for the base layer.
    pub index: usize,
    /// Digest of the uncompressed layer (`sha256:...`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
}

/// The installed package a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// Package id from the inventory, unique within one scan.
    pub id: String,
    /// Name as the package manager spells it.
    pub name: String,
    /// Packaging system: `apk`, `deb`, `rpm`, `npm`, `pypi`, ...
    pub kind: String,
    /// OSV ecosystem the advisories were looked up in, with the release for
    /// distributions (`Alpine:v3.19`, `PyPI`).
    pub ecosystem: String,
    /// Name the advisories use when it differs from `name`: the source
    /// package for Debian, Ubuntu and Alpine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory_name: Option<String>,
    /// Installed version, with epoch and release where the package manager
    /// has them (`1:2.3-4`).
    pub version: String,
    /// Package URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// Layer that introduced the package, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
    /// Files the package was read from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
}

/// Why a finding was suppressed: a VEX statement or a policy exception.
/// Filled by the policy engine; a scan without policy leaves it `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// What suppressed it: `vex` or `exception`.
    pub kind: String,
    /// The file, and where useful the statement or rule id, that suppressed
    /// it.
    pub source: String,
    /// VEX status or justification, or the exception's stated reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Date after which an exception no longer applies, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Person or team accountable for an exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// VEX status as the document states it (`not_affected`, `fixed`,
    /// `resolved`, `false_positive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// VEX justification code, such as `vulnerable_code_not_present`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// One vulnerability in one installed package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary vulnerability id: the CVE id when the vulnerability has
    /// exactly one, otherwise the id of the advisory that matched.
    pub id: String,
    /// Every other id the vulnerability is known by (CVE, GHSA, distribution
    /// advisory ids), sorted, without `id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Ids of the stored advisories that matched, sorted.
    pub advisories: Vec<String>,
    /// The affected package.
    pub package: AffectedPackage,
    /// What the advisories state about the installed version.
    pub status: FixStatus,
    /// Versions that fix the vulnerability, lowest first. Empty unless
    /// `status` is `Fixed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// Severity level and its source.
    pub severity: Severity,
    /// KEV entry, when the vulnerability is known to be exploited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<Kev>,
    /// EPSS score, the highest among the vulnerability's CVE ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// One-line summary from the advisory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Reference URLs, sorted and without duplicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// Why the finding is suppressed, set by VEX input or policy exceptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// Remarks from policy and VEX that do not suppress the finding: an
    /// exception that expired, a VEX statement that it is affected or under
    /// investigation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// CWE ids the advisories name (`CWE-502`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
}

impl Finding {
    /// Returns `id` followed by every alias.
    pub fn all_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Returns whether a fixed version is known.
    pub fn has_fix(&self) -> bool {
        self.status == FixStatus::Fixed && !self.fixed_versions.is_empty()
    }
}

/// What was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TargetInfo {
    /// The target as the user named it.
    pub name: String,
    /// `image`, `directory` or `sbom`.
    pub kind: String,
    /// Manifest digest, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Tags the image archive records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    /// CPU architecture, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
}

/// The operating system of the target, and how its advisories were found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OsInfo {
    /// Distribution family (`alpine`, `debian`, `rocky`...).
    pub family: String,
    /// Release as the image states it (`3.19.4`, `12`).
    pub version: String,
    /// OSV ecosystem the OS packages were matched in (`Alpine:v3.19`);
    /// `None` when the distribution or release is not supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
}

/// A fact about the scan that limits what the findings can say, such as a
/// distribution release without advisory data.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Note {
    /// Stable machine-readable code, such as `unknown-os-release`.
    pub code: String,
    /// Explanation for people.
    pub message: String,
}

/// Provenance of one advisory feed in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSummary {
    /// Feed name.
    pub name: String,
    /// SHA-256 of the feed's input.
    pub sha256: String,
    /// Newest `modified` time among its advisories, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_modified: Option<String>,
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Unsuppressed findings.
    pub total: usize,
    /// Findings rated critical.
    pub critical: usize,
    /// Findings rated high.
    pub high: usize,
    /// Findings rated medium.
    pub medium: usize,
    /// Findings rated low.
    pub low: usize,
    /// Findings without a rating.
    pub unknown: usize,
    /// Findings with a fixed version.
    pub fixable: usize,
    /// Findings on the KEV list.
    pub known_exploited: usize,
    /// Suppressed findings.
    pub suppressed: usize,
}

impl Summary {
    /// Counts `findings` and `suppressed`.
    pub fn count(findings: &[Finding], suppressed: &[Finding]) -> Self {
        let mut summary = Self {
            total: findings.len(),
            suppressed: suppressed.len(),
            ..Self::default()
        };
        for finding in findings {
            match finding.severity.level {
                SeverityLevel::Critical => summary.critical += 1,
                SeverityLevel::High => summary.high += 1,
                SeverityLevel::Medium => summary.medium += 1,
                SeverityLevel::Low => summary.low += 1,
                SeverityLevel::Unknown => summary.unknown += 1,
            }
            summary.fixable += usize::from(finding.has_fix());
            summary.known_exploited += usize::from(finding.kev.is_some());
        }
        summary
    }
}

/// The result of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Layout version, [`REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What was scanned.
    pub target: TargetInfo,
    /// Scanners that ran (`vuln`, `secret`, `misconfig`). Empty in reports
    /// written before scanners could be chosen, which ran `vuln` only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scanners: Vec<String>,
    /// Detected operating system, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsInfo>,
    /// Feeds in the database the scan used, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub database: Vec<FeedSummary>,
    /// Number of packages in the inventory.
    pub packages: usize,
    /// Counts of `findings` and `suppressed`.
    pub summary: Summary,
    /// Unsuppressed findings, most urgent first.
    pub findings: Vec<Finding>,
    /// Findings suppressed by VEX or exceptions, in the same order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Finding>,
    /// Counts of `rule_findings` and `rule_suppressed`, when a secret or
    /// misconfiguration scan ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_summary: Option<RuleSummary>,
    /// Unsuppressed secret and misconfiguration findings, most severe
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_findings: Vec<RuleFinding>,
    /// Secret and misconfiguration findings suppressed by exceptions or
    /// inline ignore comments, in the same order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_suppressed: Vec<RuleFinding>,
    /// Limits of the scan, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    /// Errors that made the scan partial: files that could not be read,
    /// advisories that could not be evaluated. Non-empty means exit 2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Report {
    /// Creates an empty report for `target`.
    pub fn new(target: TargetInfo) -> Self {
        Self {
            schema_version: REPORT_SCHEMA_VERSION,
            target,
            scanners: Vec::new(),
            os: None,
            database: Vec::new(),
            packages: 0,
            summary: Summary::default(),
            findings: Vec::new(),
            suppressed: Vec::new(),
            rule_summary: None,
            rule_findings: Vec::new(),
            rule_suppressed: Vec::new(),
            notes: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Returns whether the vulnerability scanner ran.
    pub fn ran_vulnerability_scan(&self) -> bool {
        self.scanners.is_empty() || self.scanners.iter().any(|name| name == "vuln")
    }

    /// Moves findings whose `suppressed` is set into `suppressed` (and back
    /// when it was cleared), then recounts the summary. Call after changing
    /// any finding's suppression.
    pub fn settle_suppressions(&mut self) {
        let mut all: Vec<Finding> = std::mem::take(&mut self.findings);
        all.append(&mut self.suppressed);
        let (suppressed, active): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|f| f.suppressed.is_some());
        self.findings = active;
        self.suppressed = suppressed;
        crate::rank::sort_findings(&mut self.findings);
        crate::rank::sort_findings(&mut self.suppressed);
        self.summary = Summary::count(&self.findings, &self.suppressed);

        let mut all: Vec<RuleFinding> = std::mem::take(&mut self.rule_findings);
        all.append(&mut self.rule_suppressed);
        let (mut suppressed, mut active): (Vec<_>, Vec<_>) =
            all.into_iter().partition(|f| f.suppressed.is_some());
        active.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        if self.rule_summary.is_some() || !active.is_empty() || !suppressed.is_empty() {
            self.rule_summary = Some(RuleSummary::count(&active, &suppressed));
        }
        self.rule_findings = active;
        self.rule_suppressed = suppressed;
    }
}
