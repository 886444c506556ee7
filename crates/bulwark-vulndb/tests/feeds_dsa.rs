//! The Debian security tracker's DSA, DLA and DTSA lists: the full corpus
//! lists against the facts their lines state, vunnel's snapshots, and
//! vuln-list-update's sample lists.
//!
//! Mapping between vunnel's records and ours: vunnel's namespace
//! `debian:12` is our ecosystem `Debian:12`; a `FixedIn` entry whose
//! `VendorAdvisory.AdvisorySummary` names `DSA-5970-1` is our advisory
//! `DSA-5970-1` with the CVE in `upstream` and an entry for the package fixed
//! in `FixedIn.Version`; `FixedIn.Available.Date` is our `published` date.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bulwark_osv::{Advisory, Status};
use bulwark_vulndb::feeds::debian_dsa::DebianDsa;
use bulwark_vulndb::feeds::{FeedConverter, converter_named};
use common::{Converted, convert, corpus, fixed_of, members};
use serde_json::Value;

/// Codename to the release number of the `Debian:N` ecosystem. Numbers come
/// from distro-info-data's `debian.csv`; from etch on only the major
/// number is used, as the tracker JSON converter does.
const RELEASES: [(&str, &str); 10] = [
    ("woody", "3.0"),
    ("sarge", "3.1"),
    ("etch", "4"),
    ("lenny", "5"),
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
];

fn ecosystem_of(codename: &str) -> String {
    let (_, number) = RELEASES
        .iter()
        .find(|(name, _)| *name == codename)
        .unwrap_or_else(|| panic!("no number for {codename}"));
    format!("Debian:{number}")
}

/// The facts the lines of one advisory state, read by splitting the text.
#[derive(Debug, Default)]
struct Expected {
    cves: BTreeSet<String>,
    /// (ecosystem, package, fixed version).
    fixed: BTreeSet<(String, String, String)>,
    /// (ecosystem, package) per `<kind>`.
    special: BTreeMap<String, BTreeSet<(String, String)>>,
}

/// Reads every advisory of a list by plain splitting: headers start with
/// `[`, CVE lists with `{` and package lines with `[release] - `.
fn expected_from_text(text: &str) -> BTreeMap<String, Expected> {
    let mut out: BTreeMap<String, Expected> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with('[') {
            let id = line.split(']').nth(1).unwrap().split_whitespace().next();
            current = id.unwrap().to_owned();
            out.entry(current.clone()).or_default();
            continue;
        }
        let line = line.trim();
        let expected = out.get_mut(&current).unwrap();
        if let Some(list) = line.strip_prefix('{') {
            let ids = list.trim_end_matches('}').split_whitespace();
            expected.cves.extend(ids.map(str::to_owned));
        } else if line.starts_with('[') {
            let words: Vec<&str> = line.split_whitespace().collect();
            let ecosystem = ecosystem_of(words[0].trim_matches(['[', ']']));
            assert_eq!(words[1], "-", "{line}");
            let package = words[2].to_owned();
            if words[3].starts_with('<') {
                let kind = words[3].trim_matches(['<', '>']).to_owned();
                let set = expected.special.entry(kind).or_default();
                set.insert((ecosystem, package));
            } else {
                let fixed = words[3].to_owned();
                expected.fixed.insert((ecosystem, package, fixed));
            }
        }
    }
    out
}

/// Returns whether the upstream part of a Debian version starts with a
/// digit, as Debian policy requires.
fn starts_with_digit(version: &str) -> bool {
    let upstream = version.split_once(':').map_or(version, |(_, rest)| rest);
    upstream.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

fn entries_with(advisory: &Advisory, status: Status) -> BTreeSet<(String, String)> {
    advisory
        .affected
        .iter()
        .filter(|entry| entry.status() == Some(status) && fixed_of(entry).is_none())
        .map(|entry| {
            let package = entry.package.as_ref().unwrap();
            (package.ecosystem.clone(), package.name.clone())
        })
        .collect()
}

fn end_of_life(advisory: &Advisory) -> BTreeSet<(String, String)> {
    let listed = advisory
        .database_specific
        .as_ref()
        .and_then(|specific| specific.get("end_of_life"))
        .and_then(Value::as_array);
    listed
        .into_iter()
        .flatten()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap().to_owned();
            (text("ecosystem"), text("package"))
        })
        .collect()
}

