//! Matching an inventory against the advisory database.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use bulwark_inventory::{Inventory, Os, Package};
use bulwark_osv::Status;
use bulwark_version::{Ecosystem, compare};
use bulwark_vulndb::{AffectedEntry, Database};

use crate::ecosystem::{self, Lookup};
use crate::finding::{
    AffectedPackage, FeedSummary, Finding, FixStatus, Layer, Note, OsInfo, Report, TargetInfo,
};
use crate::merge::{self, Hit};
use crate::range::{Verdict, evaluate};
use crate::severity;

/// The advisory entries that name one package.
type Entries = Vec<AffectedEntry>;

/// Errors that stop a scan: the database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The database is damaged or unreadable.
    #[error(transparent)]
    Database(#[from] bulwark_vulndb::Error),
}

/// How the OS packages of a target are matched.
enum OsPlan {
    /// Matched in this ecosystem and release.
    Matched {
        ecosystem: Ecosystem,
        release: String,
        family: String,
    },
    /// Not matched; the report carries a note saying why.
    Skipped,
}

/// Matches every package of `inventory` against `db` and returns the
/// report, findings ranked most urgent first.
///
/// OS packages are matched only in their own distribution release. A
/// distribution or release without advisories in the database gets a note
/// instead of findings. Language packages installed by an OS package (the
/// Debian-packaged node modules under `/usr/share/nodejs`) are left to the
/// distribution's advisories.
///
/// # Errors
///
/// [`MatchError`] when the database cannot be read.
pub fn match_inventory(db: &Database, inventory: &Inventory) -> Result<Report, MatchError> {
    let mut report = Report::new(target_info(inventory));
    report.packages = inventory.packages.len();
    report.errors = inventory.errors.clone();
    report.database = db
        .feeds()?
        .into_iter()
        .map(|feed| FeedSummary {
            name: feed.name,
            sha256: feed.sha256,
            newest_modified: feed.newest_modified,
        })
        .collect();

    let mut notes = Notes::default();
    let os_plan = plan_os(db, inventory, &mut report, &mut notes);
    let os_files: HashSet<&str> = inventory
        .packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter().map(|f| f.trim_start_matches('/')))
        .collect();

    let mut cache: HashMap<(String, String), Arc<Entries>> = HashMap::new();
    let mut ecosystems_present: HashMap<Ecosystem, bool> = HashMap::new();
    for package in &inventory.packages {
        let (lookup, family) = if package.kind.is_os() {
            match &os_plan {
                OsPlan::Matched {
                    ecosystem,
                    release,
                    family,
                } if ecosystem::kind_matches_os(package.kind, *ecosystem) => (
                    ecosystem::os_lookup(package, *ecosystem, release),
                    Some(family.as_str()),
                ),
                OsPlan::Matched { .. } => {
                    notes.foreign_os_packages += 1;
                    continue;
                }
                OsPlan::Skipped => continue,
            }
        } else {
            let Some(lookup) = ecosystem::language_lookup(package) else {
                notes.unsupported_kinds.insert(package.kind.as_str());
                continue;
            };
            if installed_by_os_package(package, &os_files) {
                notes.os_owned += 1;
                continue;
            }
            let present = *ecosystems_present
                .entry(lookup.ecosystem)
                .or_insert_with(|| !db.releases(lookup.ecosystem.osv_name()).is_empty());
            if !present {
                *notes
                    .ecosystems_without_data
                    .entry(lookup.ecosystem.osv_name())
                    .or_default() += 1;
                continue;
            }
            (lookup, None)
        };

        let key = (lookup.ecosystem_string(), lookup.name.clone());
        let entries = match cache.get(&key) {
            Some(entries) => Arc::clone(entries),
            None => {
                let found = Arc::new(db.affected_entries_for(
                    lookup.ecosystem.osv_name(),
                    lookup.release.as_deref(),
                    &lookup.name,
                )?);
                cache.insert(key, Arc::clone(&found));
                found
            }
        };
        let hits = evaluate_entries(db, &entries, &lookup, package, family, &mut notes)?;
        let findings = merge::merge_hits(hits, lookup.scheme);
        for partial in findings {
            let mut finding = partial.into_finding(affected_package(package, &lookup));
            enrich(db, &mut finding)?;
            report.findings.push(finding);
        }
    }

    report.notes = notes.into_notes();
    report.settle_suppressions();
    Ok(report)
}

