//! Rust analyzers (`Cargo.lock`, `cargo auditable` executables) against
//! the peers' fixtures and expectations, read from the corpus archives at
//! test time.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;

use bulwark_image::{EntryInfo, EntryKind};
use bulwark_inventory::analyzers::{CargoLockAnalyzer, RustBinaryAnalyzer};
use bulwark_inventory::{Analyzer, Package};
use support::{ExpectedRow, corpus, expected_rows, found, members, name_versions, packages, txtar};

const TRIVY_PARSERS: &str = "scan/trivy/dependency-parser-testdata.tar.gz";
const TRIVY_ANALYZERS: &str = "scan/trivy/fanal-analyzer-testdata.tar.gz";
const SCALIBR: &str = "scan/osv-scalibr/extractor-language-testdata.tar.gz";
const SYFT: &str = "scan/syft/pkg-cataloger-testdata.tar.gz";

/// The rows a peer expects for one fixture of one test file: rows of
/// `case` tests naming the fixture, plus the rows of every variable that
/// a `ref->want…` row maps the fixture to.
fn expected_for(rows: &[ExpectedRow], test_file: &str, fixture: &str) -> Vec<ExpectedRow> {
    let mut out: Vec<ExpectedRow> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.fixture == fixture && r.via == "case")
        .cloned()
        .collect();
    let variables: BTreeSet<&str> = rows
        .iter()
        .filter(|r| {
            r.test_file == test_file
                && r.fixture == fixture
                && (r.via == "ref->want" || r.via == "ref->wantPkgs")
        })
        .map(|r| r.name.as_str())
        .collect();
    let dir = test_file.rsplit_once('/').map_or("", |(d, _)| d);
    out.extend(
        rows.iter()
            .filter(|r| r.test_file.starts_with(dir))
            .filter(|r| {
                r.via
                    .strip_prefix("var:")
                    .is_some_and(|v| variables.contains(v))
            })
            .cloned(),
    );
    out
}

fn entry(path: &str, size: u64, mode: u32, kind: EntryKind) -> EntryInfo<'_> {
    EntryInfo {
        path,
        size,
        mode,
        kind,
        layer: 0,
    }
}

/// Returns the `direct` flag a peer's relationship value implies, where it states
/// one: the root and direct dependencies are direct, indirect ones not.
fn expected_direct(extra: &str) -> Option<bool> {
    if extra.contains("RelationshipRoot") || extra.contains("RelationshipDirect") {
        Some(true)
    } else if extra.contains("RelationshipIndirect") {
        Some(false)
    } else {
        None
    }
}

/// Checks the `direct` flag of every package for which the peer states a
/// relationship, and returns how many were checked.
fn check_direct_flags(found: &[Package], expected: &[ExpectedRow], context: &str) -> usize {
    let mut checked = 0;
    for row in expected {
        let Some(want) = expected_direct(&row.extra) else {
            continue;
        };
        let package = found
            .iter()
            .find(|p| p.name == row.name && p.version == row.version)
            .unwrap_or_else(|| panic!("{context}: {} {} not found", row.name, row.version));
        assert_eq!(
            package.direct,
            Some(want),
            "{context}: direct flag of {} {}",
            row.name,
            row.version
        );
        checked += 1;
    }
    checked
}

#[test]
fn cargo_lock_matches_trivy_parser_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/rust/cargo/parse_test.go";
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/rust/cargo/testdata/",
    );
    let mut checked = 0;
    for fixture in ["cargo_normal.lock", "cargo_mixed.lock", "cargo_v3.lock"] {
        let data = &files[&format!("trivy/pkg/dependency/parser/rust/cargo/testdata/{fixture}")];
        let expected = name_versions(&expected_for(
            &rows,
            test_file,
            &format!("testdata/{fixture}"),
        ));
        assert!(!expected.is_empty(), "{fixture}: no expectations");
        let got = packages(&CargoLockAnalyzer, "Cargo.lock", data).expect(fixture);
        assert_eq!(found(&got), expected, "{fixture}");
        checked += expected.len();
    }
    assert_eq!(checked, 8 + 8 + 9);
}

