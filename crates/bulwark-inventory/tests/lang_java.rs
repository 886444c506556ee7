//! Java analyzers (jar/war/ear archives, `pom.xml`, Gradle lock files)
//! against the peers' fixtures and expectations, read from the corpus
//! archives at test time, plus hostile archives built by the tests.
//!
//! Names: Trivy and osv-scalibr name Maven packages `groupId:artifactId`,
//! as we do; Syft uses the artifactId alone, so its rows are compared on
//! the artifactId and, where it states one, the purl.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Write};

use bulwark_image::{EntryInfo, EntryKind};
use bulwark_inventory::analyzers::{GradleLockAnalyzer, JavaArchiveAnalyzer, PomAnalyzer};
use bulwark_inventory::{Analyzer, Fact, Package};
use support::{ExpectedRow, corpus, expected_rows};

const TRIVY_PARSERS: &str = "scan/trivy/dependency-parser-testdata.tar.gz";
const TRIVY_ANALYZERS: &str = "scan/trivy/fanal-analyzer-testdata.tar.gz";
const SCALIBR: &str = "scan/osv-scalibr/extractor-language-testdata.tar.gz";
const SYFT: &str = "scan/syft/pkg-cataloger-testdata.tar.gz";

/// Reads every member of a corpus archive under `prefix` in one pass.
fn members(archive: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let path = corpus().join(archive);
    let file = File::open(&path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut out = BTreeMap::new();
    for entry in tar.entries().expect("read corpus archive") {
        let mut entry = entry.expect("read corpus archive entry");
        let name = entry
            .path()
            .expect("entry path")
            .to_string_lossy()
            .into_owned();
        let name = name.trim_start_matches("./").to_owned();
        if name.starts_with(prefix) && entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read member");
            out.insert(name, data);
        }
    }
    assert!(
        !out.is_empty(),
        "no member of {archive} starts with {prefix:?}"
    );
    out
}

/// Rows of `case` tests naming the fixture (alone or among several),
/// plus the rows of every variable a `ref->want…` row maps it to.
fn expected_for(rows: &[ExpectedRow], test_file: &str, fixture: &str) -> Vec<ExpectedRow> {
    let mut out: Vec<ExpectedRow> = rows
        .iter()
        .filter(|r| r.test_file == test_file)
        .filter(|r| {
            (r.via == "case" && r.fixture == fixture)
                || (r.via == "case-multi" && r.fixture.split(" | ").any(|f| f == fixture))
        })
        .cloned()
        .collect();
    let variables: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.fixture == fixture && r.via == "ref->want")
        .map(|r| r.name.as_str())
        .collect();
    out.extend(
        rows.iter()
            .filter(|r| r.test_file == test_file)
            .filter(|r| {
                r.via
                    .strip_prefix("var:")
                    .is_some_and(|v| variables.contains(v))
            })
            .cloned(),
    );
    out
}

fn name_versions(rows: &[ExpectedRow]) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| (r.name.clone(), r.version.clone()))
        .collect()
}

fn packages(analyzer: &dyn Analyzer, path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    analyzer.analyze(path, data).map(|facts| {
        facts
            .into_iter()
            .filter_map(|f| match f {
                Fact::Package(p) => Some(p),
                _ => None,
            })
            .collect()
    })
}

