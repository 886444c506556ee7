//! Ruby analyzers against the peers' fixtures: Bundler lockfiles and
//! installed gemspecs, compared with the packages the peers' own tests
//! expect.

mod support;

use bulwark_inventory::analyzers::{GemfileLockAnalyzer, GemspecAnalyzer};

use crate::fixtures::{Fixture, assert_err, assert_flags, assert_names, expected, run, wants};

/// Shared helpers of the language tests: fixture loading, expectation
/// lookup and comparison. Each language test file carries its own copy,
/// and not every file uses every helper.
#[allow(dead_code)]
mod fixtures;

use crate::fixtures::{SCALIBR, SYFT, TRIVY_FANAL, TRIVY_PARSER, expected_purls};

const TRIVY_BUNDLER: &str = "pkg/dependency/parser/ruby/bundler";
const TRIVY_GEMSPEC: &str = "pkg/dependency/parser/ruby/gemspec";
const TRIVY_FANAL_GEMSPEC: &str = "pkg/fanal/analyzer/language/ruby/gemspec";
const SCALIBR_LOCK: &str = "extractor/filesystem/language/ruby/gemfilelock";
const SCALIBR_GEMSPEC: &str = "extractor/filesystem/language/ruby/gemspec";
const SYFT_RUBY: &str = "syft/pkg/cataloger/ruby";

fn check_lock(source: fixtures::Source, dir: &'static str, path: &'static str) -> usize {
    let fixture = Fixture { source, dir, path };
    let ours = run(&GemfileLockAnalyzer, &fixture);
    let expected = expected(&fixture);
    assert_names(&ours, &expected, &[], path);
    assert_flags(&ours, &expected, path)
}

#[test]
fn gemfile_lock_trivy_normal() {
    let flags = check_lock(TRIVY_PARSER, TRIVY_BUNDLER, "testdata/Gemfile_normal.lock");
    assert!(flags > 0, "Trivy states direct and indirect gems here");
}

#[test]
fn gemfile_lock_trivy_bundler2() {
    let flags = check_lock(
        TRIVY_PARSER,
        TRIVY_BUNDLER,
        "testdata/Gemfile_bundler2.lock",
    );
    assert!(flags > 0, "Trivy states direct and indirect gems here");
}

#[test]
fn gemfile_lock_scalibr_fixtures() {
    for path in [
        "testdata/has-git-gem.lock",
        "testdata/has-local-gem.lock",
        "testdata/multiple-gems.lock",
        "testdata/one-gem.lock",
        "testdata/rails.lock",
        "testdata/rubocop.lock",
        "testdata/some-gems.lock",
        "testdata/source-section-at-end.lock",
    ] {
        check_lock(SCALIBR, SCALIBR_LOCK, path);
    }
}

#[test]
fn gemfile_lock_syft_purls() {
    let fixture = Fixture {
        source: SYFT,
        dir: SYFT_RUBY,
        path: "testdata/Gemfile.lock",
    };
    let ours = run(&GemfileLockAnalyzer, &fixture);
    let expected = expected(&fixture);
    assert_names(&ours, &expected, &[], fixture.path);
    let purls: std::collections::BTreeSet<String> = ours.iter().map(|p| p.purl.clone()).collect();
    let want = expected_purls(&expected);
    assert!(!want.is_empty());
    assert_eq!(purls, want);
}

#[test]
fn gemfile_lock_edges_resolve_to_locked_versions() {
    let fixture = Fixture {
        source: TRIVY_PARSER,
        dir: TRIVY_BUNDLER,
        path: "testdata/Gemfile_bundler2.lock",
    };
    let ours = run(&GemfileLockAnalyzer, &fixture);
    let locked: std::collections::BTreeSet<String> = ours
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    let edges: Vec<&String> = ours.iter().flat_map(|p| &p.depends_on).collect();
    assert!(!edges.is_empty(), "the fixture has nested dependencies");
    for edge in edges {
        assert!(
            locked.contains(edge),
            "edge {edge} does not name a locked gem"
        );
    }
}

#[test]
fn gemfile_lock_empty_sections_give_nothing() {
    for path in [
        "testdata/no-gem-section.lock",
        "testdata/no-gems.lock",
        "testdata/no-spec-section.lock",
    ] {
        let fixture = Fixture {
            source: SCALIBR,
            dir: SCALIBR_LOCK,
            path,
        };
        assert!(run(&GemfileLockAnalyzer, &fixture).is_empty(), "{path}");
    }
}