#[test]
fn dsa_corpus_lists_convert_every_header() {
    let mut totals = BTreeMap::new();
    for kind in ["DSA", "DLA", "DTSA"] {
        let path = corpus().join(format!("debian-security-tracker/data/{kind}/list"));
        let data = std::fs::read(&path).unwrap();
        let text = std::str::from_utf8(&data).unwrap();
        assert!(DebianDsa.detect(&path, &data[..4096]), "{kind}");
        let headers = text.lines().filter(|line| line.starts_with('[')).count();
        let expected = expected_from_text(text);
        assert_eq!(expected.len(), headers, "{kind}: advisory ids are unique");

        let converted = convert(&DebianDsa, &path, &data).unwrap();
        assert_eq!(
            converted.advisories.len() + converted.errors.len(),
            headers,
            "{kind}"
        );
        // Debian versions start with a digit after the epoch; DSA-423 gives
        // a package name as its version.
        let bad_versions: BTreeSet<&str> = expected
            .iter()
            .filter(|(_, want)| want.fixed.iter().any(|(_, _, v)| !starts_with_digit(v)))
            .map(|(id, _)| id.as_str())
            .collect();
        let failed: BTreeSet<&str> = converted.errors.iter().map(|e| e.record.as_str()).collect();
        assert_eq!(failed, bad_versions, "{kind}: {:?}", converted.errors);
        for error in &converted.errors {
            assert!(error.reason.contains("invalid Debian version"), "{error}");
        }

        let mut fixed_entries = 0;
        for advisory in &converted.advisories {
            let want = &expected[&advisory.id];
            let upstream: BTreeSet<String> = advisory.upstream.iter().cloned().collect();
            assert_eq!(upstream, want.cves, "{}", advisory.id);
            assert!(advisory.aliases.is_empty(), "{}", advisory.id);
            let fixed: BTreeSet<_> = advisory
                .affected
                .iter()
                .filter_map(|entry| {
                    let package = entry.package.as_ref().unwrap();
                    let version = fixed_of(entry)?.to_owned();
                    assert_eq!(entry.status(), Some(Status::Affected), "{}", advisory.id);
                    bulwark_version::dpkg::DpkgVersion::parse(&version).unwrap();
                    Some((package.ecosystem.clone(), package.name.clone(), version))
                })
                .collect();
            assert_eq!(fixed, want.fixed, "{}", advisory.id);
            fixed_entries += fixed.len();
            let special = |kind: &str| want.special.get(kind).cloned().unwrap_or_default();
            assert_eq!(
                entries_with(advisory, Status::NotAffected),
                special("not-affected"),
                "{}",
                advisory.id
            );
            assert_eq!(
                entries_with(advisory, Status::Affected),
                special("unfixed"),
                "{}",
                advisory.id
            );
            assert_eq!(
                end_of_life(advisory),
                special("end-of-life"),
                "{}",
                advisory.id
            );
            assert!(
                advisory
                    .published
                    .as_deref()
                    .unwrap()
                    .ends_with("T00:00:00Z")
            );
        }
        totals.insert(kind, (headers, fixed_entries));
    }
    // Sizes of the corpus copy (2023-04-02), so a reader sees the scale.
    assert!(
        totals["DSA"].0 > 5000 && totals["DSA"].1 > 6000,
        "{totals:?}"
    );
    assert!(totals["DLA"].0 > 3000, "{totals:?}");
    assert!(totals["DTSA"].0 > 200, "{totals:?}");
}

