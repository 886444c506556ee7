//! Writer tests on a real inventory: the Alpine 3.19.4 minirootfs from the
//! shared corpus, read with the inventory crate. Cases the real data lacks
//! (expressions, names off the SPDX list, control characters) are set on
//! its packages and the results checked against the SPDX and CycloneDX
//! rules, with the official validators run through
//! `tests/validate_sbom.py` (interpreter from `BULWARK_PYTHON`, default
//! `python3`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use bulwark_inventory::{AnalyzerSet, Inventory};
use bulwark_report::{
    DocumentMeta, SbomFormat, render_sbom, write_cyclonedx, write_spdx_json, write_table,
};
use serde_json::Value;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root exists")
}

/// A directory under the system temporary directory, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "bulwark-report-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("create a scratch directory");
        Self(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unpacks the Alpine 3.19.4 minirootfs from the shared corpus.
fn unpack_alpine_minirootfs() -> ScratchDir {
    let tarball = repo_root()
        .join("../shared/corpus/scan/alpine-minirootfs/alpine-minirootfs-3.19.4-x86_64.tar.gz");
    assert!(
        tarball.is_file(),
        "{} is missing: it comes with ../shared/corpus",
        tarball.display()
    );
    let root = ScratchDir::new();
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&root.0)
        .status()
        .expect("run tar");
    assert!(
        status.success(),
        "tar failed to unpack {}",
        tarball.display()
    );
    root
}

fn inventory_of(root: &Path) -> Inventory {
    let inventory =
        bulwark_inventory::inventory_directory(root, &Default::default(), &AnalyzerSet::all())
            .expect("read the minirootfs");
    assert!(
        inventory.packages.len() > 5,
        "the minirootfs lists its apk packages"
    );
    inventory
}

/// Reads the Alpine 3.19.4 minirootfs into an inventory.
fn alpine_inventory() -> Inventory {
    inventory_of(&unpack_alpine_minirootfs().0)
}

