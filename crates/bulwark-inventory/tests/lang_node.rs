//! Node.js analyzers against the peers' fixtures: every fixture of each
//! peer test file is read, and the packages found are compared with the
//! peer's expected rows (`EXPECTED-from-go-tests.tsv`), read at test time.
//! Where we differ on purpose, the difference is listed next to the case
//! with the reason.

mod lang_peers;
mod support;

use bulwark_inventory::analyzers::{
    BunLockAnalyzer, NpmLockAnalyzer, NpmPackageJsonAnalyzer, PnpmLockAnalyzer, YarnLockAnalyzer,
};
use bulwark_inventory::{Analyzer, Fact, Package};
use lang_peers::{
    Archive, Differences, Ecosystem, PeerTest, SCALIBR, SYFT, TRIVY_FANAL, TRIVY_PARSER,
};

/// Why local code of the project is not listed from a lockfile.
const LOCAL: &str = "local `file:`, `link:` and workspace directories are the project's own \
                     code, not published packages; Trivy leaves them out too";

/// Why the project itself is not listed from a lockfile.
const ROOT: &str = "the project itself is listed from its package.json, not from the lockfile";

/// Why a directory fixture also lists its project.
const PROJECT: &str = "the directory's package.json is the project itself, listed as an \
                       application as Trivy lists it";

/// Why declared dependencies of a manifest are not listed.
const DECLARED: &str = "scalibr's test turns each declared range into its lowest version; a \
                        manifest's ranges do not say what is installed";

/// Why development packages are listed where a peer leaves them out.
const DEV_LISTED: &str = "the peer leaves development packages out by default; they are listed \
                          here, marked dev";

/// Why packages declared by an importer but absent from `packages` are
/// listed.
const IMPORTER_ONLY: &str = "the importer pins it to an exact version, but this truncated \
                             fixture has no `packages` entry for it; syft lists such packages \
                             too";

fn node_analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(NpmPackageJsonAnalyzer),
        Box::new(NpmLockAnalyzer),
        Box::new(YarnLockAnalyzer),
        Box::new(PnpmLockAnalyzer),
        Box::new(BunLockAnalyzer),
    ]
}

fn peer_test(
    archive: Archive,
    test_file: &'static str,
    analyzer: &'static dyn Analyzer,
) -> PeerTest {
    PeerTest::new(
        archive,
        test_file,
        analyzer,
        Ecosystem::Node,
        node_analyzers,
    )
}

#[test]
fn package_json_matches_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/nodejs/packagejson/parse_test.go",
        &NpmPackageJsonAnalyzer,
    )
    .errors(&[
        "testdata/invalid_package.json",
        "testdata/invalid_name.json",
    ])
    .run(9);
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/nodejs/pkg/pkg_test.go",
        &NpmPackageJsonAnalyzer,
    )
    .errors(&["testdata/sad.json"])
    .run(1);
}

#[test]
fn package_json_matches_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/parse_package_json_test.go",
        &NpmPackageJsonAnalyzer,
    )
    .errors(&["testdata/corrupt/package.json"])
    .run(15);
}

#[test]
fn package_json_matches_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/javascript/packagejson/packagejson_test.go",
        &NpmPackageJsonAnalyzer,
    )
    .errors(&["testdata/invalid"])
    .differences(
        Differences::new()
            .missing(
                "testdata/package-with-deps.json",
                &[
                    "dep1@1.0.0",
                    "dep2@2.0.1",
                    "dep3@3.1.0",
                    "dep4@0.4.2",
                    "dep5@5.0.0",
                    "dep7@1.0.0",
                ],
                DECLARED,
            )
            .missing("testdata/duplicate-keys.json", &["my-dep@1.0.0"], DECLARED),
    )
    .run(4);
}

#[test]
fn package_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/nodejs/npm/parse_test.go",
        &NpmLockAnalyzer,
    )
    .run(8);
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/nodejs/npm/npm_test.go",
        &NpmLockAnalyzer,
    )
    .errors(&["testdata/sad"])
    .run(2);
}