#[test]
fn dsa_sample_records() {
    let dsa = corpus().join("debian-security-tracker/data/DSA/list");
    let data = std::fs::read(&dsa).unwrap();
    let converted = convert(&DebianDsa, &dsa, &data).unwrap();
    // The first record of the list.
    let first = &converted.advisories[0];
    assert_eq!(first.id, "DSA-5380-1");
    assert_eq!(
        first.summary.as_deref(),
        Some("xorg-server - security update")
    );
    assert_eq!(first.published.as_deref(), Some("2023-03-29T00:00:00Z"));
    assert_eq!(first.upstream, ["CVE-2023-1393"]);
    let package = first.affected[0].package.as_ref().unwrap();
    assert_eq!(package.ecosystem, "Debian:11");
    assert_eq!(package.name, "xorg-server");
    assert_eq!(fixed_of(&first.affected[0]), Some("2:1.20.11-1+deb11u6"));
    // Old DSAs have no revision suffix and some have no description.
    let old = converted
        .advisories
        .iter()
        .find(|a| a.id == "DSA-1260")
        .unwrap();
    assert_eq!(old.summary.as_deref(), Some("imagemagick"));
    // A NOTE line is kept.
    let notice = converted
        .advisories
        .iter()
        .find(|a| a.id == "DSA-2907-1")
        .unwrap();
    let notes = &notice.database_specific.as_ref().unwrap()["notes"];
    assert_eq!(notes[0], "end of security support for squeeze");

    let dtsa = corpus().join("debian-security-tracker/data/DTSA/list");
    let data = std::fs::read(&dtsa).unwrap();
    let converted = convert(&DebianDsa, &dtsa, &data).unwrap();
    let first = &converted.advisories[0];
    assert_eq!(first.id, "DTSA-1-1");
    assert_eq!(first.published.as_deref(), Some("2005-08-26T00:00:00Z"));
    let entry = &first.affected[0];
    assert_eq!(entry.package.as_ref().unwrap().ecosystem, "Debian:4");
    assert_eq!(
        entry.ecosystem_specific.as_ref().unwrap()["urgency"],
        "high"
    );
}

#[test]
fn dsa_matches_vunnel_snapshots() {
    let root = "providers/debian/test-fixtures/";
    let archive = "anchore-vunnel-fixtures/test-fixtures.tar.gz";
    let input = members(archive, &[root, "input/DSA"]);
    let snapshots = members(archive, &[root, "snapshots/debian:"]);
    assert_eq!(input.len(), 1);
    let (path, data) = &input[0];
    let text = std::str::from_utf8(data).unwrap();
    let headers = text.lines().filter(|line| line.starts_with('[')).count();
    let converted = convert(&DebianDsa, Path::new(path), data).unwrap();
    assert!(converted.errors.is_empty(), "{:?}", converted.errors);
    assert_eq!(converted.advisories.len(), headers);

    // (release number, CVE) to the snapshot's FixedIn entries.
    let mut fixed_in: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for (path, data) in &snapshots {
        let release = path.split("snapshots/debian:").nth(1).unwrap();
        let release = release.split('/').next().unwrap().to_owned();
        let snapshot: Value = serde_json::from_slice(data).unwrap();
        let vulnerability = &snapshot["item"]["Vulnerability"];
        let cve = vulnerability["Name"].as_str().unwrap().to_owned();
        let entries = vulnerability["FixedIn"].as_array().unwrap().clone();
        fixed_in.insert((release, cve), entries);
    }

    // Every advisory vunnel names must be ours, with the same package,
    // fixed version and date.
    let mut compared = 0;
    for ((release, cve), entries) in &fixed_in {
        for entry in entries {
            let summaries = entry["VendorAdvisory"]["AdvisorySummary"]
                .as_array()
                .unwrap();
            for summary in summaries {
                let id = summary["ID"].as_str().unwrap();
                let advisory = converted
                    .advisories
                    .iter()
                    .find(|a| a.id == id)
                    .unwrap_or_else(|| panic!("{release} {cve}: no {id}"));
                assert!(advisory.upstream.contains(cve), "{id}");
                let package = entry["Name"].as_str().unwrap();
                let version = entry["Version"].as_str().unwrap();
                let ours = advisory.affected.iter().find(|a| {
                    let p = a.package.as_ref().unwrap();
                    p.ecosystem == format!("Debian:{release}") && p.name == package
                });
                assert_eq!(ours.and_then(fixed_of), Some(version), "{id}");
                let date = entry["Available"]["Date"].as_str().unwrap();
                assert_eq!(advisory.published.as_deref().unwrap()[..10], *date);
                compared += 1;
            }
        }
    }
    // And every fix of ours that vunnel's tracker data also has for a CVE
    // of the advisory must name the advisory.
    for advisory in &converted.advisories {
        for entry in &advisory.affected {
            let package = entry.package.as_ref().unwrap();
            let release = package.ecosystem.trim_start_matches("Debian:");
            for cve in &advisory.upstream {
                let Some(entries) = fixed_in.get(&(release.to_owned(), cve.clone())) else {
                    continue;
                };
                let same_fix = entries.iter().find(|e| {
                    e["Name"] == package.name.as_str() && e["Version"].as_str() == fixed_of(entry)
                });
                let Some(same_fix) = same_fix else {
                    continue;
                };
                let named = same_fix["VendorAdvisory"]["AdvisorySummary"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s["ID"] == advisory.id.as_str());
                assert!(named, "{} {cve}: vunnel does not name it", advisory.id);
            }
        }
    }
    assert!(compared >= 1, "{compared}");

    // The woody advisory of the input, without a revision suffix.
    let woody = converted
        .advisories
        .iter()
        .find(|a| a.id == "DSA-141")
        .unwrap();
    let package = woody.affected[0].package.as_ref().unwrap();
    assert_eq!(package.ecosystem, "Debian:3.0");
    assert_eq!(fixed_of(&woody.affected[0]), Some("1.5-7woody2"));
    // Notices without package lines are advisories without entries.
    let notice = converted
        .advisories
        .iter()
        .find(|a| a.id == "DSA-3281-1")
        .unwrap();
    assert!(notice.affected.is_empty());
}

