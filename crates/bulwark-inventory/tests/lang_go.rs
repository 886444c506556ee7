//! Go analyzers (`go.mod`, `go.sum`, executables' build information)
//! against the peers' fixtures and expectations, read from the corpus
//! archives at test time.
//!
//! Versions: Trivy and Syft keep Go's `v` prefix, as we do; osv-scalibr
//! drops it, so its rows are compared with the prefix removed.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;

use bulwark_image::{EntryInfo, EntryKind, Limits};
use bulwark_inventory::analyzers::{GoBinaryAnalyzer, GoModAnalyzer, GoSumAnalyzer};
use bulwark_inventory::{Analyzer, AnalyzerSet, Package};
use support::{
    ExpectedRow, corpus, expected_rows, found, members, name_versions, packages, pairs, txtar,
};

const TRIVY_PARSERS: &str = "scan/trivy/dependency-parser-testdata.tar.gz";
const TRIVY_ANALYZERS: &str = "scan/trivy/fanal-analyzer-testdata.tar.gz";
const SCALIBR: &str = "scan/osv-scalibr/extractor-language-testdata.tar.gz";
const SYFT: &str = "scan/syft/pkg-cataloger-testdata.tar.gz";

/// Rows of `case` tests naming the fixture, plus the rows of every
/// variable a `ref->want…` row maps the fixture to, except variables
/// whose name contains one of `skip_vars`.
fn expected_for(
    rows: &[ExpectedRow],
    test_file: &str,
    fixture: &str,
    skip_vars: &[&str],
) -> Vec<ExpectedRow> {
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
        .filter(|v| !skip_vars.iter().any(|s| v.contains(s)))
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

/// Drops the versionless main module, which the peers' tables leave out
/// because their rows need a version.
fn with_versions(set: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    set.into_iter().filter(|(_, v)| !v.is_empty()).collect()
}

fn without_v(set: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    set.into_iter()
        .map(|(n, v)| (n, v.strip_prefix('v').map(str::to_owned).unwrap_or(v)))
        .collect()
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
/// one.
fn expected_direct(extra: &str) -> Option<bool> {
    if extra.contains("RelationshipRoot") || extra.contains("RelationshipDirect") {
        Some(true)
    } else if extra.contains("RelationshipIndirect") {
        Some(false)
    } else {
        None
    }
}

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
            "{context}: {} {}",
            row.name,
            row.version
        );
        checked += 1;
    }
    checked
}

/// Inventories a directory holding the given files with the Go module
/// analyzers, so that `go.sum` merging runs as in a real scan.
fn inventory_go_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<Package> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, data) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, data).unwrap();
    }
    let analyzers = AnalyzerSet::new(vec![Box::new(GoModAnalyzer), Box::new(GoSumAnalyzer)]);
    let inventory =
        bulwark_inventory::inventory_directory(dir.path(), &Limits::default(), &analyzers)
            .expect("inventory");
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    inventory.packages
}

// ---- Go executables ----

#[test]
fn go_binary_matches_trivy_parser_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/golang/binary/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/golang/binary/testdata/";
    let files = members(TRIVY_PARSERS, prefix);

    // test.elf, test.exe and test.macho are Go 1.15 builds (pre-1.18
    // pointer format) expected to give the `wantPkgs` table, which the
    // extraction records as the rows shared by all cases.
    let shared: Vec<ExpectedRow> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "case-multi")
        .cloned()
        .collect();
    assert!(!shared.is_empty());
    for fixture in ["test.elf", "test.exe", "test.macho"] {
        let got = packages(
            &GoBinaryAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(found(&got), name_versions(&shared), "{fixture}");
        assert_eq!(check_direct_flags(&got, &shared, fixture), 2, "{fixture}");
    }

    for fixture in [
        "main-version-via-ldflags.elf",
        "semver-main-module-version.macho",
        "goexperiment",
    ] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"), &[]);
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &GoBinaryAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        // Trivy's cases list the root and stdlib; every other module the
        // build information names must be there as well.
        let got_set = found(&got);
        for want in name_versions(&expected) {
            assert!(
                got_set.contains(&want),
                "{fixture}: missing {want:?} in {got_set:?}"
            );
        }
        check_direct_flags(&got, &expected, fixture);
    }

    let dummy = packages(
        &GoBinaryAnalyzer,
        "dummy",
        &files[&format!("{prefix}dummy")],
    );
    assert_eq!(dummy.expect("dummy is not an executable").len(), 0);
}