#[test]
fn package_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/parse_package_lock_test.go",
        &NpmLockAnalyzer,
    )
    .errors(&["testdata/corrupt/package-lock.json"])
    .differences(
        Differences::new()
            .missing(
                "testdata/pkg-lock/alias-package-lock-1.json",
                &["alias-check@1.0.0"],
                ROOT,
            )
            .missing(
                "testdata/pkg-lock/alias-package-lock-2.json",
                &["alias-check@1.0.0"],
                ROOT,
            )
            .missing(
                "testdata/pkg-lock/array-license-package-lock.json",
                &["tmp@1.0.0"],
                ROOT,
            )
            .missing(
                "testdata/pkg-lock/package-lock-2.json",
                &["npm@6.14.6"],
                ROOT,
            )
            .missing(
                "testdata/pkg-lock/package-lock-3.json",
                &["lock-v3-fixture@1.0.0"],
                ROOT,
            )
            .dev_omitted("testdata/pkg-lock/nested-package-lock-1.json", DEV_LISTED)
            .dev_omitted("testdata/pkg-lock/package-lock-2.json", DEV_LISTED)
            .dev_omitted("testdata/pkg-lock/package-lock-3.json", DEV_LISTED),
    )
    .run(6);
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/cataloger_test.go",
        &NpmLockAnalyzer,
    )
    .skip(&[(
        "testdata/glob-paths",
        "empty placeholder files for syft's file-glob test",
    )])
    .run(1);
}

#[test]
fn package_locks_match_scalibr() {
    for test_file in [
        "extractor/filesystem/language/javascript/packagelockjson/packagelockjson-v1_test.go",
        "extractor/filesystem/language/javascript/packagelockjson/packagelockjson-v2_test.go",
        "extractor/filesystem/language/javascript/packagelockjson/packagelockjson_test.go",
    ] {
        peer_test(SCALIBR, test_file, &NpmLockAnalyzer)
            .errors(&["testdata/not-json.txt", "testdata/null.v2.jsontest"])
            .differences(Differences::new().missing(
                "testdata/files.v2.json",
                &["etag@1.8.0"],
                "a local directory entry with neither a `name` nor a link naming it",
            ))
            .run(3);
    }
}

#[test]
fn yarn_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/nodejs/yarn/parse_test.go",
        &YarnLockAnalyzer,
    )
    .differences(
        Differences::new()
            .extra(
                "testdata/yarn_v2_happy.lock",
                &["fsevents@2.1.3"],
                "the `patch:` entry installs fsevents 2.1.3 with Yarn's compatibility patch \
                 applied; Trivy leaves patched packages out",
            )
            .extra(
                "testdata/yarn_with_bad_protocol.lock",
                &["asap@2.0.6"],
                "an unknown range protocol does not change what was installed; Trivy drops \
                 the entry",
            ),
    )
    .run(5);
    let dev = "Trivy takes development flags from package.json; an analyzer of yarn.lock \
               does not see it, and the lockfile does not record them (dev stays unknown)";
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/nodejs/yarn/yarn_test.go",
        &YarnLockAnalyzer,
    )
    .tolerate_errors(&["testdata/wrong-packagejson"])
    .differences(
        Differences::new()
            .dev("testdata/alias", &["undici-types@5.26.5"], dev)
            .dev(
                "testdata/happy",
                &["prop-types@15.7.2", "react-is@16.13.1"],
                dev,
            )
            .dev("testdata/latest-version", &["js-tokens@9.0.0"], dev)
            .dev(
                "testdata/monorepo",
                &[
                    "object-assign@4.1.1",
                    "prettier@2.8.8",
                    "prop-types@15.8.1",
                    "react-is@16.13.1",
                ],
                dev,
            ),
    )
    .run(5);
}