#[test]
fn dsa_vuln_list_update_samples() {
    // The DLA list has a header without an advisory id after its one
    // advisory. That header is one error, and its CVE list goes with it.
    let archive = "vuln-list-update/testdata.tar.gz";
    let lists = members(archive, &["debian/tracker/testdata/", "/list"]);
    let lists: Vec<_> = lists.iter().filter(|(p, _)| !p.contains("/CVE/")).collect();
    assert_eq!(lists.len(), 3);
    let mut failed = 0;
    for (path, data) in lists {
        let text = std::str::from_utf8(data).unwrap();
        let headers: Vec<&str> = text.lines().filter(|line| line.starts_with('[')).collect();
        let malformed: Vec<&str> = headers
            .iter()
            .copied()
            .filter(|header| {
                let id = header.split("] ").nth(1).unwrap_or_default();
                !(id.starts_with("DSA-") || id.starts_with("DLA-"))
            })
            .collect();
        let converted = convert(&DebianDsa, Path::new(path), data).unwrap();
        assert_eq!(
            converted.advisories.len() + converted.errors.len(),
            headers.len(),
            "{path}"
        );
        assert_eq!(converted.errors.len(), malformed.len(), "{path}");
        for (error, header) in converted.errors.iter().zip(&malformed) {
            assert!(error.record.starts_with("line "), "{error}");
            assert!(error.reason.contains(header), "{error}");
        }
        failed += converted.errors.len();
        let well_formed: Vec<&str> = text
            .split(malformed.first().copied().unwrap_or("\0"))
            .collect();
        let expected = expected_from_text(well_formed[0]);
        for advisory in &converted.advisories {
            let want = &expected[&advisory.id];
            assert!(!want.fixed.is_empty(), "{path}");
            let fixed: BTreeSet<_> = advisory
                .affected
                .iter()
                .map(|entry| {
                    let package = entry.package.as_ref().unwrap();
                    let version = fixed_of(entry).unwrap().to_owned();
                    (package.ecosystem.clone(), package.name.clone(), version)
                })
                .collect();
            assert_eq!(fixed, want.fixed, "{path}");
            let upstream: BTreeSet<String> = advisory.upstream.iter().cloned().collect();
            assert_eq!(upstream, want.cves, "{path}");
        }
    }
    assert_eq!(failed, 1);
}

/// The first advisory of the corpus DSA list with its package line's
/// version replaced by `state`, followed by the second advisory unchanged.
fn first_two_with(state: &str) -> (String, Converted) {
    let path = corpus().join("debian-security-tracker/data/DSA/list");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().take(6).collect();
    assert_eq!(lines[2], "\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6");
    let changed = lines[2].replace("2:1.20.11-1+deb11u6", state);
    let input = [lines[0], lines[1], &changed, lines[3], lines[4], lines[5]].join("\n");
    let converted = convert(&DebianDsa, &path, input.as_bytes()).unwrap();
    (input, converted)
}