#[test]
fn cargo_lock_v1_dependencies_resolve_to_versions() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_normal.lock",
    );
    let data = files.values().next().expect("fixture");
    let got = packages(&CargoLockAnalyzer, "Cargo.lock", data).expect("parse");
    // The v1 entry `url 1.7.2 (registry+…)` lists idna, matches and
    // percent-encoding with versions and sources.
    let url = got.iter().find(|p| p.name == "url").expect("url");
    let text = String::from_utf8_lossy(data);
    let listed: BTreeSet<String> = text
        .split("name = \"url\"")
        .nth(1)
        .and_then(|rest| rest.split("dependencies = [").nth(1))
        .and_then(|rest| rest.split(']').next())
        .expect("url entry")
        .lines()
        .filter_map(|l| l.trim().strip_prefix('"'))
        .map(|l| {
            let mut words = l.split_whitespace();
            format!("{}@{}", words.next().unwrap(), words.next().unwrap())
        })
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(
        url.depends_on.iter().cloned().collect::<BTreeSet<_>>(),
        listed
    );
}

#[test]
fn cargo_lock_rejects_invalid_trivy_fixtures() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_invalid.lock",
    );
    let data = files.values().next().expect("fixture");
    let error = packages(&CargoLockAnalyzer, "Cargo.lock", data).expect_err("cargo_invalid.lock");
    assert!(error.contains("TOML"), "{error}");

    let sad = members(
        TRIVY_ANALYZERS,
        "trivy/pkg/fanal/analyzer/language/rust/cargo/testdata/sad.txtar",
    );
    let lock = &txtar(sad.values().next().unwrap())["Cargo.lock"];
    assert!(packages(&CargoLockAnalyzer, "Cargo.lock", lock).is_err());
}

#[test]
fn cargo_lock_matches_scalibr_fixtures() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/rust/cargolock/cargolock_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/";
    let files = members(SCALIBR, prefix);
    let fixtures: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "case")
        .map(|r| r.fixture.as_str())
        .collect();
    assert_eq!(
        fixtures.len(),
        7,
        "fixtures with expectations: {fixtures:?}"
    );
    for fixture in &fixtures {
        let expected = name_versions(&expected_for(&rows, test_file, fixture));
        assert!(!expected.is_empty(), "{fixture}");
        let name = fixture.trim_start_matches("testdata/");
        let got = packages(
            &CargoLockAnalyzer,
            "Cargo.lock",
            &files[&format!("{prefix}{name}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(found(&got), expected, "{fixture}");
    }
    let empty = packages(
        &CargoLockAnalyzer,
        "Cargo.lock",
        &files[&format!("{prefix}empty.lock")],
    );
    assert_eq!(empty.expect("empty.lock").len(), 0);
    assert!(
        packages(
            &CargoLockAnalyzer,
            "Cargo.lock",
            &files[&format!("{prefix}not-toml.txt")]
        )
        .is_err()
    );
}

#[test]
fn cargo_lock_matches_syft_fixtures() {
    let rows = expected_rows("syft");
    let test_file = "syft/pkg/cataloger/rust/parse_cargo_lock_test.go";
    let prefix = "syft/syft/pkg/cataloger/rust/";
    let files = members(SYFT, prefix);
    let mut checked = 0;
    for fixture in [
        "testdata/Cargo.lock",
        "testdata/Cargo.lock-with-git-deps",
        "testdata/path-deps/Cargo.lock",
    ] {
        let expected = name_versions(&expected_for(&rows, test_file, fixture));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &CargoLockAnalyzer,
            "Cargo.lock",
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(found(&got), expected, "{fixture}");
        checked += expected.len();
    }
    assert!(checked >= 25);
}

#[test]
fn cargo_lock_git_and_registry_copies_are_both_listed() {
    let files = members(
        SYFT,
        "syft/syft/pkg/cataloger/rust/testdata/Cargo.lock-with-git-deps",
    );
    let got = packages(
        &CargoLockAnalyzer,
        "Cargo.lock",
        files.values().next().unwrap(),
    )
    .unwrap();
    let regex: Vec<&Package> = got.iter().filter(|p| p.name == "regex").collect();
    // The lockfile holds regex 1.11.1 twice: from crates.io and from git.
    assert_eq!(regex.len(), 2);
}

/// The Trivy analyzer reads `Cargo.toml` next to the lockfile to tell the
/// root, direct and indirect crates apart and to drop crates unreachable
/// from the root. The analyzer here reads the lockfile alone and
/// approximates the root by the crates without a `source`.
#[test]
fn cargo_lock_direct_flags_match_trivy_analyzer() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/rust/cargo/cargo_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/rust/cargo/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);

    // Without Cargo.toml, Trivy lists every locked crate, as we do.
    let expected = name_versions(&expected_for(
        &rows,
        test_file,
        "testdata/no-cargo-toml.txtar",
    ));
    assert!(!expected.is_empty());
    let lock = &txtar(&files[&format!("{prefix}no-cargo-toml.txtar")])["Cargo.lock"];
    assert_eq!(
        found(&packages(&CargoLockAnalyzer, "Cargo.lock", lock).unwrap()),
        expected
    );

    // With Cargo.toml, Trivy drops the dev-dependency winapi and the two
    // crates only it pulls in: this fixture's lockfile does not list
    // winapi under the root, so nothing reaches them. Cargo itself never
    // writes unreachable crates to a lockfile.
    let unreachable: BTreeSet<(String, String)> = [
        ("winapi", "0.3.9"),
        ("winapi-i686-pc-windows-gnu", "0.4.0"),
        ("winapi-x86_64-pc-windows-gnu", "0.4.0"),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect();
    let happy = expected_for(&rows, test_file, "testdata/happy.txtar");
    assert!(!happy.is_empty());
    let lock = &txtar(&files[&format!("{prefix}happy.txtar")])["Cargo.lock"];
    let got = packages(&CargoLockAnalyzer, "Cargo.lock", lock).unwrap();
    let got_set: BTreeSet<_> = found(&got).difference(&unreachable).cloned().collect();
    assert_eq!(got_set, name_versions(&happy));
    let checked = check_direct_flags(&got, &happy, "happy.txtar");
    assert_eq!(checked, happy.len());
    for (name, version) in &unreachable {
        let package = got
            .iter()
            .find(|p| &p.name == name && &p.version == version)
            .unwrap();
        assert_eq!(package.direct, Some(false), "{name}");
    }
}

/// Trivy's workspace fixtures mark members from `Cargo.toml`; the lockfile
/// lists the same crates, so the sets agree while the flags come from the
/// lockfile alone.
#[test]
fn cargo_lock_workspaces_match_trivy_analyzer() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/rust/cargo/cargo_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/rust/cargo/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);
    for fixture in [
        "toml-workspace-members.txtar",
        "toml-workspace-glob.txtar",
        "toml-only-workspace-deps.txtar",
        "version-workspace-inherit.txtar",
        "wrong-cargo-toml.txtar",
    ] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"));
        assert!(!expected.is_empty(), "{fixture}");
        let lock = &txtar(&files[&format!("{prefix}{fixture}")])["Cargo.lock"];
        let got = packages(&CargoLockAnalyzer, "Cargo.lock", lock).unwrap();
        assert_eq!(found(&got), name_versions(&expected), "{fixture}");
        check_direct_flags(&got, &expected, fixture);
    }
}

