//! PHP analyzers against the peers' fixtures: `composer.lock` and
//! `vendor/composer/installed.json`, compared with the packages the peers'
//! own tests expect.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::Package;
use bulwark_inventory::analyzers::{ComposerInstalledAnalyzer, ComposerLockAnalyzer};

use crate::fixtures::{
    Fixture, SCALIBR, SYFT, Source, TRIVY_FANAL, TRIVY_PARSER, assert_err, assert_flags,
    assert_names, expected, expected_purls, run, wants,
};

/// Shared helpers of the language tests: fixture loading, expectation
/// lookup and comparison. Each language test file carries its own copy,
/// and not every file uses every helper.
#[allow(dead_code)]
mod fixtures {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fs::File;
    use std::sync::{Arc, Mutex};

    use bulwark_image::{EntryInfo, EntryKind};
    use bulwark_inventory::{Analyzer, Fact, Package};

    use crate::support::{ExpectedRow, corpus, expected_rows};

    /// Where a peer keeps its fixtures and the test files that expect them.
    #[derive(Clone, Copy)]
    pub struct Source {
        pub peer: &'static str,
        pub archive: &'static str,
        /// Prefix of member paths in the archive, before the test directory.
        pub root: &'static str,
    }

    pub const TRIVY_PARSER: Source = Source {
        peer: "trivy",
        archive: "scan/trivy/dependency-parser-testdata.tar.gz",
        root: "trivy/",
    };
    pub const TRIVY_FANAL: Source = Source {
        peer: "trivy",
        archive: "scan/trivy/fanal-analyzer-testdata.tar.gz",
        root: "trivy/",
    };
    pub const SCALIBR: Source = Source {
        peer: "osv-scalibr",
        archive: "scan/osv-scalibr/extractor-language-testdata.tar.gz",
        root: "osv-scalibr/",
    };
    pub const SYFT: Source = Source {
        peer: "syft",
        archive: "scan/syft/pkg-cataloger-testdata.tar.gz",
        root: "syft/",
    };

    /// One fixture: the test directory of the peer (where its Go test
    /// lives) and the fixture path as that test names it.
    #[derive(Clone, Copy)]
    pub struct Fixture {
        pub source: Source,
        pub dir: &'static str,
        pub path: &'static str,
    }

    impl Fixture {
        pub fn member(&self) -> String {
            format!("{}{}/{}", self.source.root, self.dir, self.path)
        }

        pub fn data(&self) -> Vec<u8> {
            let member = self.member();
            let members = archive_members(self.source.archive);
            members
                .get(&member)
                .cloned()
                .unwrap_or_else(|| panic!("{member} not found in {}", self.source.archive))
        }
    }

    /// Test directories of interest; only their members are kept in memory.
    const KEEP: &[&str] = &[
        "/ruby/",
        "/php/",
        "/composer",
        "/dotnet/",
        "/nuget/",
        "/dart/",
        "/swift/",
        "/hex/",
        "/elixir/",
        "/erlang/",
        "/conan",
        "/cpp/",
        "/c/conan/",
    ];

    /// Archive members by path.
    type Members = BTreeMap<String, Vec<u8>>;

    fn archive_members(archive: &str) -> Arc<Members> {
        static CACHE: Mutex<BTreeMap<String, Arc<Members>>> = Mutex::new(BTreeMap::new());
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(archive.to_owned())
            .or_insert_with(|| Arc::new(load(archive)))
            .clone()
    }

    fn load(archive: &str) -> Members {
        use std::io::Read;
        let path = corpus().join(archive);
        let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let mut members = BTreeMap::new();
        for entry in tar.entries().expect("read corpus archive") {
            let mut entry = entry.expect("read corpus archive entry");
            let name = entry
                .path()
                .expect("entry path")
                .to_string_lossy()
                .into_owned();
            let name = name.trim_start_matches("./").to_owned();
            if !KEEP.iter().any(|k| name.contains(k)) || !entry.header().entry_type().is_file() {
                continue;
            }
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read member");
            members.insert(name, data);
        }
        members
    }

