//! RustSec native advisories against RustSec's own OSV export: for every
//! advisory in both archives, the affected ranges must be the same set of
//! versions.

mod common;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

use bulwark_osv::Advisory;
use bulwark_vulndb::feeds::FeedConverter;
use bulwark_vulndb::feeds::rustsec::RustSec;
use common::{convert, members};
use semver::Version;

/// (introduced, fixed) pairs with parsed versions; `None` is unbounded.
type Spans = Vec<(Version, Option<Version>)>;

fn parse(version: &str) -> Version {
    match version {
        "0" => Version::parse("0.0.0-0").unwrap(),
        other => Version::parse(other).unwrap_or_else(|e| panic!("{other}: {e}")),
    }
}

/// Returns the affected spans of an advisory's SEMVER ranges, sorted.
fn spans(advisory: &Advisory) -> Spans {
    let mut out = Vec::new();
    for affected in &advisory.affected {
        for range in &affected.ranges {
            assert_eq!(range.kind, "SEMVER", "{}", advisory.id);
            let mut start = None;
            for event in &range.events {
                if let Some(introduced) = &event.introduced {
                    start = Some(parse(introduced));
                } else if let Some(end) = event.fixed.as_ref().or(event.last_affected.as_ref()) {
                    let mut end = parse(end);
                    if event.last_affected.is_some() {
                        end.patch += 1;
                        end.pre = semver::Prerelease::new("0").unwrap();
                    }
                    out.push((start.take().expect("fixed without introduced"), Some(end)));
                }
            }
            if let Some(start) = start {
                out.push((start, None));
            }
        }
    }
    // An empty span affects no version; RustSec's export writes some.
    out.retain(|(start, end)| end.as_ref().is_none_or(|end| start < end));
    out.sort_by(|a, b| {
        a.0.cmp(&b.0).then(match (&a.1, &b.1) {
            (Some(x), Some(y)) => x.cmp(y),
            (None, None) => Ordering::Equal,
            (None, _) => Ordering::Greater,
            (_, None) => Ordering::Less,
        })
    });
    out
}

/// Advisories whose ranges we convert differently on purpose, and why.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "RUSTSEC-2020-0055",
    "unaffected \"> 0\" is Cargo's >0.*.*, so affected is [0.0.0-0, 1.0.0-0); \
     the export reads it as > 0.0.0",
)];

#[test]
fn rustsec_ranges_match_rustsec_osv_export() {
    let natives = members(
        "rustsec-advisory-db/native-advisories.tar.gz",
        &["/crates/", ".md"],
    );
    let exports = members(
        "rustsec-advisory-db/osv-crates.tar.gz",
        &["/crates/RUSTSEC-", ".json"],
    );
    assert!(natives.len() > 1000, "{}", natives.len());
    let golden: BTreeMap<String, Advisory> = exports
        .iter()
        .map(|(path, data)| {
            let advisory: Advisory =
                serde_json::from_slice(data).unwrap_or_else(|e| panic!("{path}: {e}"));
            (advisory.id.clone(), advisory)
        })
        .collect();

    let converter = RustSec;
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (path, data) in &natives {
        assert!(
            converter.detect(Path::new(path), &data[..data.len().min(4096)]),
            "{path}"
        );
        let converted = convert(&converter, Path::new(path), data).unwrap();
        assert!(
            converted.errors.is_empty(),
            "{path}: {:?}",
            converted.errors
        );
        let ours = &converted.advisories[0];
        let Some(theirs) = golden.get(&ours.id) else {
            continue;
        };
        compared += 1;
        assert_eq!(ours.aliases, theirs.aliases, "{}", ours.id);
        assert_eq!(
            ours.withdrawn.is_some(),
            theirs.withdrawn.is_some(),
            "{}",
            ours.id
        );
        let ours_package = ours.affected[0].package.as_ref().unwrap();
        let theirs_package = theirs.affected[0].package.as_ref().unwrap();
        assert_eq!(ours_package.name, theirs_package.name, "{}", ours.id);
        assert_eq!(
            ours_package.ecosystem, theirs_package.ecosystem,
            "{}",
            ours.id
        );
        if EXCEPTIONS.iter().any(|(id, _)| *id == ours.id) {
            continue;
        }
        if spans(ours) != spans(theirs) {
            mismatches.push(format!(
                "{}: ours {:?}, theirs {:?}",
                ours.id,
                spans(ours),
                spans(theirs)
            ));
        }
    }
    assert!(compared > 1000, "{compared}");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn rustsec_bad_front_matter_is_a_record_error() {
    let converter = RustSec;
    for (text, expected) in [
        ("# no front matter", "missing the ```toml"),
        ("```toml\n[advisory]\nid = \"X\"\n", "not closed"),
        (
            "```toml\n[advisory]\nid = \"X\"\n```\n",
            "invalid front matter",
        ),
        (
            "```toml\n[advisory]\nid = \"X\"\npackage = \"p\"\ndate = \"2020-01-01\"\n[versions]\npatched = [\">= one\"]\n```\n",
            "invalid version requirement",
        ),
    ] {
        let converted = convert(&converter, Path::new("crates/p/X.md"), text.as_bytes()).unwrap();
        assert!(converted.advisories.is_empty());
        assert_eq!(converted.errors.len(), 1);
        assert_eq!(converted.errors[0].record, "crates/p/X.md");
        assert!(
            converted.errors[0].reason.contains(expected),
            "{}",
            converted.errors[0]
        );
    }
}
