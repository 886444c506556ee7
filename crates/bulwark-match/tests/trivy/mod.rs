//! Test-only readers for Trivy's integration test data: its vulnerability
//! DB fixtures (bucket YAML) converted into OSV records, its expected
//! reports (`*.json.golden`), and its package list goldens.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use bulwark_inventory::{Os, Package, PackageKind};
use bulwark_osv::{Advisory, Affected, Event, PackageRef, Range, Status};
use serde_json::Value;

/// Unpacks the members of a `.tar.gz` whose path passes `keep` into `dest`.
pub fn unpack(archive: &Path, dest: &Path, keep: impl Fn(&str) -> bool) -> usize {
    let file =
        std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut count = 0;
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if !keep(&path) {
            continue;
        }
        let target = dest.join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        std::fs::write(target, data).unwrap();
        count += 1;
    }
    count
}

/// Maps a Trivy bucket name to an OSV ecosystem with release, or `None`
/// for sources this conversion does not cover.
pub fn ecosystem_of(bucket: &str) -> Option<String> {
    if let Some((prefix, _)) = bucket.split_once("::") {
        return Some(
            match prefix {
                "pip" => "PyPI",
                "npm" => "npm",
                "go" => "Go",
                "cargo" => "crates.io",
                "maven" => "Maven",
                "composer" => "Packagist",
                "rubygems" => "RubyGems",
                "nuget" => "NuGet",
                "pub" => "Pub",
                "erlang" => "Hex",
                "swift" => "SwiftURL",
                _ => return None,
            }
            .to_owned(),
        );
    }
    let (name, release) = bucket.rsplit_once(' ')?;
    Some(match name {
        "alpine" if release == "edge" => "Alpine:edge".to_owned(),
        "alpine" => format!("Alpine:v{release}"),
        "debian" => format!("Debian:{release}"),
        "ubuntu" => format!("Ubuntu:{release}"),
        "alma" => format!("AlmaLinux:{release}"),
        "rocky" => format!("Rocky Linux:{release}"),
        _ => return None,
    })
}

/// Converts one `VulnerableVersions` constraint (`>= 1.0, < 1.2`, `<= 3`,
/// `[2.9.0,2.9.10.7)`) into OSV events.
fn constraint_events(constraint: &str) -> Result<Vec<Event>, String> {
    let text = constraint.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(')')) {
        let (low, high) = inner.split_once(',').ok_or("invalid Maven range")?;
        return Ok(vec![
            Event::introduced(low.trim()),
            Event::fixed(high.trim()),
        ]);
    }
    let mut introduced = "0".to_owned();
    let mut upper = None;
    for part in text.split(',') {
        let part = part.trim();
        let (op, version) = ["<=", ">=", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or_else(|| format!("unsupported constraint {part:?}"))?;
        let version = version.to_owned();
        match op {
            ">=" => introduced = version,
            "<" => upper = Some(Event::fixed(version)),
            "<=" => upper = Some(Event::last_affected(version)),
            _ => return Err(format!("unsupported constraint {part:?}")),
        }
    }
    let mut events = vec![Event::introduced(introduced)];
    events.extend(upper);
    Ok(events)
}

