//! Merging the advisories that matched one package into one finding per
//! vulnerability.
//!
//! Advisories about the same vulnerability come from several feeds under
//! different ids (`CVE-2021-3711`, `ALPINE-CVE-2021-3711`, `GHSA-...`,
//! `PYSEC-...`) and name each other as aliases. Each advisory contributes
//! keys; advisories that share a key are one vulnerability. An advisory
//! that bundles several CVEs (a Red Hat, AlmaLinux or Debian security
//! advisory) is split into one vulnerability per CVE, so that it merges
//! with per-CVE advisories and counts as the other scanners count.

use std::collections::{BTreeMap, BTreeSet};

use bulwark_osv::Advisory;
use bulwark_version::{Scheme, compare};

use crate::finding::{AffectedPackage, Finding, FixStatus};
use crate::severity::{self, Rated};

/// One vulnerability that one advisory entry reports for a package.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// Ids that identify the vulnerability, for merging.
    keys: Vec<String>,
    /// Ids shown in the finding.
    ids: BTreeSet<String>,
    advisory_id: String,
    status: FixStatus,
    fixed: Vec<String>,
    rated: Option<Rated>,
    title: Option<String>,
    references: Vec<String>,
    cwes: Vec<String>,
}

/// Returns the hits of one matched advisory entry: one, or one per CVE for
/// an advisory that bundles several. `family` is set for distribution
/// feeds, whose `related` list names the CVEs an errata fixes.
pub(crate) fn hits_for(
    advisory: &Advisory,
    family: Option<&str>,
    status: FixStatus,
    fixed: Vec<String>,
    rated: Option<Rated>,
) -> Vec<Hit> {
    let mut cves: BTreeSet<&str> = std::iter::once(&advisory.id)
        .chain(&advisory.aliases)
        .chain(&advisory.upstream)
        .map(String::as_str)
        .filter(|id| id.starts_with("CVE-"))
        .collect();
    if family.is_some() {
        cves.extend(
            advisory
                .related
                .iter()
                .map(String::as_str)
                .filter(|id| id.starts_with("CVE-")),
        );
    }
    let title = title_of(advisory);
    let references: Vec<String> = advisory.references.iter().map(|r| r.url.clone()).collect();
    let cwes = cwes_of(advisory);
    let hit = |keys: Vec<String>, ids: BTreeSet<String>| Hit {
        keys,
        ids,
        advisory_id: advisory.id.clone(),
        status,
        fixed: fixed.clone(),
        rated: rated.clone(),
        title: title.clone(),
        references: references.clone(),
        cwes: cwes.clone(),
    };
    if cves.len() >= 2 {
        return cves
            .into_iter()
            .map(|cve| {
                hit(
                    vec![cve.to_owned()],
                    BTreeSet::from([cve.to_owned(), advisory.id.clone()]),
                )
            })
            .collect();
    }
    let ids: BTreeSet<String> = std::iter::once(&advisory.id)
        .chain(&advisory.aliases)
        .cloned()
        .chain(cves.iter().map(|c| (*c).to_owned()))
        .collect();
    vec![hit(ids.iter().cloned().collect(), ids)]
}

/// The merged result of the hits of one vulnerability, before the package
/// and enrichment are added.
#[derive(Debug)]
pub(crate) struct Merged {
    ids: BTreeSet<String>,
    advisories: BTreeSet<String>,
    status: FixStatus,
    fixed: Vec<String>,
    rated: Option<Rated>,
    title: Option<String>,
    references: BTreeSet<String>,
    cwes: BTreeSet<String>,
}