#[test]
fn go_binary_matches_trivy_analyzer_fixture() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/golang/binary/binary_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/golang/binary/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);
    let expected = expected_for(&rows, test_file, "testdata/executable_gobinary", &[]);
    assert!(!expected.is_empty());
    let got = packages(
        &GoBinaryAnalyzer,
        "bin",
        &files[&format!("{prefix}executable_gobinary")],
    )
    .unwrap();
    assert_eq!(found(&got), name_versions(&expected));
    assert_eq!(
        check_direct_flags(&got, &expected, "executable_gobinary"),
        2
    );
    for name in ["executable_bash", "broken_elf", "0755"] {
        let got = packages(&GoBinaryAnalyzer, name, &files[&format!("{prefix}{name}")]);
        assert_eq!(got.expect(name).len(), 0, "{name}");
    }
}

#[test]
fn go_binary_wants_match_trivy_required_table() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/golang/binary/binary_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/golang/binary/testdata/";
    let path = corpus().join(TRIVY_ANALYZERS);
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(File::open(&path).unwrap()));
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
        let info = entry(name, size.max(1), mode, kind);
        assert_eq!(
            GoBinaryAnalyzer.wants(&info),
            case.name == "true",
            "{name} mode {mode:o}"
        );
    }
    let huge = entry("usr/bin/huge", 300 << 20, 0o755, EntryKind::File);
    assert!(!GoBinaryAnalyzer.wants(&huge));
}

/// Finds every `dep` line and the `=>` line after it by searching the
/// raw bytes, independently of the header decoding: Go 1.18 and later
/// store the module text inline.
fn raw_dependencies(data: &[u8]) -> BTreeSet<(String, String)> {
    let text = String::from_utf8_lossy(data);
    let start = text.find("\nmod\t").expect("module text in the binary");
    let end = start + text[start..].find("\nbuild\t").expect("build settings");
    let mut out = BTreeSet::new();
    let mut last: Option<(String, String)> = None;
    for line in text[start..end].lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.first() {
            Some(&"dep") => {
                if let Some(dep) = last.take() {
                    out.insert(dep);
                }
                last = Some((fields[1].to_owned(), fields[2].to_owned()));
            }
            Some(&"=>") => {
                last = Some((fields[1].to_owned(), fields[2].to_owned()));
            }
            _ => {}
        }
    }
    out.extend(last);
    out
}

#[test]
fn go_binary_reads_scalibr_binaries_for_every_platform() {
    let prefix = "osv-scalibr/extractor/filesystem/language/golang/gobinary/testdata/";
    let files = members(SCALIBR, prefix);
    let binaries: Vec<(&String, &Vec<u8>)> = files
        .iter()
        .filter(|(name, _)| name.contains("binary_with_module_replacement-"))
        .collect();
    assert_eq!(binaries.len(), 8, "linux, darwin and windows builds");
    let mut sets = BTreeSet::new();
    for (name, data) in &binaries {
        let got = packages(&GoBinaryAnalyzer, name, data).unwrap_or_else(|e| panic!("{name}: {e}"));
        let deps: BTreeSet<(String, String)> = found(&got)
            .into_iter()
            .filter(|(n, _)| {
                n != "stdlib"
                    && !got
                        .iter()
                        .any(|p| &p.name == n && p.direct == Some(true) && !p.depends_on.is_empty())
            })
            .collect();
        let raw = raw_dependencies(data);
        assert!(!raw.is_empty(), "{name}");
        assert_eq!(deps, raw, "{name}");
        assert!(
            got.iter()
                .any(|p| p.name == "stdlib" && p.version.starts_with("v1.")),
            "{name}"
        );
        sets.insert(found(&got));
    }
    assert_eq!(sets.len(), 1, "every platform gives the same packages");

    let dummy = packages(
        &GoBinaryAnalyzer,
        "dummy",
        &files[&format!("{prefix}dummy")],
    );
    assert_eq!(dummy.expect("dummy").len(), 0);
}