/// The reasons of the `Skipped` facts among `facts`.
fn skipped(facts: &[Fact]) -> Vec<String> {
    facts
        .iter()
        .filter_map(|f| match f {
            Fact::Skipped { reason } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn found(packages: &[Package]) -> BTreeSet<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn artifact_only(set: BTreeSet<(String, String)>) -> BTreeSet<(String, String)> {
    set.into_iter()
        .map(|(n, v)| (n.rsplit(':').next().unwrap_or(&n).to_owned(), v))
        .collect()
}

fn entry(path: &str) -> EntryInfo<'_> {
    EntryInfo {
        path,
        size: 100,
        mode: 0o644,
        kind: EntryKind::File,
        layer: 0,
    }
}

/// Builds a zip archive in memory from `(name, content)` pairs, deflated.
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, data) in files {
        writer.start_file(*name, options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn pom_properties(group: &str, artifact: &str, version: &str) -> Vec<u8> {
    format!("#Generated by Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n")
        .into_bytes()
}

// ---- Java archives ----

#[test]
fn archive_matches_trivy_parser_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/java/jar/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/java/jar/testdata/";
    let files = members(TRIVY_PARSERS, prefix);
    let mut checked = 0;
    for fixture in [
        "maven.war",
        "gradle.war",
        "nested.jar",
        "hadoop-shaded-guava-1.1.0-SNAPSHOT.jar",
        "io.quarkus.gizmo.gizmo-1.1.jar",
        "multi-license-1.0.0.jar",
        "license-from-jenkins-plugin.jar",
    ] {
        let expected = name_versions(&expected_for(
            &rows,
            test_file,
            &format!("testdata/{fixture}"),
        ));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &JavaArchiveAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        assert_eq!(found(&got), expected, "{fixture}");
        checked += expected.len();
    }
    assert!(checked >= 25, "{checked}");
}

/// Two Trivy cases need network lookups that an inventory does not make.
/// For `test.jar`, which has no pom.properties, Trivy either looks the
/// file's SHA-1 up on Maven Central (spring-core) or, offline, takes the
/// manifest's Implementation-Title "Spring Framework", which is not a
/// valid artifactId. We take the last element of the OSGi symbolic name
/// instead. For `heuristic-1.0.0-SNAPSHOT.jar`, Trivy finds the groupId
/// by searching Maven Central for the artifactId; we leave it unknown.
#[test]
fn archive_without_pom_properties_uses_manifest_then_file_name() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/dependency/parser/java/jar/parse_test.go";
    let prefix = "trivy/pkg/dependency/parser/java/jar/testdata/";
    let files = members(TRIVY_PARSERS, prefix);

    let offline = expected_for(&rows, test_file, "testdata/test.jar");
    let spring = offline
        .iter()
        .find(|r| r.name.contains(' '))
        .expect("Trivy's offline result");
    let got = packages(
        &JavaArchiveAnalyzer,
        "test.jar",
        &files[&format!("{prefix}test.jar")],
    )
    .unwrap();
    let group = spring.name.split(':').next().unwrap();
    assert_eq!(
        found(&got),
        pairs(&[(&format!("{group}:core"), &spring.version)])
    );

    let heuristic = expected_for(&rows, test_file, "testdata/heuristic-1.0.0-SNAPSHOT.jar");
    assert_eq!(heuristic.len(), 1);
    let artifact = heuristic[0].name.split(':').nth(1).unwrap();
    let got = packages(
        &JavaArchiveAnalyzer,
        "heuristic-1.0.0-SNAPSHOT.jar",
        &files[&format!("{prefix}heuristic-1.0.0-SNAPSHOT.jar")],
    )
    .unwrap();
    assert_eq!(found(&got), pairs(&[(artifact, &heuristic[0].version)]));
    assert_eq!(
        got[0].purl,
        format!("pkg:maven/{artifact}@{}", heuristic[0].version)
    );
}

#[test]
fn archive_nested_packages_carry_their_path() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/java/jar/testdata/nested.jar",
    );
    let got = packages(
        &JavaArchiveAnalyzer,
        "app/nested.jar",
        files.values().next().unwrap(),
    )
    .unwrap();
    let locations: BTreeMap<&str, Vec<String>> = got
        .iter()
        .map(|p| (p.name.as_str(), p.locations.clone()))
        .collect();
    assert_eq!(
        locations["test:nested"],
        Vec::<String>::new(),
        "the caller fills top-level locations"
    );
    assert_eq!(
        locations["test:nested2"],
        vec!["app/nested.jar!/META-INF/jars/nested2.jar"]
    );
    assert_eq!(
        locations["test:nested3"],
        vec!["app/nested.jar!/META-INF/jars/nested2.jar!/META-INF/jars/nested3.jar"]
    );
    let purl = &got.iter().find(|p| p.name == "test:nested3").unwrap().purl;
    assert_eq!(purl, "pkg:maven/test/nested3@0.0.3");
}