#[test]
fn dsa_package_states_map_to_statuses() {
    let cases = [
        (
            "<not-affected> (vulnerable code not present)",
            Some(Status::NotAffected),
        ),
        ("<unfixed>", Some(Status::Affected)),
        ("<no-dsa> (Minor issue)", Some(Status::Affected)),
        ("<ignored> (Minor issue)", Some(Status::WillNotFix)),
        (
            "<postponed> (Revisit when fixed upstream)",
            Some(Status::FixDeferred),
        ),
        ("<undetermined>", Some(Status::UnderInvestigation)),
        ("<end-of-life>", None),
        ("<itp> (bug #123)", None),
    ];
    for (state, status) in cases {
        let (_, converted) = first_two_with(state);
        assert!(
            converted.errors.is_empty(),
            "{state}: {:?}",
            converted.errors
        );
        assert_eq!(converted.advisories.len(), 2, "{state}");
        let advisory = &converted.advisories[0];
        let entry = advisory.affected.first();
        assert_eq!(entry.and_then(|e| e.status()), status, "{state}");
        if let Some(entry) = entry {
            assert_eq!(fixed_of(entry), None, "{state}");
            let ranges = entry.ranges.len();
            let expected_ranges = usize::from(status != Some(Status::NotAffected));
            assert_eq!(ranges, expected_ranges, "{state}");
        }
    }
    let (_, converted) = first_two_with("<ignored> (Minor issue)");
    let specific = converted.advisories[0].affected[0]
        .ecosystem_specific
        .clone();
    let specific = specific.unwrap();
    assert_eq!(specific["nodsa"], "Minor issue");
    assert_eq!(specific["nodsa_reason"], "ignored");
    let (_, converted) = first_two_with("<end-of-life>");
    let listed = end_of_life(&converted.advisories[0]);
    let expected = ("Debian:11".to_owned(), "xorg-server".to_owned());
    assert_eq!(listed, BTreeSet::from([expected]));
}

#[test]
fn dsa_bad_lines_are_reported() {
    let cases = [
        ("<bogus>", "unknown package state <bogus>"),
        ("1.0!", "1.0!"),
        ("1.0 extra", "unexpected text"),
    ];
    for (state, reason) in cases {
        let (_, converted) = first_two_with(state);
        assert_eq!(converted.errors.len(), 1, "{state}");
        assert_eq!(converted.advisories.len(), 1, "{state}");
        assert_eq!(converted.advisories[0].id, "DSA-5379-1", "{state}");
        let error = &converted.errors[0];
        assert_eq!(error.record, "DSA-5380-1", "{state}");
        assert!(error.reason.starts_with("line 3: "), "{state}: {error}");
        assert!(error.reason.contains(reason), "{state}: {error}");
    }

    // An unknown release, an unterminated CVE list and a bad date.
    let path = corpus().join("debian-security-tracker/data/DSA/list");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().take(6).collect();
    let mutations = [
        (
            2,
            lines[2].replace("[bullseye]", "[zork]"),
            "unknown release \"zork\"",
        ),
        (1, lines[1].replace('}', ""), "has no closing }"),
        (0, lines[0].replace("Mar", "Mrz"), "invalid date"),
    ];
    for (index, changed, reason) in mutations {
        let mut mutated = lines.clone();
        mutated[index] = &changed;
        let converted = convert(&DebianDsa, &path, mutated.join("\n").as_bytes()).unwrap();
        assert_eq!(converted.errors.len(), 1, "{changed}");
        assert!(
            converted.errors[0].reason.contains(reason),
            "{:?}",
            converted.errors
        );
        assert_eq!(converted.advisories.len(), 1, "{changed}");
    }

    // Invalid UTF-8 in a package line fails that advisory only.
    let mut bytes = lines[..3].join("\n").into_bytes();
    bytes.extend_from_slice(b" \xff\n");
    bytes.extend_from_slice(lines[3..].join("\n").as_bytes());
    let converted = convert(&DebianDsa, &path, &bytes).unwrap();
    assert_eq!(converted.errors.len(), 1);
    assert_eq!(converted.advisories.len(), 1);
}

#[test]
fn dsa_converter_is_registered() {
    let converter = converter_named("debian-dsa").expect("registered");
    let config = corpus().join("debian-security-tracker/data/config.json");
    let cpe = corpus().join("debian-security-tracker/data/CPE/list");
    for other in [config, cpe] {
        let data = std::fs::read(&other).unwrap();
        let head = &data[..data.len().min(4096)];
        assert!(!converter.detect(&other, head), "{}", other.display());
    }
}