/// Groups hits that share a key and merges each group.
pub(crate) fn merge_hits(hits: Vec<Hit>, scheme: Scheme) -> Vec<Merged> {
    // Union-find over hit indexes, joined through the keys they share.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, hit) in hits.iter().enumerate() {
        for key in &hit.keys {
            match owner.get(key.as_str()) {
                Some(&other) => {
                    let (a, b) = (root(&mut parent, index), root(&mut parent, other));
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(key, index);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..hits.len() {
        let group = root(&mut parent, index);
        groups.entry(group).or_default().push(index);
    }
    groups
        .into_values()
        .map(|members| merge_group(members.iter().map(|&i| &hits[i]), scheme))
        .collect()
}

fn merge_group<'a>(hits: impl Iterator<Item = &'a Hit>, scheme: Scheme) -> Merged {
    let mut merged = Merged {
        ids: BTreeSet::new(),
        advisories: BTreeSet::new(),
        status: FixStatus::NotAffected,
        fixed: Vec::new(),
        rated: None,
        title: None,
        references: BTreeSet::new(),
        cwes: BTreeSet::new(),
    };
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    for hit in hits {
        merged.ids.extend(hit.ids.iter().cloned());
        merged.advisories.insert(hit.advisory_id.clone());
        merged.status = merged.status.min(hit.status);
        if hit.status == FixStatus::Fixed {
            merged.fixed.extend(hit.fixed.iter().cloned());
        }
        if let Some(rated) = &hit.rated {
            merged.rated = severity::better(merged.rated.take(), rated.clone());
        }
        if let Some(title) = &hit.title {
            titles
                .entry(hit.advisory_id.clone())
                .or_insert_with(|| title.clone());
        }
        merged.references.extend(hit.references.iter().cloned());
        merged.cwes.extend(hit.cwes.iter().cloned());
    }
    merged.fixed.sort_by(|a, b| {
        compare(scheme, a, b)
            .unwrap_or_else(|_| a.cmp(b))
            .then_with(|| a.cmp(b))
    });
    merged.fixed.dedup();
    merged.title = titles.into_values().next();
    merged
}

impl Merged {
    /// Builds the finding for `package`. The primary id is the CVE id when
    /// the vulnerability has exactly one, else the first matched advisory
    /// id in sort order.
    pub(crate) fn into_finding(self, package: AffectedPackage) -> Finding {
        let cves: Vec<&String> = self
            .ids
            .iter()
            .filter(|id| id.starts_with("CVE-"))
            .collect();
        let id = match cves.as_slice() {
            [cve] => (*cve).clone(),
            _ => self.advisories.iter().next().cloned().unwrap_or_default(),
        };
        let aliases = self.ids.iter().filter(|i| **i != id).cloned().collect();
        Finding {
            id,
            aliases,
            advisories: self.advisories.into_iter().collect(),
            package,
            status: self.status,
            fixed_versions: self.fixed,
            severity: self.rated.map(|r| r.severity).unwrap_or_default(),
            kev: None,
            epss: None,
            title: self.title,
            references: self.references.into_iter().collect(),
            suppressed: None,
            notes: Vec::new(),
            cwes: self.cwes.into_iter().collect(),
        }
    }
}

/// Returns the CWE ids of an advisory's `database_specific.cwe_ids`, as
/// GitHub's advisories state them (`CWE-502`).
fn cwes_of(advisory: &Advisory) -> Vec<String> {
    advisory
        .database_specific
        .as_ref()
        .and_then(|value| value.get("cwe_ids")?.as_array())
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str())
        .filter(|id| id.starts_with("CWE-"))
        .map(str::to_owned)
        .collect()
}

/// Returns the advisory's summary, else the first line of its details,
/// cut to 200 characters.
fn title_of(advisory: &Advisory) -> Option<String> {
    let text = advisory
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            advisory
                .details
                .as_deref()?
                .lines()
                .find(|l| !l.trim().is_empty())
        })?
        .trim();
    let mut title: String = text.chars().take(200).collect();
    if title.len() < text.len() {
        title.push('…');
    }
    Some(title)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn advisory(value: serde_json::Value) -> Advisory {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn aliases_merge_into_one_finding() {
        let ghsa = advisory(json!({"id": "GHSA-aaaa", "aliases": ["CVE-2020-1"]}));
        let pysec = advisory(json!({"id": "PYSEC-2020-9", "aliases": ["CVE-2020-1", "GHSA-aaaa"]}));
        let other = advisory(json!({"id": "PYSEC-2021-3", "aliases": ["CVE-2021-7"]}));
        let mut hits = Vec::new();
        for (a, fix) in [(&ghsa, "1.2"), (&pysec, "1.2.0"), (&other, "1.3")] {
            hits.extend(hits_for(
                a,
                None,
                FixStatus::Fixed,
                vec![fix.to_owned()],
                None,
            ));
        }
        let merged = merge_hits(hits, Scheme::Pep440);
        assert_eq!(merged.len(), 2);
        let package = AffectedPackage {
            id: "p".into(),
            name: "p".into(),
            kind: "pypi".into(),
            ecosystem: "PyPI".into(),
            advisory_name: None,
            version: "1.0".into(),
            purl: String::new(),
            layer: None,
            locations: Vec::new(),
        };
        let findings: Vec<Finding> = merged
            .into_iter()
            .map(|m| m.into_finding(package.clone()))
            .collect();
        let first = findings.iter().find(|f| f.id == "CVE-2020-1").unwrap();
        assert_eq!(first.aliases, vec!["GHSA-aaaa", "PYSEC-2020-9"]);
        assert_eq!(first.advisories, vec!["GHSA-aaaa", "PYSEC-2020-9"]);
        // 1.2 and 1.2.0 are the same PEP 440 version but spelled apart.
        assert_eq!(first.fixed_versions.len(), 2);
    }

    #[test]
    fn bundles_split_per_cve() {
        let alsa = advisory(json!({
            "id": "ALSA-2024:1", "related": ["CVE-2024-1", "CVE-2024-2"]
        }));
        let hits = hits_for(
            &alsa,
            Some("almalinux"),
            FixStatus::Fixed,
            vec!["1.0-2.el9".to_owned()],
            None,
        );
        assert_eq!(hits.len(), 2);
        let merged = merge_hits(hits, Scheme::Rpm);
        assert_eq!(merged.len(), 2, "split CVEs must not merge back");
    }
}