#[test]
fn archive_matches_trivy_analyzer_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/java/jar/jar_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/java/jar/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);
    for fixture in ["test.war", "test.par"] {
        let expected = name_versions(&expected_for(
            &rows,
            test_file,
            &format!("testdata/{fixture}"),
        ));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &JavaArchiveAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap();
        assert_eq!(found(&got), expected, "{fixture}");
    }
    // Trivy names test.jar from its Java database (SHA-1 to
    // coordinates); from the manifest alone we get its OSGi identity.
    let expected = expected_for(&rows, test_file, "testdata/test.jar");
    assert_eq!(expected.len(), 1);
    let got = packages(
        &JavaArchiveAnalyzer,
        "test.jar",
        &files[&format!("{prefix}test.jar")],
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].version, expected[0].version);

    let text = &files[&format!("{prefix}test.txt")];
    assert!(!JavaArchiveAnalyzer.wants(&entry("test.txt")));
    assert!(packages(&JavaArchiveAnalyzer, "test.txt", text).is_err());
}

#[test]
fn archive_matches_scalibr_fixtures() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/java/archive/archive_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/java/archive/testdata/";
    let files = members(SCALIBR, prefix);
    for fixture in [
        "simple.jar",
        "complex.jar",
        "guava-31.1-jre.jar",
        "nested_at_10.jar",
        "org.eclipse.sisu.inject-0.3.5.jar",
    ] {
        let expected = name_versions(&expected_for(
            &rows,
            test_file,
            &format!("testdata/{fixture}"),
        ));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(
            &JavaArchiveAnalyzer,
            fixture,
            &files[&format!("{prefix}{fixture}")],
        )
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        // osv-scalibr fills a missing groupId with the artifactId; we
        // leave the groupId unknown, so the name is the artifactId.
        let expected: BTreeSet<(String, String)> = expected
            .into_iter()
            .map(|(n, v)| match n.split_once(':') {
                Some((g, a)) if g == a => (a.to_owned(), v),
                _ => (n, v),
            })
            .collect();
        // osv-scalibr splits a dotted file name into a groupId and the
        // artifactId; we keep the stem whole as the artifactId.
        let expected: BTreeSet<(String, String)> = if fixture == "org.eclipse.sisu.inject-0.3.5.jar"
        {
            expected
                .into_iter()
                .map(|(n, v)| {
                    (
                        n.split_once(':').map_or(n.clone(), |(_, a)| a.to_owned()),
                        v,
                    )
                })
                .collect()
        } else {
            expected
        };
        assert_eq!(found(&got), expected, "{fixture}");
    }
    for bad in ["not_jar", "invalid_jar.jar"] {
        assert!(
            packages(&JavaArchiveAnalyzer, bad, &files[&format!("{prefix}{bad}")]).is_err(),
            "{bad}"
        );
    }
    let empty = packages(
        &JavaArchiveAnalyzer,
        "empty.jar",
        &files[&format!("{prefix}empty.jar")],
    );
    assert_eq!(empty.expect("an empty zip is a valid archive").len(), 0);
    // osv-scalibr fails the whole file at 100 levels; we keep what the
    // levels within the depth limit name and skip the rest.
    let deep = packages(
        &JavaArchiveAnalyzer,
        "nested_at_100.jar",
        &files[&format!("{prefix}nested_at_100.jar")],
    );
    assert_eq!(
        deep.expect("deep nesting is skipped, not an error").len(),
        0
    );
}