#[test]
fn yarn_locks_match_syft() {
    let renamed = "this synthetic entry's header names c0n-fab_u.laTION and its `resolved` URL \
                   something-i-made-up; the header is what Yarn installs, syft reads the URL";
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/parse_yarn_lock_test.go",
        &YarnLockAnalyzer,
    )
    .skip(&[(
        "testdata/yarn-remote/registry_response.json",
        "an npm API response for syft's online license lookup",
    )])
    .differences(
        Differences::new()
            .missing(
                "testdata/yarn/yarn.lock",
                &["something-i-made-up@7.7.7"],
                renamed,
            )
            .extra(
                "testdata/yarn/yarn.lock",
                &["c0n-fab_u.laTION@7.7.7"],
                renamed,
            )
            .missing(
                "testdata/yarn-v1-deps/yarn.lock",
                &["something-i-made-up@7.7.7"],
                renamed,
            )
            .extra(
                "testdata/yarn-v1-deps/yarn.lock",
                &["c0n-fab_u.laTION@7.7.7"],
                renamed,
            )
            .missing(
                "testdata/yarn-berry/yarn.lock",
                &["c0n-fab_u.laTION@7.7.7"],
                LOCAL,
            )
            .extra(
                "testdata/yarn-dups/yarn.lock",
                &["resize-observer-polyfill@1.5.2"],
                "syft names this entry after its registry URL (the scoped \
                 @4lolo/resize-observer-polyfill, which the table cannot hold); the \
                 lockfile's own `name` is used here",
            )
            .extra("testdata/yarn-dev-deps", &["test-project@1.0.0"], PROJECT)
            .extra(
                "testdata/yarn-berry-dev-deps",
                &["test-project@1.0.0"],
                PROJECT,
            ),
    )
    .run(6);
}

#[test]
fn yarn_locks_match_scalibr() {
    for test_file in [
        "extractor/filesystem/language/javascript/yarnlock/yarnlock-v1_test.go",
        "extractor/filesystem/language/javascript/yarnlock/yarnlock-v2_test.go",
    ] {
        peer_test(SCALIBR, test_file, &YarnLockAnalyzer)
            .differences(
                Differences::new()
                    .missing(
                        "testdata/files.v1.lock",
                        &[
                            "filedep@1.2.0",
                            "other_package@0.0.2",
                            "sprintf-js@0.0.0",
                            "etag@1.8.0",
                        ],
                        LOCAL,
                    )
                    .missing("testdata/files.v2.lock", &["my-package@0.0.2"], LOCAL),
            )
            .run(5);
    }
}

#[test]
fn pnpm_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/nodejs/pnpm/parse_test.go",
        &PnpmLockAnalyzer,
    )
    .differences(
        Differences::new()
            .missing(
                "testdata/pnpm-lock_archives.yaml",
                &["package1@1.0.0"],
                LOCAL,
            )
            .dev_omitted("testdata/pnpm-lock_many.yaml", DEV_LISTED)
            .dev_omitted("testdata/pnpm-lock_v6_with_dev.yaml", DEV_LISTED)
            .dev_omitted("testdata/pnpm-lock_with_dev.yaml", DEV_LISTED),
    )
    .run(9);
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/nodejs/pnpm/pnpm_test.go",
        &PnpmLockAnalyzer,
    )
    .errors(&["testdata/sad"])
    .run(3);
}

#[test]
fn pnpm_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/parse_pnpm_lock_test.go",
        &PnpmLockAnalyzer,
    )
    .errors(&["testdata/corrupt/pnpm-lock.yaml"])
    .skip(&[(
        "testdata/pnpm-remote/registry_response.json",
        "an npm API response for syft's online license lookup",
    )])
    .differences(
        Differences::new()
            .missing(
                "testdata/pnpm-multi-doc/pnpm-lock.yaml",
                &["pnpm@12.0.0-rc.3"],
                "the first document pins the package manager itself, which is not installed \
                 into the project; Trivy leaves it out too",
            )
            .dev_omitted("testdata/pnpm/pnpm-lock.yaml", DEV_LISTED),
    )
    .run(5);
}