#[test]
fn go_binary_purls_split_module_paths() {
    let files = members(
        TRIVY_ANALYZERS,
        "trivy/pkg/fanal/analyzer/language/golang/binary/testdata/executable_gobinary",
    );
    let got = packages(&GoBinaryAnalyzer, "bin", files.values().next().unwrap()).unwrap();
    let xerrors = got
        .iter()
        .find(|p| p.name == "golang.org/x/xerrors")
        .unwrap();
    assert_eq!(
        xerrors.purl,
        format!("pkg:golang/golang.org/x/xerrors@{}", xerrors.version)
    );
    let stdlib = got.iter().find(|p| p.name == "stdlib").unwrap();
    assert_eq!(stdlib.purl, format!("pkg:golang/stdlib@{}", stdlib.version));
    let root = got
        .iter()
        .find(|p| p.direct == Some(true) && p.name != "stdlib")
        .unwrap();
    assert_eq!(
        root.depends_on.len(),
        got.len() - 1,
        "the main module depends on every module"
    );
}

/// Cuts real executables at many lengths and damages the build
/// information header: no panic, and a damaged blob gives an error.
#[test]
fn go_binary_survives_truncated_and_corrupted_input() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/golang/binary/testdata/",
    );
    for (name, data) in &files {
        for len in (0..data.len()).step_by(data.len() / 61 + 1) {
            let _ = GoBinaryAnalyzer.analyze(name, &data[..len]);
        }
    }

    // Go 1.22 inline format: point the version length past the end.
    let data =
        &files["trivy/pkg/dependency/parser/golang/binary/testdata/main-version-via-ldflags.elf"];
    let magic = b"\xff Go buildinf:";
    let at = (0..data.len())
        .step_by(16)
        .find(|&i| data[i..].starts_with(magic))
        .expect("build information magic");
    assert_ne!(data[at + 15] & 2, 0, "inline format");
    let mut corrupt = data.clone();
    corrupt[at + 32..at + 42].copy_from_slice(&[0xff; 10]);
    let error = GoBinaryAnalyzer
        .analyze("bin", &corrupt)
        .expect_err("overlong varint");
    assert!(error.contains("Go build information"), "{error}");

    let mut short = data.clone();
    short[at + 32] = 0x7f;
    short[at + 33] = 0x7f;
    let result = GoBinaryAnalyzer.analyze("bin", &short[..at + 40]);
    assert!(result.is_err(), "{result:?}");

    // Pre-1.18 pointer format: point the version string at nowhere.
    let data = &files["trivy/pkg/dependency/parser/golang/binary/testdata/test.elf"];
    let at = (0..data.len())
        .step_by(16)
        .find(|&i| data[i..].starts_with(magic))
        .expect("build information magic");
    assert_eq!(data[at + 15] & 2, 0, "pointer format");
    let mut corrupt = data.clone();
    corrupt[at + 16..at + 24].copy_from_slice(&[0xee; 8]);
    let error = GoBinaryAnalyzer
        .analyze("bin", &corrupt)
        .expect_err("dangling pointer");
    assert!(error.contains("outside the file"), "{error}");
}

// ---- go.mod and go.sum ----

