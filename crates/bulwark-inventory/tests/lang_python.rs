//! Python analyzers against the peers' fixtures: every fixture of each
//! peer test file is read, and the packages found are compared with the
//! peer's expected rows (`EXPECTED-from-go-tests.tsv`), read at test time.
//! Where we differ on purpose, the difference is listed next to the case
//! with the reason.

mod support;

mod lang_peers;

use bulwark_inventory::Analyzer;
use bulwark_inventory::analyzers::{
    PdmLockAnalyzer, PipRequirementsAnalyzer, PipfileLockAnalyzer, PoetryLockAnalyzer,
    PythonMetadataAnalyzer, UvLockAnalyzer,
};
use lang_peers::{Differences, Ecosystem, PeerTest, SCALIBR, SYFT, TRIVY_FANAL, TRIVY_PARSER};

fn python_analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(PythonMetadataAnalyzer),
        Box::new(PipRequirementsAnalyzer),
        Box::new(PoetryLockAnalyzer),
        Box::new(PipfileLockAnalyzer),
        Box::new(UvLockAnalyzer),
        Box::new(PdmLockAnalyzer),
    ]
}

fn peer_test(
    archive: lang_peers::Archive,
    test_file: &'static str,
    analyzer: &'static dyn Analyzer,
) -> PeerTest {
    PeerTest::new(
        archive,
        test_file,
        analyzer,
        Ecosystem::Python,
        python_analyzers,
    )
}

#[test]
fn core_metadata_matches_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/python/packaging/parse_test.go",
        &PythonMetadataAnalyzer,
    )
    .errors(&["testdata/invalid.json"])
    .run(8);
}

#[test]
fn installed_distributions_match_trivy() {
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/python/packaging/packaging_test.go",
        &PythonMetadataAnalyzer,
    )
    .run(5);
}

#[test]
fn installed_distributions_match_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/wheelegg/wheelegg_test.go",
        &PythonMetadataAnalyzer,
    )
    .errors(&["testdata/empty"])
    .skip(&[
        (
            "testdata/monotonic-1.6-py2.py3-none-any.whl",
            "wheel archives are not opened",
        ),
        (
            "testdata/monotonic-1.6-py3.10.egg",
            "zipped eggs are not opened",
        ),
        (
            "testdata/monotonic_no_pkginfo-1.6-py3.10.egg",
            "zipped eggs are not opened",
        ),
        ("testdata/does_not_exist.egg", "the fixture does not exist"),
    ])
    .run(9);
}

#[test]
fn installed_distributions_match_syft() {
    let unnamed = "the metadata sits in a directory named just `dist-info`, `egg-info` or \
                   `DIST-INFO`, without the `NAME-VERSION.` prefix every installer writes";
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/cataloger_test.go",
        &PythonMetadataAnalyzer,
    )
    .errors(&[
        "testdata/empty-1.0.0-py3.8.egg-info",
        "testdata/site-packages/no-version",
    ])
    .skip(&[
        (
            "testdata/site-packages/license/with-license-file-declared.dist-info/LICENSE.txt",
            "a license text, which syft's test reads for the distribution beside it",
        ),
        (
            "testdata/glob-paths",
            "placeholder files for syft's file-glob test",
        ),
    ])
    .differences(
        Differences::new()
            .missing(
                "testdata/site-packages/nested",
                &["pygments@2.6.1", "requests@2.22.0"],
                unnamed,
            )
            .missing(
                "testdata/site-packages/malformed-record",
                &["pygments@2.6.1"],
                unnamed,
            )
            .missing(
                "testdata/site-packages/uppercase",
                &["pygments@2.6.1"],
                unnamed,
            )
            .missing(
                "testdata/site-packages/partial.dist-info",
                &["pygments@2.6.1"],
                "the fixture is the `.dist-info` directory itself, so its name is not \
                     part of any scanned path",
            ),
    )
    .run(4);
}

#[test]
fn requirements_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/python/pip/parse_test.go",
        &PipRequirementsAnalyzer,
    )
    .differences(Differences::new().missing(
        "testdata/requirements_compatible.txt",
        &["*"],
        "Trivy runs this case with its opt-in minimum-version mode; only pinned \
             (`==`, `===`) requirements say what is installed",
    ))
    .run(9);
}