/// Trivy accepts `Gemfile_malformed.lock` (one lower-case word) as an empty
/// lockfile. Bundler writes only upper-case section headers in column 0,
/// so that line is not a lockfile and we report it.
#[test]
fn gemfile_lock_malformed_is_error() {
    assert_err(
        &GemfileLockAnalyzer,
        &Fixture {
            source: TRIVY_PARSER,
            dir: TRIVY_BUNDLER,
            path: "testdata/Gemfile_malformed.lock",
        },
    );
    assert_err(
        &GemfileLockAnalyzer,
        &Fixture {
            source: SCALIBR,
            dir: SCALIBR_LOCK,
            path: "testdata/invalid.lock",
        },
    );
}

/// A copy of a real lockfile whose first spec lost its closing bracket
/// must fail with the line number, not be half-read.
#[test]
fn gemfile_lock_truncated_spec_names_line() {
    let fixture = Fixture {
        source: TRIVY_PARSER,
        dir: TRIVY_BUNDLER,
        path: "testdata/Gemfile_bundler2.lock",
    };
    let text = String::from_utf8(fixture.data()).expect("UTF-8 fixture");
    let broken = text.replacen("coderay (1.1.3)", "coderay (1.1.3", 1);
    assert_ne!(text, broken, "fixture changed: the spec to break is gone");
    let error = bulwark_inventory::Analyzer::analyze(
        &GemfileLockAnalyzer,
        "Gemfile.lock",
        broken.as_bytes(),
    )
    .expect_err("a spec without `)` must be rejected");
    assert!(error.contains("line 4"), "{error}");
}

fn check_gemspec(
    source: fixtures::Source,
    dir: &'static str,
    path: &'static str,
) -> Vec<bulwark_inventory::Package> {
    let fixture = Fixture { source, dir, path };
    let ours = run(&GemspecAnalyzer, &fixture);
    assert_names(&ours, &expected(&fixture), &[], path);
    ours
}

#[test]
fn gemspec_trivy_fixtures() {
    for path in [
        "testdata/normal00.gemspec",
        "testdata/normal01.gemspec",
        "testdata/license.gemspec",
        "testdata/multiple_licenses.gemspec",
    ] {
        check_gemspec(TRIVY_PARSER, TRIVY_GEMSPEC, path);
    }
    check_gemspec(
        TRIVY_FANAL,
        TRIVY_FANAL_GEMSPEC,
        "testdata/multiple_licenses.gemspec",
    );
}

/// Licenses come from the `licenses` array: each one we report must be a
/// quoted string on that line of the fixture.
#[test]
fn gemspec_licenses_come_from_array() {
    let fixture = Fixture {
        source: TRIVY_PARSER,
        dir: TRIVY_GEMSPEC,
        path: "testdata/multiple_licenses.gemspec",
    };
    let ours = check_gemspec(TRIVY_PARSER, TRIVY_GEMSPEC, fixture.path);
    let text = String::from_utf8(fixture.data()).expect("UTF-8 fixture");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("s.licenses"))
        .expect("fixture has a licenses line");
    let quoted = line.matches('"').count() / 2;
    assert_eq!(ours[0].licenses.len(), quoted, "{line}");
    for license in &ours[0].licenses {
        assert!(
            line.contains(&format!("\"{license}\"")),
            "{license} not in {line}"
        );
    }
}

#[test]
fn gemspec_scalibr_fixtures() {
    for path in [
        "testdata/rss-0.2.9.gemspec",
        "testdata/yaml-0.2.1.gemspec",
        "testdata/version_inline.gemspec",
    ] {
        check_gemspec(SCALIBR, SCALIBR_GEMSPEC, path);
    }
}

#[test]
fn gemspec_syft_purls() {
    for path in ["testdata/bundler.gemspec", "testdata/formatador.gemspec"] {
        let fixture = Fixture {
            source: SYFT,
            dir: SYFT_RUBY,
            path,
        };
        let ours = check_gemspec(SYFT, SYFT_RUBY, path);
        let purls: std::collections::BTreeSet<String> =
            ours.iter().map(|p| p.purl.clone()).collect();
        assert_eq!(purls, expected_purls(&expected(&fixture)), "{path}");
    }
}

/// OSV-SCALIBR evaluates `VERSION` constants defined in other files of a
/// source checkout (the `version.rb` files are not in the corpus either).
/// Installed gemspecs, the files this analyzer is for, always hold the
/// version as a literal, so a computed version is reported as an error.
#[test]
fn gemspec_computed_version_is_error() {
    for path in [
        "testdata/version_constant/version_constant.gemspec",
        "testdata/version_constant_freeze/version_constant_freeze.gemspec",
        "testdata/version_method/version_method.gemspec",
        "testdata/version_load_path/version_load_path.gemspec",
        "testdata/version_constant_missing/version_constant_missing.gemspec",
    ] {
        assert_err(
            &GemspecAnalyzer,
            &Fixture {
                source: SCALIBR,
                dir: SCALIBR_GEMSPEC,
                path,
            },
        );
    }
}