#[test]
fn go_mod_matches_trivy_parser_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/golang/mod/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/golang/mod/testdata/";
    let files = members(TRIVY_PARSERS, prefix);
    // Trivy parses `replaced/go.mod` twice, with and without `replace`
    // directives; we always apply them, as the go command does.
    let skip = ["Unreplaced", "WithoutStdlib"];
    // Before Go 1.17, Trivy leaves out `// indirect` requirements and
    // takes indirect modules from go.sum instead. The go command reads
    // those requirements whatever the version, so we keep them.
    let go116_indirect = pairs(&[("gopkg.in/yaml.v3", "v3.0.0-20210107192922-496545a6307b")]);
    let mut checked = 0;
    for (fixture, extra) in [
        ("normal/go.mod", BTreeSet::new()),
        ("no-go-version/gomod", BTreeSet::new()),
        ("replaced/go.mod", BTreeSet::new()),
        ("replaced-with-version/go.mod", BTreeSet::new()),
        ("replaced-with-version-mismatch/go.mod", BTreeSet::new()),
        ("replaced-with-local-path/go.mod", BTreeSet::new()),
        (
            "replaced-with-local-path-and-version/go.mod",
            BTreeSet::new(),
        ),
        (
            "replaced-with-local-path-and-version-mismatch/go.mod",
            BTreeSet::new(),
        ),
        ("go116/go.mod", go116_indirect),
    ] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"), &skip);
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &GoModAnalyzer,
            "go.mod",
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let got_set: BTreeSet<_> = with_versions(found(&got))
            .difference(&extra)
            .cloned()
            .collect();
        assert_eq!(got_set, name_versions(&expected), "{fixture}");
        check_direct_flags(&got, &expected, fixture);
        let main = got
            .iter()
            .find(|p| p.version.is_empty())
            .expect("main module");
        assert_eq!(main.name, "github.com/org/repo", "{fixture}");
        checked += expected.len();
    }
    assert!(checked >= 20, "{checked}");
}

#[test]
fn go_mod_directory_replacement_keeps_module_without_version() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/golang/mod/testdata/replaced-with-local-path/",
    );
    let data =
        &files["trivy/pkg/dependency/parser/golang/mod/testdata/replaced-with-local-path/go.mod"];
    let text = String::from_utf8_lossy(data);
    let replaced = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("replace "))
        .and_then(|l| l.split_whitespace().next())
        .expect("replace line");
    let got = packages(&GoModAnalyzer, "go.mod", data).unwrap();
    let module = got
        .iter()
        .find(|p| p.name == replaced)
        .expect("replaced module");
    assert_eq!(module.version, "");
    assert_eq!(module.purl, format!("pkg:golang/{replaced}"));
}

#[test]
fn go_mod_matches_trivy_analyzer_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/golang/mod/mod_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/golang/mod/testdata/";
    let archives = members(TRIVY_ANALYZERS, prefix);
    for fixture in [
        "happy.txtar",
        "merge.txtar",
        "no-go-sum.txtar",
        "no-pkg-found.txtar",
        "vendor-dir-exists.txtar",
        "wrong-gomod-in-pkg.txtar",
    ] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"), &[]);
        assert!(!expected.is_empty(), "{fixture}");
        let files: BTreeMap<String, Vec<u8>> = txtar(&archives[&format!("{prefix}{fixture}")])
            .into_iter()
            .filter(|(name, _)| name == "go.mod" || name == "go.sum")
            .collect();
        let got = inventory_go_files(&files);
        let mut got_set = with_versions(found(&got));
        // Trivy lists stdlib from go.mod only in its "comprehensive"
        // detection mode, which these cases do not enable. Because
        // `go 1.23` makes Go 1.23.0 the minimum toolchain, we list it.
        if fixture == "no-pkg-found.txtar" {
            assert!(
                got_set.remove(&("stdlib".to_owned(), "v1.23.0".to_owned())),
                "{got_set:?}"
            );
        }
        assert_eq!(got_set, name_versions(&expected), "{fixture}");
        check_direct_flags(&got, &expected, fixture);
    }

    let sad = txtar(&archives[&format!("{prefix}sad.txtar")]);
    let error = packages(&GoModAnalyzer, "go.mod", &sad["go.mod"]).expect_err("sad.txtar");
    assert!(error.contains("unknown directive"), "{error}");
}