    /// The packages a peer's test expects from one fixture: rows of its own
    /// test case, or the rows of the variable that the case refers to.
    pub fn expected(fixture: &Fixture) -> Vec<ExpectedRow> {
        let prefix = format!("{}/", fixture.dir);
        let rows: Vec<ExpectedRow> = expected_rows(fixture.source.peer)
            .into_iter()
            .filter(|row| {
                row.test_file.starts_with(&prefix) && !row.test_file[prefix.len()..].contains('/')
            })
            .collect();
        let direct: Vec<ExpectedRow> = rows
            .iter()
            .filter(|row| {
                (row.via == "case" || row.via == "case-multi")
                    && row.fixture.split(" | ").any(|f| f == fixture.path)
            })
            .cloned()
            .collect();
        if !direct.is_empty() {
            return direct;
        }
        let variables: BTreeSet<&str> = rows
            .iter()
            .filter(|row| {
                row.fixture == fixture.path
                    && matches!(row.via.as_str(), "ref->want" | "ref->wantPkgs")
            })
            .map(|row| row.name.as_str())
            .collect();
        rows.iter()
            .filter(|row| {
                row.via
                    .strip_prefix("var:")
                    .is_some_and(|var| variables.contains(var))
            })
            .cloned()
            .collect()
    }

    /// Runs one analyzer on one fixture and returns its packages.
    pub fn run(analyzer: &dyn Analyzer, fixture: &Fixture) -> Vec<Package> {
        let member = fixture.member();
        analyzer
            .analyze(&member, &fixture.data())
            .unwrap_or_else(|e| panic!("{}: {member}: {e}", analyzer.name()))
            .into_iter()
            .filter_map(|fact| match fact {
                Fact::Package(package) => Some(package),
                _ => None,
            })
            .collect()
    }

    /// Asserts that the analyzer rejects a malformed fixture with a message.
    pub fn assert_err(analyzer: &dyn Analyzer, fixture: &Fixture) {
        let member = fixture.member();
        match analyzer.analyze(&member, &fixture.data()) {
            Ok(facts) => panic!("{member}: expected an error, got {} facts", facts.len()),
            Err(message) => assert!(!message.is_empty(), "{member}: empty error message"),
        }
    }

    /// Compares (name, version) sets. `not_expected` lists packages we
    /// report that the peer leaves out; each use carries its reason.
    pub fn assert_names(
        ours: &[Package],
        expected: &[ExpectedRow],
        not_expected: &[(&str, &str)],
        context: &str,
    ) {
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .map(|r| (r.name.clone(), r.version.clone()))
            .collect();
        assert!(
            !want.is_empty(),
            "{context}: no expected packages found in the peer's table"
        );
        let got: BTreeSet<(String, String)> = ours
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .filter(|(n, v)| !not_expected.contains(&(n.as_str(), v.as_str())))
            .collect();
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(missing.is_empty(), "{context}: missing {missing:?}");
        assert!(
            extra.is_empty(),
            "{context}: not expected by the peer {extra:?}"
        );
    }

    /// Checks the direct and dev flags wherever the peer states them:
    /// Trivy's `Relationship` and `Dev`, Syft's `Type` of NuGet locks.
    /// Returns how many flags were compared.
    pub fn assert_flags(ours: &[Package], expected: &[ExpectedRow], context: &str) -> usize {
        let mut checked = 0;
        for row in expected {
            let extra: serde_json::Value = serde_json::from_str(&row.extra).unwrap_or_default();
            let field = |key: &str| extra.get(key).and_then(|v| v.as_str()).unwrap_or_default();
            let direct = match (field("Relationship"), field("Type")) {
                (r, _) if r.ends_with("RelationshipDirect") => Some(true),
                (r, _) if r.ends_with("RelationshipIndirect") => Some(false),
                (_, "Direct") => Some(true),
                (_, "Transitive") => Some(false),
                _ => None,
            };
            let dev = (field("Dev") == "@true").then_some(true);
            if direct.is_none() && dev.is_none() {
                continue;
            }
            let package = ours
                .iter()
                .find(|p| p.name == row.name && p.version == row.version)
                .unwrap_or_else(|| panic!("{context}: {}@{} not found", row.name, row.version));
            if let Some(direct) = direct {
                assert_eq!(
                    package.direct,
                    Some(direct),
                    "{context}: direct flag of {}@{}",
                    row.name,
                    row.version
                );
                checked += 1;
            }
            if let Some(dev) = dev {
                assert_eq!(
                    package.dev,
                    Some(dev),
                    "{context}: dev flag of {}@{}",
                    row.name,
                    row.version
                );
                checked += 1;
            }
        }
        checked
    }

    /// Returns whether the analyzer wants a file at `path`.
    pub fn wants(analyzer: &dyn Analyzer, path: &str) -> bool {
        analyzer.wants(&EntryInfo {
            path,
            size: 100,
            mode: 0o644,
            kind: EntryKind::File,
            layer: 0,
        })
    }

    /// Syft's expected purls, from the `PURL` field of its rows.
    pub fn expected_purls(expected: &[ExpectedRow]) -> BTreeSet<String> {
        expected
            .iter()
            .filter_map(|row| {
                let extra: serde_json::Value = serde_json::from_str(&row.extra).ok()?;
                Some(extra.get("PURL")?.as_str()?.to_owned())
            })
            .collect()
    }
}