#[test]
fn gemspec_malformed_is_error() {
    for path in [
        "testdata/malformed00.gemspec",
        "testdata/malformed01.gemspec",
    ] {
        assert_err(
            &GemspecAnalyzer,
            &Fixture {
                source: TRIVY_PARSER,
                dir: TRIVY_GEMSPEC,
                path,
            },
        );
    }
    assert_err(
        &GemspecAnalyzer,
        &Fixture {
            source: SCALIBR,
            dir: SCALIBR_GEMSPEC,
            path: "testdata/invalid.gemspec",
        },
    );
    assert_err(
        &GemspecAnalyzer,
        &Fixture {
            source: TRIVY_FANAL,
            dir: TRIVY_FANAL_GEMSPEC,
            path: "testdata/empty_name.gemspec",
        },
    );
}

/// Files without a `Gem::Specification.new` block describe no gem.
#[test]
fn gemspec_without_block_gives_nothing() {
    for path in ["testdata/empty.gemspec", "testdata/badspec.gemspec"] {
        let fixture = Fixture {
            source: SCALIBR,
            dir: SCALIBR_GEMSPEC,
            path,
        };
        assert!(run(&GemspecAnalyzer, &fixture).is_empty(), "{path}");
    }
}

#[test]
fn ruby_wants_real_paths() {
    assert!(wants(&GemfileLockAnalyzer, "app/Gemfile.lock"));
    assert!(wants(&GemfileLockAnalyzer, "Gemfile.lock"));
    assert!(wants(&GemfileLockAnalyzer, "srv/gems.locked"));
    assert!(!wants(&GemfileLockAnalyzer, "app/Gemfile"));
    assert!(!wants(&GemfileLockAnalyzer, "app/Gemfile.next.lock"));
    assert!(wants(
        &GemspecAnalyzer,
        "usr/local/bundle/specifications/rake-13.0.3.gemspec"
    ));
    assert!(wants(
        &GemspecAnalyzer,
        "usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec"
    ));
    assert!(!wants(&GemspecAnalyzer, "src/myapp/myapp.gemspec"));
    assert!(!wants(
        &GemspecAnalyzer,
        "usr/local/bundle/specifications/README"
    ));
}

/// A directory scan with every analyzer finds the lockfile and the
/// installed gemspec by their real names and turns edges into package ids.
#[test]
fn ruby_directory_scan_links_edges() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lock = Fixture {
        source: TRIVY_PARSER,
        dir: TRIVY_BUNDLER,
        path: "testdata/Gemfile_bundler2.lock",
    };
    let spec = Fixture {
        source: TRIVY_PARSER,
        dir: TRIVY_GEMSPEC,
        path: "testdata/normal00.gemspec",
    };
    std::fs::create_dir_all(dir.path().join("app")).expect("create app");
    std::fs::write(dir.path().join("app/Gemfile.lock"), lock.data()).expect("write lockfile");
    let specifications = dir.path().join("usr/local/bundle/specifications");
    std::fs::create_dir_all(&specifications).expect("create specifications");
    std::fs::write(specifications.join("rake-13.0.3.gemspec"), spec.data()).expect("write gemspec");

    let inventory = support::inventory_dir(dir.path());
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let gems: Vec<&bulwark_inventory::Package> = inventory
        .packages
        .iter()
        .filter(|p| p.kind == bulwark_inventory::PackageKind::Gem)
        .collect();
    let locked = run(&GemfileLockAnalyzer, &lock).len();
    assert_eq!(
        gems.len(),
        locked + 1,
        "every locked gem and the installed rake"
    );
    let rake = gems
        .iter()
        .find(|p| p.name == "rake")
        .expect("installed rake");
    assert!(
        rake.locations[0].ends_with("specifications/rake-13.0.3.gemspec"),
        "{:?}",
        rake.locations
    );
    let pry = gems.iter().find(|p| p.name == "pry").expect("locked pry");
    let coderay = gems
        .iter()
        .find(|p| p.name == "coderay")
        .expect("locked coderay");
    assert!(
        pry.depends_on.contains(&coderay.id),
        "{:?} lacks {}",
        pry.depends_on,
        coderay.id
    );
}