/// The go.sum of a Go 1.17+ module is ignored: go.mod lists every module
/// the build needs, while go.sum also contains hashes of modules it never
/// uses (Trivy's happy.txtar pairs such a go.sum with a 1.17 go.mod).
#[test]
fn go_sum_is_ignored_next_to_complete_go_mod() {
    let archives = members(
        TRIVY_ANALYZERS,
        "trivy/pkg/fanal/analyzer/language/golang/mod/testdata/happy.txtar",
    );
    let files = txtar(archives.values().next().unwrap());
    let sum_only = packages(&GoSumAnalyzer, "go.sum", &files["go.sum"]).unwrap();
    assert!(sum_only.len() > 5, "go.sum lists modules of its own");
    let got = inventory_go_files(&files);
    assert!(
        got.iter()
            .all(|p| p.locations.iter().all(|l| l.ends_with("go.mod")))
    );
}

#[test]
fn go_sum_matches_trivy_parser_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/golang/sum/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/golang/sum/testdata/";
    let files = members(TRIVY_PARSERS, prefix);
    let (mut checked, mut left_out) = (0, 0);
    for fixture in [
        "gomod_normal.sum",
        "gomod_emptyline.sum",
        "gomod_many.sum",
        "gomod_trivy.sum",
    ] {
        let expected = name_versions(&expected_for(
            &rows,
            test_file,
            &format!("testdata/{fixture}"),
            &[],
        ));
        assert!(!expected.is_empty(), "{fixture}");
        let data = &files[&format!("{prefix}{fixture}")];
        let got = packages(&GoSumAnalyzer, "go.sum", data).unwrap();
        // Trivy also lists modules that go.sum names only by the hash of
        // their go.mod file (`version/go.mod`). Per the Go modules
        // reference, such a line means the go command read the module's
        // go.mod during version selection, not that it built the module,
        // so we leave those out (osv-scalibr does too).
        let text = String::from_utf8_lossy(data);
        let with_content: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| {
                let mut fields = l.split_whitespace();
                let path = fields.next()?;
                (!fields.next()?.ends_with("/go.mod")).then_some(path)
            })
            .collect();
        let go_mod_only: BTreeSet<(String, String)> = expected
            .iter()
            .filter(|(name, _)| !with_content.contains(name.as_str()))
            .cloned()
            .collect();
        let expected: BTreeSet<_> = expected.difference(&go_mod_only).cloned().collect();
        assert_eq!(found(&got), expected, "{fixture}");
        assert!(got.iter().all(|p| p.direct == Some(false)));
        checked += expected.len();
        left_out += go_mod_only.len();
    }
    assert!(checked >= 10, "{checked}");
    assert!(left_out > 100, "{left_out}");
}

/// osv-scalibr's go.mod extractor, compared without the `v` prefix it
/// drops. Where the tables differ from ours, the reason is stated at the
/// exception.
#[test]
fn go_mod_matches_scalibr_fixtures() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/golang/gomod/gomod_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/";
    let files = members(SCALIBR, prefix);
    let fixtures: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "case")
        .map(|r| r.fixture.as_str())
        .collect();
    assert!(fixtures.len() >= 12, "{fixtures:?}");
    for fixture in fixtures {
        let name = fixture.trim_start_matches("testdata/");
        let expected = name_versions(&expected_for(&rows, test_file, fixture, &[]));
        assert!(!expected.is_empty(), "{fixture}");
        let mut expected_adjusted = expected.clone();
        // osv-scalibr lists stdlib at the `go` line's version even before
        // Go 1.21. Until then that line only set the language version and
        // did not name a toolchain, so we list no stdlib. From 1.21 it is
        // the minimum toolchain, and `1.23` means 1.23.0.
        expected_adjusted.retain(|(n, v)| n != "stdlib" || v.matches('.').count() >= 2);
        if name == "indirect-1.23.mod" {
            expected_adjusted.insert(("stdlib".to_owned(), "1.23.0".to_owned()));
        }
        // osv-scalibr names a directory replacement by its path; we keep
        // the module path with no version, as Syft does.
        if name == "replace-local.mod" {
            expected_adjusted.remove(&("./fork/net".to_owned(), String::new()));
            expected_adjusted.insert(("golang.org/x/net".to_owned(), String::new()));
        }
        let mut data_files = BTreeMap::new();
        data_files.insert(
            "go.mod".to_owned(),
            files[&format!("{prefix}{name}")].clone(),
        );
        // The 1.16 case is read with its go.sum, whose modules complete
        // the indirect dependencies, in a directory scan.
        let sum = format!("{prefix}{}", name.replace(".mod", ".sum"));
        if let Some(sum) = files.get(&sum) {
            data_files.insert("go.sum".to_owned(), sum.clone());
        }
        let got = inventory_go_files(&data_files);
        // osv-scalibr leaves out the main module; we list it as the root.
        let got_set: BTreeSet<_> = found(&got)
            .into_iter()
            .filter(|(n, v)| {
                !(v.is_empty() && got.iter().any(|p| &p.name == n && !p.depends_on.is_empty()))
            })
            .collect();
        assert_eq!(without_v(got_set), expected_adjusted, "{fixture}");
    }

    let not_go_mod = &files[&format!("{prefix}not-go-mod.mod")];
    assert!(packages(&GoModAnalyzer, "go.mod", not_go_mod).is_err());
    let empty = packages(
        &GoModAnalyzer,
        "go.mod",
        &files[&format!("{prefix}empty.mod")],
    );
    assert_eq!(empty.expect("empty.mod").len(), 0);
}