fn meta() -> DocumentMeta {
    DocumentMeta::new(None, Some("2024-01-02T03:04:05Z"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("output is JSON")
}

/// Runs `tests/validate_sbom.py` and fails with its findings.
fn assert_valid(format: &str, document: &str) {
    let dir = ScratchDir::new();
    let path = dir.0.join(if format == "cyclonedx" {
        "bom.cdx.json"
    } else {
        "bom.spdx.json"
    });
    std::fs::write(&path, document).expect("write the document");
    let python = std::env::var("BULWARK_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let output = Command::new(&python)
        .arg(repo_root().join("tests/validate_sbom.py"))
        .arg(format)
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "failed to run {python} ({e}): install tests/python-requirements.txt in a \
                 venv and set BULWARK_PYTHON to its python"
            )
        });
    assert_ne!(
        output.status.code(),
        Some(3),
        "the SBOM validators are not installed for {python}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{format} document is invalid (exit {}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// License strings as package metadata states them: Debian copyright
/// short names and free text from the Debian test images, expressions
/// from npm and PyPI metadata, and deprecated SPDX ids.
const LICENSE_STRINGS: &[&str] = &[
    "GPL-2+",
    "GPL-2",
    "GPL-2.0+",
    "LGPL-2.1+",
    "Expat",
    "BSD-3-clause",
    "public-domain",
    "GPL-3+ with Bison exception",
    "BSD-3-clause and/or GPL-3+",
    "MIT/X11",
    "MIT X11",
    "MIT OR Apache-2.0",
    "(MIT OR Apache-2.0) AND BSD-3-Clause",
    "LicenseRef-Proprietary",
    "MPL-1.1+",
    "",
];

/// Reads the minirootfs and gives each package a slice of
/// [`LICENSE_STRINGS`], so that single licenses, lists and mixes all occur.
fn inventory_with_license_strings() -> Inventory {
    let mut inventory = alpine_inventory();
    let count = LICENSE_STRINGS.len();
    for (i, package) in inventory.packages.iter_mut().enumerate() {
        let start = i % count;
        let len = 1 + i % 4;
        package.licenses = (start..start + len)
            .map(|j| LICENSE_STRINGS[j % count].to_owned())
            .collect();
    }
    // One package carries every string at once.
    inventory.packages[0].licenses = LICENSE_STRINGS.iter().map(|s| (*s).to_owned()).collect();
    inventory
}

#[test]
fn same_inventory_gives_same_bytes() {
    let root = unpack_alpine_minirootfs();
    let first = inventory_of(&root.0);
    let second = inventory_of(&root.0);
    let formats = [
        SbomFormat::Table,
        SbomFormat::Json,
        SbomFormat::CycloneDx,
        SbomFormat::SpdxJson,
    ];
    for format in formats {
        let a = render_sbom(format, &first, &meta());
        let b = render_sbom(format, &second, &meta());
        assert!(!a.is_empty(), "{format:?}");
        assert_eq!(a, b, "{format:?}");
    }
}

#[test]
fn serial_and_namespace_follow_content() {
    let inventory = alpine_inventory();
    let identifiers = |inventory: &Inventory, meta: &DocumentMeta| {
        let cdx = parse(&write_cyclonedx(inventory, meta));
        let spdx = parse(&write_spdx_json(inventory, meta));
        (
            cdx["serialNumber"].as_str().expect("serial").to_owned(),
            spdx["documentNamespace"]
                .as_str()
                .expect("namespace")
                .to_owned(),
        )
    };
    let original = identifiers(&inventory, &meta());
    assert_eq!(original, identifiers(&inventory.clone(), &meta()));

    let mut shorter = inventory.clone();
    shorter.packages.pop();
    let changed = identifiers(&shorter, &meta());
    assert_ne!(changed.0, original.0);
    assert_ne!(changed.1, original.1);

    let mut relicensed = inventory.clone();
    relicensed.packages[0].licenses = vec!["Apache-2.0".to_owned()];
    assert_ne!(identifiers(&relicensed, &meta()).0, original.0);

    let later = DocumentMeta::new(Some(1_800_000_000), None);
    assert_ne!(identifiers(&inventory, &later).0, original.0);
}

#[test]
fn license_strings_give_valid_spdx() {
    let inventory = inventory_with_license_strings();
    let text = write_spdx_json(&inventory, &meta());
    assert_valid("spdx-json", &text);
    let document = parse(&text);

    let extracted: BTreeMap<&str, &str> = document["hasExtractedLicensingInfos"]
        .as_array()
        .expect("names off the SPDX list are extracted")
        .iter()
        .map(|info| {
            (
                info["licenseId"].as_str().expect("licenseId"),
                info["name"].as_str().expect("name"),
            )
        })
        .collect();
    // Distinct names never share an id: `MIT/X11` and `MIT X11` both clean
    // up to `MIT-X11`.
    let names: BTreeSet<&str> = extracted.values().copied().collect();
    assert_eq!(names.len(), extracted.len(), "{extracted:?}");
    for name in ["MIT/X11", "MIT X11", "public-domain"] {
        assert!(
            names.contains(name),
            "{name} is not extracted: {extracted:?}"
        );
    }

    for package in document["packages"].as_array().expect("packages") {
        let Some(declared) = package["licenseDeclared"].as_str() else {
            continue;
        };
        if declared == "NOASSERTION" {
            continue;
        }
        let expression = spdx::Expression::parse(declared)
            .unwrap_or_else(|e| panic!("{declared:?} is not an SPDX expression: {e}"));
        for requirement in expression.requirements() {
            if let spdx::LicenseItem::Spdx { id, .. } = requirement.req.license {
                assert!(
                    !id.is_deprecated(),
                    "{declared:?} uses deprecated {}",
                    id.name
                );
            }
        }
    }
    // `GPL-2+` and `GPL-2.0+` are the same license and appear once.
    let everything = document["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == inventory.packages[0].name.as_str())
        .expect("package with every string");
    let declared = everything["licenseDeclared"].as_str().expect("declared");
    assert_eq!(
        declared.matches("GPL-2.0-or-later").count(),
        1,
        "{declared}"
    );
}

#[test]
fn license_strings_give_valid_cyclonedx() {
    let inventory = inventory_with_license_strings();
    let text = write_cyclonedx(&inventory, &meta());
    assert_valid("cyclonedx", &text);
    let document = parse(&text);
    let components = document["components"].as_array().expect("components");
    let everything = components
        .iter()
        .find(|c| c["bom-ref"] == inventory.packages[0].id.as_str())
        .expect("component of the first package");
    let licenses = everything["licenses"].as_array().expect("licenses");
    // The strings include names off the SPDX list, so the list form is
    // used, one entry per distinct license.
    assert!(licenses.iter().all(|l| l.get("license").is_some()));
    let ids: Vec<&str> = licenses
        .iter()
        .filter_map(|l| l["license"]["id"].as_str())
        .collect();
    for id in [
        "GPL-2.0-or-later",
        "GPL-2.0-only",
        "LGPL-2.1-or-later",
        "MIT",
    ] {
        assert_eq!(
            ids.iter().filter(|i| **i == id).count(),
            1,
            "{id} in {ids:?}"
        );
    }
}

#[test]
fn expressions_alone_become_one_cyclonedx_expression() {
    let mut inventory = alpine_inventory();
    inventory.packages[0].licenses = vec![
        "(MIT OR Apache-2.0) AND BSD-3-Clause".to_owned(),
        "Zlib".to_owned(),
    ];
    let text = write_cyclonedx(&inventory, &meta());
    assert_valid("cyclonedx", &text);
    let document = parse(&text);
    let component = document["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["bom-ref"] == inventory.packages[0].id.as_str())
        .expect("component");
    let expression = component["licenses"][0]["expression"]
        .as_str()
        .expect("one expression");
    assert!(spdx::Expression::parse(expression).is_ok(), "{expression}");
    assert_eq!(component["licenses"].as_array().map(Vec::len), Some(1));
}

#[test]
fn dependency_cycle_stays_reachable() {
    let mut inventory = alpine_inventory();
    let count = inventory.packages.len();
    let first = inventory.packages[count - 2].id.clone();
    let second = inventory.packages[count - 1].id.clone();
    for package in &mut inventory.packages {
        package.depends_on.retain(|d| *d != first && *d != second);
    }
    inventory.packages[count - 2].depends_on = vec![second.clone()];
    inventory.packages[count - 1].depends_on = vec![first.clone()];

    let text = write_cyclonedx(&inventory, &meta());
    assert_valid("cyclonedx", &text);
    let document = parse(&text);
    let edges: BTreeMap<&str, Vec<&str>> = document["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .map(|d| {
            let targets = d["dependsOn"]
                .as_array()
                .expect("dependsOn")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            (d["ref"].as_str().expect("ref"), targets)
        })
        .collect();
    let mut reached = BTreeSet::new();
    let mut stack = vec!["bulwark:target"];
    while let Some(reference) = stack.pop() {
        if reached.insert(reference) {
            stack.extend(edges.get(reference).into_iter().flatten());
        }
    }
    for id in [&first, &second] {
        assert!(reached.contains(id.as_str()), "{id} is unreachable");
    }
    for component in document["components"].as_array().expect("components") {
        let reference = component["bom-ref"].as_str().expect("bom-ref");
        assert!(reached.contains(reference), "{reference} is unreachable");
    }
}

#[test]
fn empty_purl_is_left_out() {
    let mut inventory = alpine_inventory();
    inventory.packages[0].purl.clear();
    let cdx = parse(&write_cyclonedx(&inventory, &meta()));
    let component = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .find(|c| c["bom-ref"] == inventory.packages[0].id.as_str())
        .expect("component");
    assert!(component.get("purl").is_none());
    let spdx = write_spdx_json(&inventory, &meta());
    assert_valid("spdx-json", &spdx);
    assert!(!spdx.contains("\"referenceLocator\": \"\""));
}

#[test]
fn table_escapes_control_characters() {
    let mut inventory = alpine_inventory();
    inventory.packages[0].name = "evil\u{1b}]0;title\u{7}".to_owned();
    let table = write_table(&inventory);
    assert!(!table.contains('\u{1b}'), "{table}");
    assert!(!table.contains('\u{7}'), "{table}");
    assert!(table.contains("evil\\u{1b}]0;title\\u{7}"), "{table}");
}
