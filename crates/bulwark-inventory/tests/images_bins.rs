//! End to end on the corpus `bins` image: a `cargo auditable` Rust
//! executable with its Cargo.lock, and two Go executables with their
//! go.mod files. The expected inventory is computed from the image's own
//! build inputs under `images/src/bins`, read at test time.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use bulwark_image::{Limits, Target, open_image};
use bulwark_inventory::{AnalyzerSet, PackageKind, inventory_image};
use support::corpus;

/// `(kind, name, version, location)` of one package.
type Row = (PackageKind, String, String, String);

fn row(kind: PackageKind, name: &str, version: &str, location: &str) -> Row {
    (
        kind,
        name.to_owned(),
        version.to_owned(),
        location.to_owned(),
    )
}

/// Computes the packages the build inputs put into the image.
fn expected_from_inputs(src: &Path) -> BTreeSet<Row> {
    let mut expected = BTreeSet::new();

    // Rust: every locked crate, from the lockfile copied to /src/rust-app.
    let lock_text = std::fs::read_to_string(src.join("rust-app/Cargo.lock")).expect("Cargo.lock");
    let lock: toml::Table = toml::from_str(&lock_text).expect("Cargo.lock is TOML");
    let locked: Vec<(String, String)> = lock["package"]
        .as_array()
        .expect("[[package]]")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!locked.is_empty());
    for (name, version) in &locked {
        expected.insert(row(
            PackageKind::Cargo,
            name,
            version,
            "src/rust-app/Cargo.lock",
        ));
    }
    // The executable, built for Linux, embeds the crates compiled into it:
    // all locked crates but the winapi family, which time 0.1 uses only on
    // Windows (`[target.'cfg(windows)'.dependencies]`).
    for (name, version) in locked.iter().filter(|(n, _)| !n.starts_with("winapi")) {
        expected.insert(row(
            PackageKind::Cargo,
            name,
            version,
            "usr/local/bin/corpus-rust-app",
        ));
    }

    // Go: the toolchain is the one the corpus manifest names for `bins`.
    let manifest =
        std::fs::read_to_string(corpus().join("images/MANIFEST.md")).expect("MANIFEST.md");
    let section = manifest
        .split("### (e) bins")
        .nth(1)
        .expect("bins section")
        .split("\n## ")
        .next()
        .unwrap();
    let toolchains: BTreeSet<&str> = section
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .filter(|w| w.starts_with("go1."))
        .collect();
    assert_eq!(toolchains.len(), 1, "{toolchains:?}");
    let stdlib = format!(
        "v{}",
        toolchains.iter().next().unwrap().trim_start_matches("go")
    );

    for app in ["go-app", "go-app-deps"] {
        let go_mod = std::fs::read_to_string(src.join(app).join("go.mod")).expect("go.mod");
        let module = go_mod
            .lines()
            .find_map(|l| l.strip_prefix("module "))
            .expect("module line")
            .trim();
        let requires: Vec<(&str, &str)> = go_mod
            .lines()
            .filter_map(|l| l.strip_prefix("require "))
            .map(|l| {
                let mut words = l.split_whitespace();
                (words.next().unwrap(), words.next().unwrap())
            })
            .collect();
        // go.mod: the main module, without a version, and its requirements.
        // `go 1.19` predates the toolchain semantics of Go 1.21, so the
        // file names no stdlib.
        let location = format!("src/{app}/go.mod");
        expected.insert(row(PackageKind::Golang, module, "", &location));
        // The executable: `go build` stamps the main module `(devel)`,
        // listed without a version, plus stdlib and every requirement.
        let binary = format!("usr/local/bin/corpus-{app}");
        expected.insert(row(PackageKind::Golang, module, "", &binary));
        expected.insert(row(PackageKind::Golang, "stdlib", &stdlib, &binary));
        for (path, version) in requires {
            expected.insert(row(PackageKind::Golang, path, version, &location));
            expected.insert(row(PackageKind::Golang, path, version, &binary));
        }
    }
    expected
}

#[test]
fn bins_image_lists_exactly_the_built_packages() {
    let layout = corpus().join("images/oci");
    let target = Target::parse(&format!("oci:{}:bins", layout.display())).expect("target");
    let image = open_image(&target, None, &Limits::default()).expect("open bins image");
    let inventory = inventory_image(&image, &Limits::default(), &AnalyzerSet::all());
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);

    let expected = expected_from_inputs(&corpus().join("images/src/bins"));
    // 11 locked crates, 8 embedded ones, per Go app the main module twice
    // and stdlib once, and github.com/pkg/errors in go.mod and executable.
    assert_eq!(expected.len(), 11 + 8 + 2 * 3 + 2);
    let got: BTreeSet<Row> = inventory
        .packages
        .iter()
        .map(|p| {
            (
                p.kind,
                p.name.clone(),
                p.version.clone(),
                p.locations.first().cloned().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(got.len(), inventory.packages.len(), "no duplicates");

    let find = |name: &str, location: &str| {
        inventory
            .packages
            .iter()
            .find(|p| p.name == name && p.locations.first().is_some_and(|l| l == location))
            .unwrap_or_else(|| panic!("{name} at {location}"))
    };
    let app = find("corpus-rust-app", "usr/local/bin/corpus-rust-app");
    assert_eq!(app.direct, Some(true));
    assert_eq!(app.purl, "pkg:cargo/corpus-rust-app@0.1.0");
    assert_eq!(
        app.depends_on.len(),
        3,
        "regex, smallvec and time: {:?}",
        app.depends_on
    );
    let stdlib = find("stdlib", "usr/local/bin/corpus-go-app-deps");
    assert!(
        stdlib.purl.starts_with("pkg:golang/stdlib@v1."),
        "{}",
        stdlib.purl
    );
    let errors = find("github.com/pkg/errors", "usr/local/bin/corpus-go-app-deps");
    assert_eq!(errors.purl, "pkg:golang/github.com/pkg/errors@v0.9.1");
    let main = find(
        "example.com/corpus/goappdeps",
        "usr/local/bin/corpus-go-app-deps",
    );
    assert_eq!(main.depends_on.len(), 2, "stdlib and github.com/pkg/errors");
    let lock_root = find("corpus-rust-app", "src/rust-app/Cargo.lock");
    assert_eq!(lock_root.direct, Some(true));
    let winapi = find("winapi", "src/rust-app/Cargo.lock");
    assert_eq!(winapi.direct, Some(false));
}