/// Converts patched constraints (`>= 3.1.0`, `>= 2.1.3, < 3.0.0`) into the
/// events of the versions outside them.
fn complement_events(ecosystem: &str, patched: &[Value]) -> Result<Vec<Event>, String> {
    let scheme =
        bulwark_version::Scheme::for_ecosystem(&ecosystem.parse().map_err(|e| format!("{e}"))?);
    let mut intervals: Vec<(String, Option<String>)> = Vec::new();
    for constraint in patched {
        let mut low = None;
        let mut high = None;
        for part in constraint.as_str().unwrap_or_default().split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix(">=") {
                low = Some(v.trim().to_owned());
            } else if let Some(v) = part.strip_prefix('<') {
                high = Some(v.trim().to_owned());
            } else {
                return Err(format!("unsupported patched constraint {part:?}"));
            }
        }
        intervals.push((low.ok_or("patched constraint without a lower bound")?, high));
    }
    intervals.sort_by(|a, b| {
        bulwark_version::compare(scheme, &a.0, &b.0).unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut events = vec![Event::introduced("0")];
    for (low, high) in intervals {
        events.push(Event::fixed(low));
        if let Some(high) = high {
            events.push(Event::introduced(high));
        }
    }
    Ok(events)
}

/// Converts a fixture value into one `affected` entry.
fn affected_entry(ecosystem: &str, name: &str, value: &Value) -> Result<Affected, String> {
    let mut affected = Affected {
        package: Some(PackageRef {
            ecosystem: ecosystem.to_owned(),
            name: name.to_owned(),
            purl: None,
        }),
        ..Affected::default()
    };
    if let Some(constraints) = value.get("VulnerableVersions").and_then(Value::as_array) {
        for constraint in constraints {
            affected.ranges.push(Range {
                kind: "ECOSYSTEM".to_owned(),
                events: constraint_events(constraint.as_str().unwrap_or_default())?,
                ..Range::default()
            });
        }
        return Ok(affected);
    }
    if let Some(patched) = value.get("PatchedVersions").and_then(Value::as_array) {
        // Only patched ranges: every version outside them is vulnerable.
        affected.ranges.push(Range {
            kind: "ECOSYSTEM".to_owned(),
            events: complement_events(ecosystem, patched)?,
            ..Range::default()
        });
        return Ok(affected);
    }
    // Trivy's status numbers: 1 not affected, 4 under investigation,
    // 5 will not fix, 6 fix deferred, 7 end of life.
    let status = match value.get("Status").and_then(Value::as_u64) {
        Some(1) => Some(Status::NotAffected),
        Some(4) => Some(Status::UnderInvestigation),
        Some(5 | 7) => Some(Status::WillNotFix),
        Some(6) => Some(Status::FixDeferred),
        _ => None,
    };
    let fixed = value
        .get("FixedVersion")
        .and_then(Value::as_str)
        .filter(|f| !f.is_empty());
    if status != Some(Status::NotAffected) {
        let mut events = vec![Event::introduced("0")];
        events.extend(fixed.map(Event::fixed));
        affected.ranges.push(Range {
            kind: "ECOSYSTEM".to_owned(),
            events,
            ..Range::default()
        });
    }
    if let Some(status) = status {
        affected.set_status(status);
    }
    Ok(affected)
}

/// Converts every fixture file in `db_dir` into OSV advisories, one per
/// vulnerability id, and returns them with the buckets that were skipped.
pub fn convert_db(db_dir: &Path) -> (Vec<Advisory>, BTreeSet<String>) {
    let mut by_id: BTreeMap<String, Vec<Affected>> = BTreeMap::new();
    let mut skipped = BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(db_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let buckets: Value =
            yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for bucket in buckets.as_array().unwrap() {
            let name = bucket["bucket"].as_str().unwrap();
            let Some(ecosystem) = ecosystem_of(name) else {
                skipped.insert(name.to_owned());
                continue;
            };
            for package in bucket["pairs"].as_array().unwrap() {
                let package_name = package["bucket"].as_str().unwrap();
                for pair in package["pairs"].as_array().unwrap() {
                    let id = pair["key"].as_str().unwrap();
                    let entry = affected_entry(&ecosystem, package_name, &pair["value"])
                        .unwrap_or_else(|e| panic!("{name}/{package_name}/{id}: {e}"));
                    by_id.entry(id.to_owned()).or_default().push(entry);
                }
            }
        }
    }
    let advisories = by_id
        .into_iter()
        .map(|(id, affected)| {
            serde_json::from_value::<Advisory>(serde_json::json!({
                "id": id,
                "modified": "2020-01-01T00:00:00Z",
            }))
            .map(|mut advisory| {
                advisory.affected = affected;
                advisory
            })
            .unwrap()
        })
        .collect();
    (advisories, skipped)
}

/// One expected vulnerability of a golden report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub package: String,
    pub id: String,
    pub installed: String,
    /// `FixedVersion`, split at commas.
    pub fixed: BTreeSet<String>,
    pub purl: Option<String>,
}