/// osv-scalibr builds these archives at test time from a MANIFEST.MF and
/// a file name; so do we. Its heuristics differ from ours in places,
/// each stated at its case.
#[test]
fn archive_manifest_cases_match_scalibr() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/java/archive/archive_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/java/archive/testdata/";
    let files = members(SCALIBR, prefix);
    let cases: Vec<&ExpectedRow> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "case-multi")
        .collect();
    assert!(cases.len() >= 8, "{}", cases.len());
    let mut agreed = 0;
    for case in cases {
        let manifest = case
            .fixture
            .split(" | ")
            .find(|f| f.ends_with("MANIFEST.MF"))
            .expect("manifest fixture");
        let jar_name = case
            .fixture
            .split(" | ")
            .find(|f| f.ends_with(".jar"))
            .map_or_else(
                || {
                    format!(
                        "{}.jar",
                        manifest
                            .trim_start_matches("testdata/")
                            .split('/')
                            .next()
                            .unwrap()
                    )
                },
                |f| f.trim_start_matches("testdata/").to_owned(),
            );
        let manifest_data =
            &files[&format!("{prefix}{}", manifest.trim_start_matches("testdata/"))];
        let jar = zip_of(&[("META-INF/MANIFEST.MF", manifest_data)]);
        let got = packages(&JavaArchiveAnalyzer, &jar_name, &jar).unwrap();
        assert_eq!(got.len(), 1, "{manifest} as {jar_name}");
        let (name, version) = (&got[0].name, &got[0].version);
        let want = (case.name.as_str(), case.version.as_str());
        assert_eq!(version, want.1, "{manifest} as {jar_name}: version");
        let (want_group, want_artifact) = want.0.split_once(':').unwrap();
        let (group, artifact) = name.split_once(':').unwrap_or(("", name));
        match manifest {
            // The manifest names "org.apache.ivy" in its implementation
            // title, extension name and symbolic name; osv-scalibr takes
            // the artifactId from the file name, we from the title.
            "testdata/combine-manifest-filename/MANIFEST.MF" => {
                assert_eq!((group, artifact), ("org.apache", "org.apache.ivy"));
            }
            // osv-scalibr parses Gradle's "group#module;version" title; we
            // reject it as an artifactId and use the file name.
            "testdata/manifest-implementation-title/MANIFEST.MF" => {
                assert_eq!((group, artifact), ("", want_artifact));
            }
            // osv-scalibr uses the whole symbolic name as groupId; we drop
            // its last element, which is the artifactId
            // (com.google.guava:failureaccess on Maven Central).
            "testdata/manifest-symbolicname/MANIFEST.MF" => {
                assert_eq!(artifact, want_artifact);
                assert!(want_group.starts_with(&format!("{group}.")), "{group}");
            }
            // osv-scalibr has a table of the groupIds of some projects; we
            // keep no such table.
            "testdata/known-group-id/MANIFEST.MF" => {
                assert_eq!((group, artifact), ("", want_artifact));
            }
            // The manifest has no valid artifactId (its Implementation-Title
            // "Apache Axis" has a space), so the file name gives it.
            // osv-scalibr also takes a groupId from the per-entry section
            // "Name: org/apache/axis", which we do not.
            "testdata/axis/MANIFEST.MF" => {
                assert_eq!(artifact, "axis");
                assert_eq!(group, "");
            }
            // Without a groupId osv-scalibr repeats the artifactId.
            "testdata/manifest-no-group-id/MANIFEST.MF" => {
                assert_eq!((group, artifact), ("", want_artifact));
                assert_eq!(want_group, want_artifact);
            }
            _ => {
                assert_eq!((group, artifact), (want_group, want_artifact), "{manifest}");
                agreed += 1;
            }
        }
    }
    assert!(agreed >= 1);
}

#[test]
fn archive_wants_java_extensions() {
    for name in ["a.jar", "lib/b.WAR", "c.ear", "d.par", "e.hpi", "f.jpi"] {
        assert!(JavaArchiveAnalyzer.wants(&entry(name)), "{name}");
    }
    for name in ["a.jar.sha1", "jar", ".jar", "b.zip", "c.class"] {
        assert!(!JavaArchiveAnalyzer.wants(&entry(name)), "{name}");
    }
}

/// The pom.properties layouts Syft tests (colon or equals delimiters,
/// with the other character inside values, spaces around values, extra
/// keys), packed into archives. Java properties split a line at its first
/// `=` or `:`, so each value must come back verbatim.
#[test]
fn archive_reads_syft_pom_properties_variants() {
    let prefix = "syft/syft/pkg/cataloger/java/testdata/pom/";
    let files = members(SYFT, prefix);
    let mut checked = 0;
    for (name, data) in files.iter().filter(|(n, _)| n.ends_with(".pom.properties")) {
        let text = String::from_utf8_lossy(data);
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(['=', ':']).map(str::trim))
                .expect(key)
                .to_owned()
        };
        let jar = zip_of(&[("META-INF/maven/x/y/pom.properties", data)]);
        let got = packages(&JavaArchiveAnalyzer, "app.jar", &jar).unwrap();
        let want = format!("{}:{}", value("groupId"), value("artifactId"));
        assert_eq!(found(&got), pairs(&[(&want, &value("version"))]), "{name}");
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

// ---- hostile archives ----