#[test]
fn pnpm_locks_match_scalibr() {
    for test_file in [
        "extractor/filesystem/language/javascript/pnpmlock/pnpmlock_test.go",
        "extractor/filesystem/language/javascript/pnpmlock/pnpmlock-v9_test.go",
    ] {
        peer_test(SCALIBR, test_file, &PnpmLockAnalyzer)
            .errors(&["testdata/not-yaml.txt"])
            .differences(
                Differences::new()
                    .missing(
                        "testdata/files.yaml",
                        &[
                            "a-local-package@1.0.0",
                            "a-nested-local-package@1.0.0",
                            "one-up@1.0.0",
                            "one-up-with-peer@1.0.0",
                        ],
                        LOCAL,
                    )
                    .extra("testdata/invalid-path.yaml", &["test@1.2.3"], IMPORTER_ONLY)
                    .extra(
                        "testdata/invalid-paths.yaml",
                        &["test@1.2.3"],
                        IMPORTER_ONLY,
                    )
                    .extra(
                        "testdata/multiple-versions.v9.yaml",
                        &["aws-sdk@2.1602.0"],
                        IMPORTER_ONLY,
                    )
                    .extra(
                        "testdata/multiple-versions.yaml",
                        &["aws-sdk@2.1087.0"],
                        IMPORTER_ONLY,
                    )
                    .extra(
                        "testdata/peer-dependencies-advanced.yaml",
                        &["typescript@4.6.2"],
                        IMPORTER_ONLY,
                    ),
            )
            .run(5);
    }
}

#[test]
fn bun_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/nodejs/bun/parse_test.go",
        &BunLockAnalyzer,
    )
    .errors(&["testdata/bun_invalid.lock"])
    .run(2);
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/nodejs/bun/bun_test.go",
        &BunLockAnalyzer,
    )
    .errors(&["testdata/sad"])
    .run(2);
}

#[test]
fn bun_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/javascript/parse_bun_lock_test.go",
        &BunLockAnalyzer,
    )
    .run(1);
}

#[test]
fn bun_locks_match_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/javascript/bunlock/bunlock_test.go",
        &BunLockAnalyzer,
    )
    .errors(&["testdata/not-json.txt"])
    .run(12);
}

fn analyze(analyzer: &dyn Analyzer, path: &str, text: &str) -> Vec<Package> {
    analyzer
        .analyze(path, text.as_bytes())
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_iter()
        .filter_map(|f| match f {
            Fact::Package(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn find<'a>(packages: &'a [Package], name: &str, version: &str) -> &'a Package {
    packages
        .iter()
        .find(|p| p.name == name && p.version == version)
        .unwrap_or_else(|| panic!("{name}@{version} not found in {packages:#?}"))
}

/// The corpus tables cannot check scoped names (see `lang_peers`), so
/// they are checked here on the peers' own fixtures.
#[test]
fn scoped_packages_keep_their_scope() {
    let text = support::read_member(
        "scan/osv-scalibr/extractor-language-testdata.tar.gz",
        "osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/scoped-packages.v1.json",
    );
    let packages = analyze(
        &NpmLockAnalyzer,
        "package-lock.json",
        &String::from_utf8_lossy(&text),
    );
    let babel = find(&packages, "@babel/code-frame", "7.0.0");
    assert_eq!(babel.purl, "pkg:npm/%40babel/code-frame@7.0.0");
    let text = support::read_member(
        "scan/trivy/fanal-analyzer-testdata.tar.gz",
        "trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy/node_modules/@babel/parser/package.json",
    );
    let packages = analyze(
        &NpmPackageJsonAnalyzer,
        "app/node_modules/@babel/parser/package.json",
        &String::from_utf8_lossy(&text),
    );
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0].name, "@babel/parser");
}