#[test]
fn cargo_lock_analyzer_wants_lockfiles_only() {
    let analyzer = CargoLockAnalyzer;
    assert!(analyzer.wants(&entry("Cargo.lock", 10, 0o644, EntryKind::File)));
    assert!(analyzer.wants(&entry("src/app/Cargo.lock", 10, 0o644, EntryKind::File)));
    assert!(!analyzer.wants(&entry("src/app/Cargo.toml", 10, 0o644, EntryKind::File)));
    assert!(!analyzer.wants(&entry("src/app/NotCargo.lock", 10, 0o644, EntryKind::File)));
}

#[test]
fn rust_binary_matches_trivy_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/rust/binary/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/rust/binary/testdata/";
    let files = members(TRIVY_PARSERS, prefix);
    for fixture in ["test.elf", "test.exe", "test.macho"] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &RustBinaryAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(found(&got), name_versions(&expected), "{fixture}");
        check_direct_flags(&got, &expected, fixture);
    }
    let dummy = packages(
        &RustBinaryAnalyzer,
        "dummy",
        &files[&format!("{prefix}dummy")],
    );
    assert_eq!(dummy.expect("dummy is not an executable").len(), 0);
}

#[test]
fn rust_binary_matches_trivy_analyzer_fixture() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/rust/binary/binary_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/rust/binary/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);
    let expected = expected_for(&rows, test_file, "testdata/executable_rust");
    assert!(!expected.is_empty());
    let got = packages(
        &RustBinaryAnalyzer,
        "executable_rust",
        &files[&format!("{prefix}executable_rust")],
    )
    .unwrap();
    assert_eq!(found(&got), name_versions(&expected));
    check_direct_flags(&got, &expected, "executable_rust");
    for name in ["executable_bash", "broken_elf", "0755"] {
        let got = packages(
            &RustBinaryAnalyzer,
            name,
            &files[&format!("{prefix}{name}")],
        );
        assert_eq!(got.expect(name).len(), 0, "{name}");
    }
}