#[test]
fn requirements_match_scalibr() {
    let ranges = "scalibr reports the bound of a range (`>=`, `~=`, `<=`); only pinned \
                  (`==`, `===`) requirements say what is installed";
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/requirements/requirements_test.go",
        &PipRequirementsAnalyzer,
    )
    .differences(
        Differences::new()
            .missing(
                "testdata/with_versions.txt",
                &[
                    "newspaper3k@0.2.2",
                    "combination-._-.also_-._valid@3.5",
                    "pkg@1.2.3",
                ],
                ranges,
            )
            .missing(
                "testdata/example.txt",
                &["keyring@4.1.1", "Mopidy-Dirble@1.1"],
                ranges,
            )
            .missing(
                "testdata/example.txt",
                &["pandas@2.2.3"],
                "comes from the file included with `-r`, which is read on its own",
            )
            .missing(
                "testdata/per_req_options.txt",
                &["foo7@1.0 unexpected_text_before_options_stays_around"],
                "the version is the first word after `==`; scalibr keeps the stray text",
            )
            .extra(
                "testdata/per_req_options.txt",
                &["foo7@1.0"],
                "the version is the first word after `==`; scalibr keeps the stray text",
            ),
    )
    .run(8);
}

#[test]
fn requirements_match_syft() {
    let ranges = "syft resolves a range to its lowest version; only pinned (`==`, `===`) \
                  requirements say what is installed";
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/parse_requirements_test.go",
        &PipRequirementsAnalyzer,
    )
    .differences(Differences::new().missing(
        "testdata/requires/requirements.txt",
        &[
            "sqlalchemy@2.0.0",
            "bar@2.0.0",
            "numpy@3.4.1",
            "requests@2.8.0",
            "mopidy-dirble@1.1",
        ],
        ranges,
    ))
    .skip(&[
        (
            "testdata/glob-paths/src/requirements.txt",
            "a placeholder for syft's file-glob test, not a lockfile",
        ),
        (
            "testdata/pypi-remote/registry_response.json",
            "a PyPI API response for syft's online license lookup",
        ),
        (
            "testdata/pypi-remote/requirements.txt",
            "only used with syft's online license lookup",
        ),
    ])
    .run(1);
}

#[test]
fn poetry_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/python/poetry/parse_test.go",
        &PoetryLockAnalyzer,
    )
    .run(3);
}

#[test]
fn poetry_projects_match_trivy() {
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/python/poetry/poetry_test.go",
        &PoetryLockAnalyzer,
    )
    .errors(&["testdata/sad"])
    .differences(Differences::new().dev(
        "testdata/with-groups",
        &[
            "colorama@0.4.6",
            "iniconfig@2.0.0",
            "packaging@24.2",
            "pluggy@1.5.0",
            "pytest@8.3.4",
            "ruff@0.8.3",
            "tomli@2.2.1",
        ],
        "this lock has neither `category` nor `groups`; Trivy takes the groups from \
         pyproject.toml, which an analyzer of poetry.lock does not see (dev stays unknown)",
    ))
    .run(6);
}

#[test]
fn poetry_locks_match_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/poetrylock/poetrylock_test.go",
        &PoetryLockAnalyzer,
    )
    .errors(&["testdata/not-toml.txt"])
    .run(8);
}

#[test]
fn poetry_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/parse_poetry_lock_test.go",
        &PoetryLockAnalyzer,
    )
    .skip(&[
        (
            "testdata/glob-paths/src/poetry.lock",
            "a placeholder for syft's file-glob test, not a lockfile",
        ),
        (
            "testdata/pypi-remote/registry_response.json",
            "a PyPI API response for syft's online license lookup",
        ),
        (
            "testdata/pypi-remote/poetry.lock",
            "only used with syft's online license lookup",
        ),
    ])
    .run(1);
}

#[test]
fn pipfile_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/python/pipenv/parse_test.go",
        &PipfileLockAnalyzer,
    )
    .run(3);
}