/// A nested archive that inflates past the per-entry limit is skipped;
/// the rest of the archive is still read.
#[test]
fn archive_skips_nested_zip_bomb() {
    let zeros = vec![0u8; 1 << 20];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    writer
        .start_file("META-INF/maven/com.example/app/pom.properties", options)
        .unwrap();
    writer
        .write_all(&pom_properties("com.example", "app", "1.0.0"))
        .unwrap();
    // 100 MiB of zeros, about 100 KiB compressed, named like a jar.
    writer.start_file("WEB-INF/lib/bomb.jar", options).unwrap();
    for _ in 0..100 {
        writer.write_all(&zeros).unwrap();
    }
    writer
        .start_file("WEB-INF/lib/real-2.0.jar", options)
        .unwrap();
    writer
        .write_all(&zip_of(&[(
            "META-INF/maven/org.example/real/pom.properties",
            &pom_properties("org.example", "real", "2.0"),
        )]))
        .unwrap();
    let bomb = writer.finish().unwrap().into_inner();
    assert!(bomb.len() < 1 << 20, "the bomb is small on disk");

    let warnings = skipped(&JavaArchiveAnalyzer.analyze("app.war", &bomb).unwrap());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("WEB-INF/lib/bomb.jar"),
        "{}",
        warnings[0]
    );
    let got = packages(&JavaArchiveAnalyzer, "app.war", &bomb).expect("a bomb inside is skipped");
    assert_eq!(
        found(&got),
        pairs(&[("com.example:app", "1.0.0"), ("org.example:real", "2.0")])
    );
}

/// Many nested archives that each stay under the per-entry limit still
/// stop at the total inflation budget.
#[test]
fn archive_stops_at_total_inflation_budget() {
    let zeros = vec![0u8; 1 << 20];
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..6 {
        writer
            .start_file(format!("lib/filler-{i}.jar"), options)
            .unwrap();
        for _ in 0..60 {
            writer.write_all(&zeros).unwrap();
        }
    }
    writer.start_file("lib/last-1.0.jar", options).unwrap();
    writer
        .write_all(&zip_of(&[(
            "META-INF/maven/org.example/last/pom.properties",
            &pom_properties("org.example", "last", "1.0"),
        )]))
        .unwrap();
    let archive = writer.finish().unwrap().into_inner();
    let got =
        packages(&JavaArchiveAnalyzer, "app.jar", &archive).expect("budget overrun skips entries");
    // 6 x 60 MiB exceeds the budget, so the archive after them is not read.
    assert!(got.is_empty(), "{got:?}");
    let warnings = skipped(&JavaArchiveAnalyzer.analyze("app.jar", &archive).unwrap());
    assert!(
        warnings.iter().any(|w| w.contains("in total")),
        "{warnings:?}"
    );
}

/// Archives nested 40 deep: the levels within the depth limit are read
/// (osv-scalibr expects level 10 to be), deeper ones skipped.
#[test]
fn archive_limits_nesting_depth() {
    let mut jar = zip_of(&[(
        "pom.properties",
        &pom_properties("org.deep", "level-40", "1.0"),
    )]);
    for level in (0..40).rev() {
        let props = pom_properties("org.deep", &format!("level-{level}"), "1.0");
        jar = zip_of(&[("pom.properties", &props), ("inner.jar", &jar)]);
    }
    let got =
        packages(&JavaArchiveAnalyzer, "outer.jar", &jar).expect("deep nesting is not an error");
    let levels: BTreeSet<usize> = got
        .iter()
        .map(|p| {
            p.name
                .trim_start_matches("org.deep:level-")
                .parse()
                .unwrap()
        })
        .collect();
    let deepest = *levels.iter().max().unwrap();
    let warnings = skipped(&JavaArchiveAnalyzer.analyze("outer.jar", &jar).unwrap());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("levels deep"), "{}", warnings[0]);
    assert_eq!(
        levels,
        (0..=deepest).collect(),
        "levels are read from the top"
    );
    assert!((10..40).contains(&deepest), "{deepest}");
}

/// Truncating a real war at many lengths gives results or errors, never a
/// panic.
#[test]
fn archive_survives_truncation() {
    let files = members(
        TRIVY_ANALYZERS,
        "trivy/pkg/fanal/analyzer/language/java/jar/testdata/test.par",
    );
    let data = files.values().next().unwrap();
    for len in (0..data.len()).step_by(data.len() / 89 + 1) {
        let _ = JavaArchiveAnalyzer.analyze("test.par", &data[..len]);
    }
    let error = JavaArchiveAnalyzer
        .analyze("test.par", &data[..data.len() / 2])
        .expect_err("half an archive");
    assert!(error.contains("zip"), "{error}");
}