const TRIVY_COMPOSER: &str = "pkg/dependency/parser/php/composer";
const TRIVY_FANAL_COMPOSER: &str = "pkg/fanal/analyzer/language/php/composer";
const SCALIBR_COMPOSER: &str = "extractor/filesystem/language/php/composerlock";
const SYFT_PHP: &str = "syft/pkg/cataloger/php";

fn fixture(source: Source, dir: &'static str, path: &'static str) -> Fixture {
    Fixture { source, dir, path }
}

#[test]
fn composer_lock_trivy_happy() {
    let fixture = fixture(TRIVY_PARSER, TRIVY_COMPOSER, "testdata/composer_happy.lock");
    let ours = run(&ComposerLockAnalyzer, &fixture);
    let expected = expected(&fixture);
    assert_names(&ours, &expected, &[], fixture.path);
    let flags = assert_flags(&ours, &expected, fixture.path);
    assert!(flags > 0, "Trivy marks the packages-dev entries as dev");
    // Every package that Trivy does not mark as dev is a runtime package.
    for package in &ours {
        let dev_row = expected
            .iter()
            .any(|r| r.name == package.name && r.extra.contains("\"Dev\": \"@true\""));
        assert_eq!(package.dev, Some(dev_row), "dev flag of {}", package.name);
    }
}

/// Trivy's analyzer reads the neighbouring composer.json to tell direct
/// from indirect packages. Our analyzer reads one file, so only names,
/// versions and the dev flag are compared here.
#[test]
fn composer_lock_trivy_analyzer_fixtures() {
    for dir in [
        "happy",
        "no-composer-json",
        "wrong-composer-json",
        "with-dev",
    ] {
        let path: &'static str = format!("testdata/composer/{dir}/composer.lock").leak();
        let lock = fixture(TRIVY_FANAL, TRIVY_FANAL_COMPOSER, path);
        let ours = run(&ComposerLockAnalyzer, &lock);
        let table = fixture(
            TRIVY_FANAL,
            TRIVY_FANAL_COMPOSER,
            format!("testdata/composer/{dir}").leak(),
        );
        let expected = expected(&table);
        assert_names(&ours, &expected, &[], path);
        for row in expected
            .iter()
            .filter(|r| r.extra.contains("\"Dev\": \"@true\""))
        {
            let package = ours
                .iter()
                .find(|p| p.name == row.name)
                .expect("package present");
            assert_eq!(package.dev, Some(true), "{path}: dev flag of {}", row.name);
        }
    }
}

#[test]
fn composer_lock_scalibr_fixtures() {
    for path in [
        "testdata/drupal-packages.json",
        "testdata/duplicate-packages.json",
        "testdata/one-package.json",
        "testdata/one-package-dev.json",
        "testdata/two-packages.json",
        "testdata/two-packages-alt.json",
    ] {
        let fixture = fixture(SCALIBR, SCALIBR_COMPOSER, path);
        assert_names(
            &run(&ComposerLockAnalyzer, &fixture),
            &expected(&fixture),
            &[],
            path,
        );
    }
}

#[test]
fn composer_lock_scalibr_dev_section() {
    let fixture = fixture(SCALIBR, SCALIBR_COMPOSER, "testdata/one-package-dev.json");
    let ours = run(&ComposerLockAnalyzer, &fixture);
    assert_eq!(ours.len(), 1);
    assert_eq!(
        ours[0].dev,
        Some(true),
        "the only package sits in packages-dev"
    );
}

/// Syft leaves `packages-dev` out by default; Trivy reports them marked
/// as dev, and so do we. Only our runtime packages are compared with Syft.
#[test]
fn composer_lock_syft_purls_and_licenses() {
    let fixture = fixture(SYFT, SYFT_PHP, "testdata/composer.lock");
    let (dev, ours): (Vec<Package>, Vec<Package>) = run(&ComposerLockAnalyzer, &fixture)
        .into_iter()
        .partition(|p| p.dev == Some(true));
    assert!(!dev.is_empty(), "the fixture has packages-dev entries");
    let expected = expected(&fixture);
    assert_names(&ours, &expected, &[], fixture.path);
    let purls: BTreeSet<String> = ours.iter().map(|p| p.purl.clone()).collect();
    assert_eq!(purls, expected_purls(&expected));
    // Syft gives each of these packages a license set.
    for package in &ours {
        assert!(
            !package.licenses.is_empty(),
            "{} has no license",
            package.name
        );
    }
}