#[test]
fn go_mod_matches_syft_fixtures() {
    let rows = expected_rows("syft");
    let test_file = "syft/pkg/cataloger/golang/parse_go_mod_test.go";
    let prefix = "syft/syft/pkg/cataloger/golang/";
    let files = members(SYFT, prefix);
    for fixture in [
        "testdata/go-mod-fixtures/one-package/go.mod",
        "testdata/go-mod-fixtures/many-packages/go.mod",
        "testdata/go-mod-fixtures/relative-replace/go.mod",
    ] {
        let expected = name_versions(&expected_for(&rows, test_file, fixture, &[]));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &GoModAnalyzer,
            "go.mod",
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        // Syft leaves out the main module; we list it first, as the root.
        let main = got.first().expect("main module");
        assert_eq!(main.version, "", "{fixture}");
        // Syft reads no toolchain from go.mod; from Go 1.21 the `go` line
        // names the minimum toolchain, so we list it as stdlib.
        let got_set: BTreeSet<_> = found(&got[1..])
            .into_iter()
            .filter(|(name, version)| !(name == "stdlib" && version == "v1.22.0"))
            .collect();
        assert_eq!(got_set, expected, "{fixture}");
    }
    let corrupt = &files[&format!("{prefix}testdata/corrupt/go.mod")];
    assert!(packages(&GoModAnalyzer, "go.mod", corrupt).is_err());
}

#[test]
fn go_mod_analyzers_want_module_files_only() {
    assert!(GoModAnalyzer.wants(&entry("src/app/go.mod", 10, 0o644, EntryKind::File)));
    assert!(GoModAnalyzer.wants(&entry("go.mod", 10, 0o644, EntryKind::File)));
    assert!(!GoModAnalyzer.wants(&entry("src/app/go.mod.bak", 10, 0o644, EntryKind::File)));
    assert!(GoSumAnalyzer.wants(&entry("src/app/go.sum", 10, 0o644, EntryKind::File)));
    assert!(!GoSumAnalyzer.wants(&entry("src/app/go.mod", 10, 0o644, EntryKind::File)));
}

/// Hostile go.mod variants derived from a real file: unterminated
/// blocks and strings, and truncation at every byte.
#[test]
fn go_mod_rejects_broken_syntax_without_panic() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/golang/mod/testdata/normal/go.mod",
    );
    let data = files.values().next().unwrap();
    for len in 0..data.len() {
        let _ = GoModAnalyzer.analyze("go.mod", &data[..len]);
    }
    let text = String::from_utf8_lossy(data);
    let open_block = text.replace(")\n", "\n");
    let error = packages(&GoModAnalyzer, "go.mod", open_block.as_bytes()).expect_err("open block");
    assert!(error.contains("not closed"), "{error}");
    let open_string = text.replacen("module ", "module \"", 1);
    let error =
        packages(&GoModAnalyzer, "go.mod", open_string.as_bytes()).expect_err("open string");
    assert!(error.contains("unterminated"), "{error}");
}