#[test]
fn pipfile_locks_match_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/pipfilelock/pipfilelock_test.go",
        &PipfileLockAnalyzer,
    )
    .errors(&["testdata/not-json.txt", "testdata/empty-file"])
    .run(6);
}

#[test]
fn pipfile_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/parse_pipfile_lock_test.go",
        &PipfileLockAnalyzer,
    )
    .differences(Differences::new().extra(
        "testdata/pipfile-lock/Pipfile.lock",
        &["astroid@2.5.2", "autopep8@1.5.6"],
        "`develop` packages are listed as development dependencies, as Trivy and \
             scalibr list them; syft leaves them out",
    ))
    .skip(&[
        (
            "testdata/glob-paths/src/Pipfile.lock",
            "a placeholder for syft's file-glob test, not a lockfile",
        ),
        (
            "testdata/pypi-remote/registry_response.json",
            "a PyPI API response for syft's online license lookup",
        ),
        (
            "testdata/pypi-remote/Pipfile.lock",
            "only used with syft's online license lookup",
        ),
    ])
    .run(1);
}

#[test]
fn uv_locks_match_trivy() {
    peer_test(
        TRIVY_PARSER,
        "pkg/dependency/parser/python/uv/parse_test.go",
        &UvLockAnalyzer,
    )
    .run(1);
    peer_test(
        TRIVY_FANAL,
        "pkg/fanal/analyzer/language/python/uv/uv_test.go",
        &UvLockAnalyzer,
    )
    .errors(&["testdata/broken-lock"])
    .run(1);
}

#[test]
fn uv_locks_match_scalibr() {
    let project = "the project itself is listed, as Trivy lists it";
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/uvlock/uvlock_test.go",
        &UvLockAnalyzer,
    )
    .errors(&["testdata/not-toml.txt"])
    .differences(
        Differences::new()
            .extra("testdata/source-git.lock", &["uv-lockfiles@0.1.0"], project)
            .partial(
                "testdata/grouped-packages.lock",
                "the table holds 3 of the 15 packages scalibr's test expects",
            ),
    )
    .run(2);
}

#[test]
fn uv_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/parse_uv_lock_test.go",
        &UvLockAnalyzer,
    )
    .skip(&[
        (
            "testdata/glob-paths/src/uv.lock",
            "a placeholder for syft's file-glob test, not a lockfile",
        ),
        (
            "testdata/pypi-remote/registry_response.json",
            "a PyPI API response for syft's online license lookup",
        ),
        (
            "testdata/pypi-remote/uv.lock",
            "only used with syft's online license lookup",
        ),
    ])
    .run(1);
}

#[test]
fn pdm_locks_match_scalibr() {
    peer_test(
        SCALIBR,
        "extractor/filesystem/language/python/pdmlock/pdmlock_test.go",
        &PdmLockAnalyzer,
    )
    .errors(&["testdata/not-toml.txt"])
    .run(6);
}

#[test]
fn pdm_locks_match_syft() {
    peer_test(
        SYFT,
        "syft/pkg/cataloger/python/parse_pdm_lock_test.go",
        &PdmLockAnalyzer,
    )
    .skip(&[
        (
            "testdata/glob-paths/src/pdm.lock",
            "a placeholder for syft's file-glob test, not a lockfile",
        ),
        (
            "testdata/pypi-remote/registry_response.json",
            "a PyPI API response for syft's online license lookup",
        ),
        (
            "testdata/pypi-remote/pdm.lock",
            "only used with syft's online license lookup",
        ),
    ])
    .run(1);
}

/// Truncated copies of every Python fixture of the peers give an error or
/// packages, never a panic.
#[test]
fn truncated_fixtures_do_not_panic() {
    let files = lang_peers::fixture_files(&["/python/"]);
    assert!(files.len() > 100, "only {} fixtures", files.len());
    for file in &files {
        let data = std::fs::read(file).expect("read fixture");
        for analyzer in python_analyzers() {
            lang_peers::analyze_truncated(analyzer.as_ref(), &file.to_string_lossy(), &data);
        }
    }
}