/// Trivy's tables give dependency edges (`npmDeps`); a few are checked
/// here, resolved through nested `node_modules` directories.
#[test]
fn package_lock_edges_follow_node_resolution() {
    let text = support::read_member(
        "scan/trivy/dependency-parser-testdata.tar.gz",
        "trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json",
    );
    let packages = analyze(
        &NpmLockAnalyzer,
        "package-lock.json",
        &String::from_utf8_lossy(&text),
    );
    let debug = find(&packages, "debug", "2.5.2");
    assert_eq!(debug.depends_on, vec!["ms@0.7.2"]);
    assert_eq!(debug.dev, Some(true));
    assert_eq!(debug.direct, Some(true));
    let finalhandler = find(&packages, "finalhandler", "1.1.1");
    assert!(finalhandler.depends_on.contains(&"debug@2.6.9".to_owned()));
    assert_eq!(find(&packages, "ms", "2.0.0").direct, Some(false));
}

#[test]
fn yarn_berry_and_classic_alias_and_patch_entries() {
    let classic = "# yarn lockfile v1\n\n\
        \"string-width-cjs@npm:string-width@^4.2.0\":\n  version \"4.2.3\"\n\n\
        \"filedep@file:../x\":\n  version \"1.0.0\"\n";
    let packages = analyze(&YarnLockAnalyzer, "yarn.lock", classic);
    assert_eq!(packages.len(), 1);
    assert_eq!(
        (packages[0].name.as_str(), packages[0].version.as_str()),
        ("string-width", "4.2.3")
    );
    let berry = "__metadata:\n  version: 6\n\n\
        \"resolve@npm:^1.22.1\":\n  version: 1.22.1\n  resolution: \"resolve@npm:1.22.1\"\n\n\
        \"resolve@patch:resolve@npm%3A^1.22.1#~builtin<compat/resolve>\":\n  version: 1.22.1\n  \
        resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1\"\n\n\
        \"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n  \
        dependencies:\n    resolve: \"patch:resolve@npm%3A^1.22.1#~builtin<compat/resolve>\"\n";
    let packages = analyze(&YarnLockAnalyzer, "yarn.lock", berry);
    assert_eq!(packages.len(), 1, "{packages:#?}");
    assert_eq!(packages[0].name, "resolve");
}

#[test]
fn pnpm_v9_dev_flags_come_from_the_importers() {
    let lock = "lockfileVersion: '9.0'\n\
        importers:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0\n    \
        devDependencies:\n      b:\n        specifier: ^2\n        version: 2.0.0(a@1.0.0)\n\
        packages:\n  a@1.0.0:\n    resolution: {integrity: x}\n  b@2.0.0:\n    resolution: {integrity: y}\n  \
        c@3.0.0:\n    resolution: {integrity: z}\n\
        snapshots:\n  a@1.0.0:\n    dependencies:\n      c: 3.0.0\n  b@2.0.0(a@1.0.0):\n    dependencies:\n      \
        a: 1.0.0\n      c: 3.0.0\n  c@3.0.0: {}\n";
    let packages = analyze(&PnpmLockAnalyzer, "pnpm-lock.yaml", lock);
    assert_eq!(find(&packages, "a", "1.0.0").dev, Some(false));
    assert_eq!(find(&packages, "b", "2.0.0").dev, Some(true));
    assert_eq!(find(&packages, "c", "3.0.0").dev, Some(false));
    assert_eq!(find(&packages, "c", "3.0.0").direct, Some(false));
    assert_eq!(
        find(&packages, "b", "2.0.0").depends_on,
        vec!["a@1.0.0", "c@3.0.0"]
    );
}

/// Truncated copies of every Node.js fixture of the peers give an error or
/// packages, never a panic.
#[test]
fn truncated_fixtures_do_not_panic() {
    let files = lang_peers::fixture_files(&["/javascript/", "/nodejs/"]);
    assert!(files.len() > 100, "only {} fixtures", files.len());
    for file in &files {
        let data = std::fs::read(file).expect("read fixture");
        for analyzer in node_analyzers() {
            lang_peers::analyze_truncated(analyzer.as_ref(), &file.to_string_lossy(), &data);
        }
    }
}