/// Reads the vulnerabilities of a golden's results of `class`
/// (`os-pkgs` or `lang-pkgs`).
pub fn golden_vulnerabilities(golden: &Value, class: &str) -> Vec<Expected> {
    let mut out = Vec::new();
    for result in golden["Results"].as_array().into_iter().flatten() {
        if result["Class"] != class {
            continue;
        }
        for vulnerability in result["Vulnerabilities"].as_array().into_iter().flatten() {
            let text = |key: &str| vulnerability[key].as_str().unwrap_or_default().to_owned();
            out.push(Expected {
                package: text("PkgName"),
                id: text("VulnerabilityID"),
                installed: text("InstalledVersion"),
                // Patched constraints (`>= 2.1.0`) name their version.
                fixed: text("FixedVersion")
                    .split(',')
                    .map(|f| f.trim().trim_start_matches(">=").trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect(),
                purl: vulnerability["PkgIdentifier"]["PURL"]
                    .as_str()
                    .map(str::to_owned),
            });
        }
    }
    out
}

/// Maps Trivy's OS family to Bulwark's.
pub fn os_of(golden: &Value) -> Option<Os> {
    let os = &golden["Metadata"]["OS"];
    let family = match os["Family"].as_str()? {
        "alma" => "almalinux",
        other => other,
    };
    Some(Os {
        family: family.to_owned(),
        version: os["Name"].as_str()?.to_owned(),
        pretty_name: None,
        codename: None,
        distroless: false,
    })
}

fn kind_of_family(family: &str) -> PackageKind {
    match family {
        "alpine" => PackageKind::Apk,
        "debian" | "ubuntu" => PackageKind::Deb,
        _ => PackageKind::Rpm,
    }
}

fn joined(version: &str, release: &str) -> String {
    if release.is_empty() {
        version.to_owned()
    } else {
        format!("{version}-{release}")
    }
}

/// Builds the OS packages of a Trivy package-list golden.
pub fn packages_from_list(list: &Value, family: &str) -> Vec<Package> {
    let kind = kind_of_family(family);
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let text = |key: &str| p[key].as_str().unwrap_or_default();
            let epoch = p["Epoch"].as_u64().filter(|e| *e != 0);
            let mut package =
                Package::new(kind, text("Name"), joined(text("Version"), text("Release")));
            package.epoch = epoch.map(|e| e as u32);
            package.source_name = Some(text("SrcName").to_owned()).filter(|s| !s.is_empty());
            let source_version = joined(text("SrcVersion"), text("SrcRelease"));
            package.source_version = match p["SrcEpoch"].as_u64().filter(|e| *e != 0) {
                Some(epoch) => Some(format!("{epoch}:{source_version}")),
                None => Some(source_version),
            };
            package.id = format!("{}@{}", package.name, package.full_version());
            package
        })
        .collect()
}

/// Builds the OS packages named by a golden's vulnerabilities, from their
/// purls. `sources` maps binary to source package names where another
/// golden lists them; the goldens themselves do not.
pub fn packages_from_vulnerabilities(
    expected: &[Expected],
    family: &str,
    sources: &BTreeMap<String, String>,
) -> Vec<Package> {
    let kind = kind_of_family(family);
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    for vulnerability in expected {
        if !seen.insert((
            vulnerability.package.clone(),
            vulnerability.installed.clone(),
        )) {
            continue;
        }
        let (epoch, rest) = match vulnerability.installed.split_once(':') {
            Some((epoch, rest)) => (epoch.parse::<u32>().ok(), rest.to_owned()),
            None => (None, vulnerability.installed.clone()),
        };
        let (version, release) = match (kind, rest.rsplit_once('-')) {
            (PackageKind::Rpm, Some((v, r))) => (v.to_owned(), Some(r.to_owned())),
            _ => (rest, None),
        };
        let mut package = Package::new(kind, vulnerability.package.clone(), version);
        package.epoch = epoch.filter(|e| *e != 0);
        package.release = release;
        package.source_name = sources.get(&vulnerability.package).cloned();
        if kind == PackageKind::Deb {
            package.source_version = Some(package.full_version());
        }
        package.purl = vulnerability.purl.clone().unwrap_or_default();
        package.id = format!("{}@{}", package.name, package.full_version());
        packages.push(package);
    }
    packages
}