/// Trivy's `Required` table: executable files and `.exe` files are read,
/// other regular files and symlinks are not.
#[test]
fn rust_binary_wants_match_trivy_required_table() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/rust/binary/binary_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/rust/binary/testdata/";
    let path = corpus().join(TRIVY_ANALYZERS);
    let file = File::open(&path).unwrap();
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut headers: BTreeMap<String, (u32, u64, EntryKind)> = BTreeMap::new();
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if let Some(name) = name.strip_prefix(prefix) {
            let header = entry.header();
            let kind = if header.entry_type().is_symlink() {
                EntryKind::Symlink
            } else {
                EntryKind::File
            };
            headers.insert(
                name.to_owned(),
                (header.mode().unwrap(), header.size().unwrap(), kind),
            );
        }
    }
    let cases: Vec<&ExpectedRow> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "ref->want")
        .collect();
    assert!(cases.len() >= 4);
    for case in cases {
        let name = case.fixture.trim_start_matches("testdata/");
        let (mode, size, kind) = headers[name];
        // Empty fixtures stand for files of any size.
        let info = entry(name, size.max(1), mode, kind);
        assert_eq!(
            RustBinaryAnalyzer.wants(&info),
            case.name == "true",
            "{name} mode {mode:o}"
        );
    }
}

#[test]
fn rust_binary_matches_scalibr_fixtures() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/rust/cargoauditable/cargoauditable_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/rust/cargoauditable/";
    let files = members(SCALIBR, prefix);
    for fixture in [
        "testdata/uses_serde_json/uses_serde_json",
        "testdata/no_deps/no_deps",
    ] {
        let expected = name_versions(&expected_for(&rows, test_file, fixture));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &RustBinaryAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap();
        assert_eq!(found(&got), expected, "{fixture}");
    }
    let not_binary = &files[&format!("{prefix}testdata/not_binary/not_binary")];
    assert_eq!(
        packages(&RustBinaryAnalyzer, "not_binary", not_binary)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn rust_binary_root_and_its_dependencies_are_direct() {
    let files = members(
        SCALIBR,
        "osv-scalibr/extractor/filesystem/language/rust/cargoauditable/testdata/uses_serde_json/",
    );
    let got = packages(&RustBinaryAnalyzer, "bin", files.values().next().unwrap()).unwrap();
    let root = got.iter().find(|p| p.name == "uses_json").unwrap();
    assert_eq!(root.direct, Some(true));
    let direct: BTreeSet<&str> = got
        .iter()
        .filter(|p| p.direct == Some(true))
        .map(|p| p.name.as_str())
        .collect();
    let root_deps: BTreeSet<&str> = root
        .depends_on
        .iter()
        .map(|d| d.split('@').next().unwrap())
        .chain(["uses_json"])
        .collect();
    assert_eq!(direct, root_deps);
    assert!(
        got.iter()
            .all(|p| p.purl == format!("pkg:cargo/{}@{}", p.name, p.version))
    );
}

/// Cuts a real executable at many lengths and flips bytes inside its
/// `.dep-v0` section: every variant must give a result or an error,
/// never a panic, and a damaged section must give an error.
#[test]
fn rust_binary_survives_truncated_and_corrupted_input() {
    let files = members(
        SCALIBR,
        "osv-scalibr/extractor/filesystem/language/rust/cargoauditable/testdata/uses_serde_json/",
    );
    let data = files.values().next().unwrap().clone();
    for len in (0..data.len())
        .step_by(data.len() / 97 + 1)
        .chain([1, 4, 16, 63, 64, 65])
    {
        let _ = RustBinaryAnalyzer.analyze("bin", &data[..len]);
    }

    let file = object::File::parse(&*data).unwrap();
    let section = object::Object::section_by_name(&file, ".dep-v0").expect(".dep-v0 section");
    let (offset, size) = object::ObjectSection::file_range(&section).unwrap();
    let (offset, size) = (offset as usize, size as usize);
    let mut corrupt = data.clone();
    for byte in &mut corrupt[offset + 2..offset + size] {
        *byte ^= 0x5a;
    }
    let error = RustBinaryAnalyzer
        .analyze("bin", &corrupt)
        .expect_err("corrupt section");
    assert!(error.contains(".dep-v0"), "{error}");

    // A section whose JSON names a dependency index past the list.
    let json = br#"{"packages":[{"name":"a","version":"1.0.0","source":"local","dependencies":[7],"root":true}]}"#;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, json).unwrap();
    let compressed = encoder.finish().unwrap();
    assert!(compressed.len() <= size, "replacement must fit the section");
    let mut bad_index = data.clone();
    bad_index[offset..offset + compressed.len()].copy_from_slice(&compressed);
    let error = RustBinaryAnalyzer
        .analyze("bin", &bad_index)
        .expect_err("bad index");
    assert!(error.contains("index 7"), "{error}");
}