/// Evaluates each advisory entry of one package and keeps the affected
/// ones. Whole advisories are decoded only for entries that match, which
/// keeps lookups of large inventories cheap.
fn evaluate_entries(
    db: &Database,
    entries: &[AffectedEntry],
    lookup: &Lookup,
    package: &Package,
    family: Option<&str>,
    notes: &mut Notes,
) -> Result<Vec<Hit>, MatchError> {
    let mut hits = Vec::new();
    for entry in entries {
        let affected = &entry.affected;
        let status = affected.status();
        if status == Some(Status::NotAffected) {
            continue;
        }
        let distribution_status = matches!(
            status,
            Some(Status::WillNotFix | Status::FixDeferred | Status::UnderInvestigation)
        );
        let verdict =
            if distribution_status && affected.ranges.is_empty() && affected.versions.is_empty() {
                // A distribution status without ranges covers every version.
                Verdict::Affected { fixed: Vec::new() }
            } else {
                match evaluate(affected, lookup.scheme, &lookup.version) {
                    Ok(verdict) => verdict,
                    Err(error) => {
                        notes.invalid_versions.insert(format!(
                            "{} {} ({}): {}: {error}",
                            package.name,
                            lookup.version,
                            lookup.ecosystem_string(),
                            entry.id
                        ));
                        continue;
                    }
                }
            };
        let Verdict::Affected { fixed } = verdict else {
            continue;
        };
        let status = match status {
            Some(Status::WillNotFix) => FixStatus::WillNotFix,
            Some(Status::FixDeferred) => FixStatus::FixDeferred,
            Some(Status::UnderInvestigation) => FixStatus::UnderInvestigation,
            _ if fixed.is_empty() => FixStatus::Affected,
            _ => FixStatus::Fixed,
        };
        let fixed = if status == FixStatus::Fixed {
            fixed
        } else {
            Vec::new()
        };
        let advisory = db.advisory_of(entry)?;
        hits.extend(merge::hits_for(
            &advisory,
            family,
            status,
            fixed,
            severity::rate(&advisory, affected, family),
        ));
    }
    Ok(hits)
}

/// Adds KEV and EPSS data of the finding's CVE ids.
fn enrich(db: &Database, finding: &mut Finding) -> Result<(), MatchError> {
    let cves: BTreeSet<String> = finding
        .all_ids()
        .filter(|id| id.starts_with("CVE-"))
        .map(str::to_owned)
        .collect();
    for cve in &cves {
        if finding.kev.is_none()
            && let Some(entry) = db.kev(cve)?
        {
            finding.kev = Some(crate::finding::Kev {
                cve: entry.cve,
                date_added: entry.date_added,
                due_date: entry.due_date,
                ransomware: entry.ransomware_use.eq_ignore_ascii_case("known"),
            });
        }
        if let Some(score) = db.epss(cve)?
            && finding.epss.as_ref().is_none_or(|e| score.score > e.score)
        {
            finding.epss = Some(crate::finding::Epss {
                cve: score.cve,
                score: score.score,
                percentile: score.percentile,
                date: score.date,
            });
        }
    }
    Ok(())
}

/// Decides how OS packages are matched and records the OS in the report.
fn plan_os(db: &Database, inventory: &Inventory, report: &mut Report, notes: &mut Notes) -> OsPlan {
    let os_packages = inventory.packages.iter().filter(|p| p.kind.is_os()).count();
    let Some(os) = &inventory.os else {
        if os_packages > 0 {
            notes.push(
                "unknown-os",
                format!(
                    "no operating system was detected, so {os_packages} OS packages were not checked"
                ),
            );
        }
        return OsPlan::Skipped;
    };
    let mut info = OsInfo {
        family: os.family.clone(),
        version: os.version.clone(),
        ecosystem: None,
    };
    let plan = match ecosystem::os_ecosystem(os) {
        None => {
            notes.push(
                "unsupported-os",
                format!(
                    "{} is not supported: no advisory feed covers it, so {os_packages} OS packages were not checked",
                    describe(os)
                ),
            );
            OsPlan::Skipped
        }
        Some((ecosystem, candidates)) => {
            let known = db.releases(ecosystem.osv_name());
            match candidates.iter().find(|c| known.contains(c)) {
                Some(release) => {
                    info.ecosystem = Some(format!("{ecosystem}:{release}"));
                    OsPlan::Matched {
                        ecosystem,
                        release: release.clone(),
                        family: os.family.clone(),
                    }
                }
                None => {
                    notes.push(
                        "unknown-os-release",
                        format!(
                            "the database has no advisories for {ecosystem} {}, so {os_packages} OS packages were not checked; import the distribution's feed with `bulwark db import` or run `bulwark db update`",
                            candidates[0]
                        ),
                    );
                    OsPlan::Skipped
                }
            }
        }
    };
    report.os = Some(info);
    plan
}

fn describe(os: &Os) -> String {
    os.pretty_name
        .clone()
        .unwrap_or_else(|| format!("{} {}", os.family, os.version))
}