/// `require` edges must point at packages of the same lockfile, and
/// platform requirements (`php`, `ext-*`) must not appear.
#[test]
fn composer_lock_edges_name_locked_packages() {
    let fixture = fixture(TRIVY_PARSER, TRIVY_COMPOSER, "testdata/composer_happy.lock");
    let ours = run(&ComposerLockAnalyzer, &fixture);
    let locked: BTreeSet<String> = ours
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let edges: Vec<&String> = ours.iter().flat_map(|p| &p.depends_on).collect();
    assert!(!edges.is_empty(), "guzzle requires other packages");
    for edge in edges {
        assert!(
            locked.contains(edge),
            "edge {edge} does not name a locked package"
        );
    }
}

#[test]
fn composer_lock_empty_sections_give_nothing() {
    let fixture = fixture(SCALIBR, SCALIBR_COMPOSER, "testdata/empty.json");
    assert!(run(&ComposerLockAnalyzer, &fixture).is_empty());
}

/// OSV-SCALIBR reads a JSON `null` as an empty lockfile. Composer always
/// writes an object, so `null` is not a lockfile and is reported.
#[test]
fn composer_lock_malformed_is_error() {
    assert_err(
        &ComposerLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_COMPOSER, "testdata/not-json.txt"),
    );
    assert_err(
        &ComposerLockAnalyzer,
        &fixture(SCALIBR, SCALIBR_COMPOSER, "testdata/null.jsontest"),
    );
    assert_err(
        &ComposerLockAnalyzer,
        &fixture(
            TRIVY_FANAL,
            TRIVY_FANAL_COMPOSER,
            "testdata/composer/sad/composer.lock",
        ),
    );
}

fn installed(source: Source, dir: &'static str, path: &'static str) -> (Vec<Package>, Fixture) {
    let fixture = fixture(source, dir, path);
    (run(&ComposerInstalledAnalyzer, &fixture), fixture)
}

#[test]
fn installed_json_trivy_happy() {
    let (ours, fixture) = installed(
        TRIVY_FANAL,
        TRIVY_FANAL_COMPOSER,
        "testdata/composer-vendor/happy/installed.json",
    );
    assert_names(&ours, &expected(&fixture), &[], fixture.path);
}

#[test]
fn installed_json_syft_composer_1_and_2() {
    for path in [
        "testdata/vendor/composer_1/installed.json",
        "testdata/vendor/composer_2/installed.json",
    ] {
        let (ours, fixture) = installed(SYFT, SYFT_PHP, path);
        let expected = expected(&fixture);
        assert_names(&ours, &expected, &[], path);
        let purls: BTreeSet<String> = ours.iter().map(|p| p.purl.clone()).collect();
        assert_eq!(purls, expected_purls(&expected), "{path}");
    }
}

/// Composer 2 lists development packages in `dev-package-names`; Composer 1
/// records nothing, so the flag stays unknown there.
#[test]
fn installed_json_dev_flag_follows_format() {
    let (v1, _) = installed(SYFT, SYFT_PHP, "testdata/vendor/composer_1/installed.json");
    assert!(v1.iter().all(|p| p.dev.is_none()));
    let (v2, fixture) = installed(SYFT, SYFT_PHP, "testdata/vendor/composer_2/installed.json");
    let document: serde_json::Value =
        serde_json::from_slice(&fixture.data()).expect("JSON fixture");
    let dev_names: BTreeSet<&str> = document["dev-package-names"]
        .as_array()
        .expect("Composer 2 fixture lists dev packages")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for package in &v2 {
        assert_eq!(
            package.dev,
            Some(dev_names.contains(package.name.as_str())),
            "{}",
            package.name
        );
    }
}

#[test]
fn installed_json_malformed_is_error() {
    assert_err(
        &ComposerInstalledAnalyzer,
        &fixture(
            TRIVY_FANAL,
            TRIVY_FANAL_COMPOSER,
            "testdata/composer-vendor/sad/installed.json",
        ),
    );
}

#[test]
fn php_wants_real_paths() {
    assert!(wants(&ComposerLockAnalyzer, "srv/app/composer.lock"));
    assert!(!wants(&ComposerLockAnalyzer, "srv/app/composer.json"));
    assert!(wants(
        &ComposerInstalledAnalyzer,
        "srv/app/vendor/composer/installed.json"
    ));
    assert!(wants(
        &ComposerInstalledAnalyzer,
        "vendor/composer/installed.json"
    ));
    assert!(!wants(&ComposerInstalledAnalyzer, "srv/app/installed.json"));
    assert!(!wants(
        &ComposerInstalledAnalyzer,
        "srv/app/vendor/composer/installed.php"
    ));
}