// ---- pom.xml ----

#[test]
fn pom_matches_trivy_analyzer_fixtures() {
    let rows = expected_rows("trivy");
    let test_file = "pkg/fanal/analyzer/language/java/pom/pom_test.go";
    let prefix = "trivy/pkg/fanal/analyzer/language/java/pom/testdata/";
    let files = members(TRIVY_ANALYZERS, prefix);
    for fixture in ["happy/pom.xml", "mark-as-dev/src/it/example/pom.xml"] {
        let expected = expected_for(&rows, test_file, &format!("testdata/{fixture}"));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(&PomAnalyzer, fixture, &files[&format!("{prefix}{fixture}")]).unwrap();
        assert_eq!(found(&got), name_versions(&expected), "{fixture}");
        for row in &expected {
            let package = got.iter().find(|p| p.name == row.name).unwrap();
            assert_eq!(package.direct, Some(true), "{fixture}: {}", row.name);
            if row.extra.contains("\"Dev\": \"@true\"") {
                assert_eq!(package.dev, Some(true), "{fixture}: {}", row.name);
            }
        }
    }
    let happy = packages(
        &PomAnalyzer,
        "pom.xml",
        &files[&format!("{prefix}happy/pom.xml")],
    )
    .unwrap();
    assert_eq!(happy[0].licenses, vec!["Apache 2.0"]);
    assert_eq!(happy[0].purl, "pkg:maven/com.example/example@1.0.0");

    // Trivy resolves the range `(,1.0]` against a repository and drops
    // the dependency offline; the range names no version, so we list the
    // dependency without one.
    let expected = expected_for(&rows, test_file, "testdata/requirements/pom.xml");
    assert_eq!(expected.len(), 1);
    let got = packages(
        &PomAnalyzer,
        "pom.xml",
        &files[&format!("{prefix}requirements/pom.xml")],
    )
    .unwrap();
    let mut want = name_versions(&expected);
    want.insert(("org.example:example-api".to_owned(), String::new()));
    assert_eq!(found(&got), want);

    let error = packages(
        &PomAnalyzer,
        "pom.xml",
        &files[&format!("{prefix}broken/pom.xml")],
    )
    .expect_err("broken");
    assert!(!error.is_empty());
}