/// Returns whether an OS package installed the manifest a language package
/// was read from.
fn installed_by_os_package(package: &Package, os_files: &HashSet<&str>) -> bool {
    !os_files.is_empty()
        && package
            .locations
            .iter()
            .any(|location| os_files.contains(location.trim_start_matches('/')))
}

/// Creates the report of a scan that matched no advisories, because the
/// vulnerability scanner did not run: the target, the package count and
/// the inventory's errors.
pub fn unmatched_report(inventory: &Inventory) -> Report {
    let mut report = Report::new(target_info(inventory));
    report.packages = inventory.packages.len();
    report.errors = inventory.errors.clone();
    report
}

fn target_info(inventory: &Inventory) -> TargetInfo {
    let source = &inventory.source;
    TargetInfo {
        name: source.target.clone(),
        kind: source.kind.clone(),
        digest: source.manifest_digest.clone(),
        repo_tags: source.repo_tags.clone(),
        architecture: source.architecture.clone(),
    }
}

fn affected_package(package: &Package, lookup: &Lookup) -> AffectedPackage {
    AffectedPackage {
        id: package.id.clone(),
        name: package.name.clone(),
        kind: package.kind.as_str().to_owned(),
        ecosystem: lookup.ecosystem_string(),
        advisory_name: (lookup.name != package.name).then(|| lookup.name.clone()),
        version: package.full_version(),
        purl: package.purl.clone(),
        layer: package.layer.as_ref().map(|layer| Layer {
            index: layer.index,
            diff_id: layer.diff_id.clone(),
        }),
        locations: package.locations.clone(),
    }
}

/// Returns the highest fixed version among the findings of one package:
/// the version that clears every finding that has a fix.
pub fn upgrade_target<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Option<String> {
    let mut best: Option<(&str, &str)> = None;
    for finding in findings {
        let Some(scheme) = scheme_of(&finding.package.ecosystem) else {
            continue;
        };
        // The lowest fixed version clears the finding; a package needs the
        // highest of those over all its findings.
        let Some(lowest) = finding.fixed_versions.first() else {
            continue;
        };
        match best {
            Some((current, _))
                if compare(scheme, current, lowest).unwrap_or(std::cmp::Ordering::Greater)
                    != std::cmp::Ordering::Less => {}
            _ => best = Some((lowest, &finding.package.ecosystem)),
        }
    }
    best.map(|(version, _)| version.to_owned())
}

/// Returns the version scheme of an ecosystem string such as `Alpine:v3.19`.
pub(crate) fn scheme_of(ecosystem: &str) -> Option<bulwark_version::Scheme> {
    let name = ecosystem.split(':').next()?;
    Ecosystem::from_osv_name(name).map(|e| bulwark_version::Scheme::for_ecosystem(&e))
}

/// Notes gathered during a scan.
#[derive(Default)]
struct Notes {
    notes: Vec<Note>,
    foreign_os_packages: usize,
    os_owned: usize,
    unsupported_kinds: BTreeSet<&'static str>,
    ecosystems_without_data: BTreeMap<&'static str, usize>,
    invalid_versions: BTreeSet<String>,
}

impl Notes {
    fn push(&mut self, code: &str, message: String) {
        self.notes.push(Note {
            code: code.to_owned(),
            message,
        });
    }

    fn into_notes(mut self) -> Vec<Note> {
        if self.foreign_os_packages > 0 {
            let count = self.foreign_os_packages;
            self.push(
                "foreign-os-packages",
                format!(
                    "{count} OS packages of another package manager than the distribution's were not checked"
                ),
            );
        }
        if self.os_owned > 0 {
            let count = self.os_owned;
            self.push(
                "os-owned-language-packages",
                format!(
                    "{count} language packages installed by OS packages are covered by the distribution's advisories only"
                ),
            );
        }
        if !self.unsupported_kinds.is_empty() {
            let kinds: Vec<&str> = self.unsupported_kinds.iter().copied().collect();
            self.push(
                "unsupported-package-kind",
                format!(
                    "no advisory ecosystem for {} packages; they were not checked",
                    kinds.join(", ")
                ),
            );
        }
        for (ecosystem, count) in std::mem::take(&mut self.ecosystems_without_data) {
            self.push(
                "no-ecosystem-data",
                format!(
                    "the database has no {ecosystem} advisories, so {count} {ecosystem} packages were not checked; import a feed with `bulwark db import`"
                ),
            );
        }
        for detail in std::mem::take(&mut self.invalid_versions) {
            self.push(
                "invalid-version",
                format!("an advisory could not be evaluated: {detail}"),
            );
        }
        self.notes.sort();
        self.notes.dedup();
        self.notes
    }
}
