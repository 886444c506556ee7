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
mod fixtures;

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