/// osv-scalibr lists a POM's dependencies, not the project itself; we
/// list the project as the root as well, and it is left out here.
#[test]
fn pom_matches_scalibr_fixtures() {
    let rows = expected_rows("osv-scalibr");
    let test_file = "extractor/filesystem/language/java/pomxml/pomxml_test.go";
    let prefix = "osv-scalibr/extractor/filesystem/language/java/pomxml/testdata/";
    let files = members(SCALIBR, prefix);
    let fixtures: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.test_file == test_file && r.via == "case")
        .map(|r| r.fixture.as_str())
        .collect();
    assert!(fixtures.len() >= 15, "{fixtures:?}");
    for fixture in fixtures {
        let name = fixture.trim_start_matches("testdata/");
        let mut expected = name_versions(&expected_for(&rows, test_file, fixture));
        assert!(!expected.is_empty(), "{fixture}");
        let got = packages(&PomAnalyzer, "pom.xml", &files[&format!("{prefix}{name}")])
            .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let root = got
            .iter()
            .find(|p| !p.depends_on.is_empty() || got.len() == 1);
        let mut got_set = found(&got);
        if let Some(root) = root.filter(|r| {
            let text = String::from_utf8_lossy(&files[&format!("{prefix}{name}")]).into_owned();
            text.contains(&format!(
                "<artifactId>{}</artifactId>",
                r.name.rsplit(':').next().unwrap()
            )) && !expected.contains(&(r.name.clone(), r.version.clone()))
        }) {
            got_set.remove(&(root.name.clone(), root.version.clone()));
        }
        match name {
            // The parent POM, in another file, declares dave and would
            // manage frank's version. This analyzer reads one file, so dave
            // is missing, and frank (which osv-scalibr drops as unresolved)
            // is listed without a version.
            "with-parent.xml" => {
                expected.remove(&("org.dave:dave".to_owned(), "4.0.0".to_owned()));
                expected.insert(("org.frank:frank".to_owned(), String::new()));
            }
            // Two declarations of one artifact with different versions:
            // Maven warns and keeps one, osv-scalibr the first. We list
            // both so that neither version escapes matching.
            "multi-version.xml" => {
                expected.insert(("abc:example.com".to_owned(), "1.1.1".to_owned()));
            }
            _ => {}
        }
        assert_eq!(got_set, expected, "{fixture}");
    }
    for bad in ["invalid-syntax.xml", "not-pom.txt"] {
        assert!(
            packages(&PomAnalyzer, "pom.xml", &files[&format!("{prefix}{bad}")]).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn pom_scope_test_is_dev() {
    let files = members(
        SCALIBR,
        "osv-scalibr/extractor/filesystem/language/java/pomxml/testdata/with-scope.xml",
    );
    let data = files.values().next().unwrap();
    let text = String::from_utf8_lossy(data);
    let got = packages(&PomAnalyzer, "pom.xml", data).unwrap();
    let deps: Vec<&Package> = got.iter().filter(|p| p.depends_on.is_empty()).collect();
    assert!(!deps.is_empty());
    for dep in deps {
        let artifact = dep.name.rsplit(':').next().unwrap();
        let block = text
            .split("<dependency>")
            .find(|b| b.contains(&format!("<artifactId>{artifact}</artifactId>")))
            .unwrap();
        let is_test = block.contains("<scope>test</scope>");
        assert_eq!(dep.dev, Some(is_test), "{}", dep.name);
    }
}

#[test]
fn pom_matches_syft_fixture() {
    let rows = expected_rows("syft");
    let test_file = "syft/pkg/cataloger/java/parse_pom_xml_test.go";
    let files = members(SYFT, "syft/syft/pkg/cataloger/java/testdata/");
    let expected = expected_for(&rows, test_file, "testdata/pom/example-java-app-maven");
    assert!(!expected.is_empty());
    let data = &files["syft/syft/pkg/cataloger/java/testdata/pom/example-java-app-maven/pom.xml"];
    let got = packages(&PomAnalyzer, "pom.xml", data).unwrap();
    assert_eq!(artifact_only(found(&got)), name_versions(&expected));
    for row in &expected {
        let Some(purl) = row
            .extra
            .split("\"PURL\": \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        assert!(got.iter().any(|p| p.purl == purl), "{purl}");
    }
    let corrupt = &files["syft/syft/pkg/cataloger/java/testdata/corrupt/pom.xml"];
    assert!(packages(&PomAnalyzer, "pom.xml", corrupt).is_err());
    let corrupt_jar = &files["syft/syft/pkg/cataloger/java/testdata/corrupt/example.jar"];
    assert!(packages(&JavaArchiveAnalyzer, "example.jar", corrupt_jar).is_err());
}

#[test]
fn pom_properties_resolve_and_cycles_stop() {
    let pom = br#"<project>
  <groupId>org.example</groupId>
  <artifactId>app</artifactId>
  <version>${revision}</version>
  <properties>
    <revision>2.1.0</revision>
    <loop>${loop}</loop>
    <lib.version>${project.version}</lib.version>
  </properties>
  <dependencies>
    <dependency><groupId>org.example</groupId><artifactId>lib</artifactId><version>${lib.version}</version></dependency>
    <dependency><groupId>org.example</groupId><artifactId>looped</artifactId><version>${loop}</version></dependency>
    <dependency><groupId>org.example</groupId><artifactId>ranged</artifactId><version>[1.2,2.0)</version></dependency>
  </dependencies>
</project>"#;
    let got = packages(&PomAnalyzer, "pom.xml", pom).unwrap();
    assert_eq!(
        found(&got),
        pairs(&[
            ("org.example:app", "2.1.0"),
            ("org.example:lib", "2.1.0"),
            ("org.example:looped", ""),
            ("org.example:ranged", "1.2"),
        ])
    );
    let deep = "<a>".repeat(200) + &"</a>".repeat(200);
    assert!(packages(&PomAnalyzer, "pom.xml", deep.as_bytes()).is_err());
    let entity =
        br#"<!DOCTYPE project [<!ENTITY x "xx">]><project><artifactId>&x;</artifactId></project>"#;
    assert!(
        packages(&PomAnalyzer, "pom.xml", entity).is_err(),
        "custom entities are not expanded"
    );
}

// ---- Gradle lock files ----

#[test]
fn gradle_lock_matches_peers() {
    let cases = [
        (
            "trivy",
            TRIVY_PARSERS,
            "pkg/dependency/parser/gradle/lockfile/parse_test.go",
            "trivy/pkg/dependency/parser/gradle/lockfile/",
            "testdata/happy.lockfile",
        ),
        (
            "trivy",
            TRIVY_ANALYZERS,
            "pkg/fanal/analyzer/language/java/gradle/lockfile_test.go",
            "trivy/pkg/fanal/analyzer/language/java/gradle/",
            "testdata/lockfiles/happy",
        ),
        (
            "osv-scalibr",
            SCALIBR,
            "extractor/filesystem/language/java/gradlelockfile/gradlelockfile_test.go",
            "osv-scalibr/extractor/filesystem/language/java/gradlelockfile/",
            "testdata/5-pkg",
        ),
        (
            "osv-scalibr",
            SCALIBR,
            "extractor/filesystem/language/java/gradlelockfile/gradlelockfile_test.go",
            "osv-scalibr/extractor/filesystem/language/java/gradlelockfile/",
            "testdata/one-pkg",
        ),
        (
            "osv-scalibr",
            SCALIBR,
            "extractor/filesystem/language/java/gradlelockfile/gradlelockfile_test.go",
            "osv-scalibr/extractor/filesystem/language/java/gradlelockfile/",
            "testdata/with-bad-pkg",
        ),
        (
            "syft",
            SYFT,
            "syft/pkg/cataloger/java/parse_gradle_lockfile_test.go",
            "syft/syft/pkg/cataloger/java/",
            "testdata/gradle/gradle.lockfile",
        ),
    ];
    for (peer, archive, test_file, prefix, fixture) in cases {
        let rows = expected_rows(peer);
        let expected = name_versions(&expected_for(&rows, test_file, fixture));
        assert!(!expected.is_empty(), "{peer} {fixture}");
        let files = members(archive, prefix);
        let data = files
            .get(&format!("{prefix}{fixture}"))
            .or_else(|| files.get(&format!("{prefix}{fixture}/gradle.lockfile")))
            .unwrap_or_else(|| panic!("{fixture}"));
        let got = packages(&GradleLockAnalyzer, "gradle.lockfile", data).unwrap();
        if fixture.ends_with("with-bad-pkg") {
            let facts = GradleLockAnalyzer.analyze("gradle.lockfile", data).unwrap();
            assert!(skipped(&facts).len() >= 3, "{:?}", skipped(&facts));
        }
        let got_set = if peer == "syft" {
            artifact_only(found(&got))
        } else {
            found(&got)
        };
        assert_eq!(got_set, expected, "{peer} {fixture}");
    }
}

#[test]
fn gradle_lock_marks_test_only_configurations_dev() {
    let files = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/gradle/lockfile/testdata/happy.lockfile",
    );
    let got = packages(
        &GradleLockAnalyzer,
        "gradle.lockfile",
        files.values().next().unwrap(),
    )
    .unwrap();
    let junit = got.iter().find(|p| p.name == "junit:junit").unwrap();
    assert_eq!(
        junit.dev,
        Some(true),
        "testCompileClasspath and testRuntimeClasspath only"
    );
    let beans = got
        .iter()
        .find(|p| p.name == "org.springframework:spring-beans")
        .unwrap();
    assert_eq!(beans.dev, Some(false));
    let empty = members(
        TRIVY_PARSERS,
        "trivy/pkg/dependency/parser/gradle/lockfile/testdata/empty.lockfile",
    );
    assert!(
        packages(
            &GradleLockAnalyzer,
            "gradle.lockfile",
            empty.values().next().unwrap()
        )
        .unwrap()
        .is_empty()
    );
    assert!(GradleLockAnalyzer.wants(&entry("app/gradle.lockfile")));
    assert!(GradleLockAnalyzer.wants(&entry(
        "app/gradle/dependency-locks/compileClasspath.lockfile"
    )));
    assert!(!GradleLockAnalyzer.wants(&entry("app/other.lockfile")));
}
