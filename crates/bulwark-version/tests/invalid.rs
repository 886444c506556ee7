//! Hostile and malformed versions, derived by code from real versions in OSV-Scalibr's
//! semantic test data: every scheme must return an error or a consistent order, never panic.

use std::cmp::Ordering;
use std::path::PathBuf;

use bulwark_version::{MAX_VERSION_LEN, Scheme, compare};

/// Every scheme with the corpus file whose versions feed the derived cases.
const SCHEMES: [(Scheme, &str); 13] = [
    (Scheme::Dpkg, "debian-versions-generated.txt"),
    (Scheme::Apk, "alpine-versions-generated.txt"),
    (Scheme::Rpm, "redhat-versions.txt"),
    (Scheme::Pep440, "pypi-versions-generated.txt"),
    (Scheme::SemVer, "semver-versions.txt"),
    (Scheme::Go, "semver-versions.txt"),
    (Scheme::NuGet, "nuget-versions.txt"),
    (Scheme::Maven, "maven-versions-generated.txt"),
    (Scheme::RubyGems, "rubygems-versions-generated.txt"),
    (Scheme::Composer, "packagist-versions-generated.txt"),
    (Scheme::Pub, "pub-versions.txt"),
    (Scheme::Cran, "cran-versions-generated.txt"),
    (Scheme::Hackage, "hackage-versions.txt"),
];

/// Most distinct versions taken from one corpus file.
const SAMPLE: usize = 300;

/// Returns up to [`SAMPLE`] distinct versions from a corpus file that are valid under
/// `scheme`.
fn real_versions(scheme: Scheme, file: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/scan/osv-scalibr/semantic-testdata")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read corpus file {}: {error}", path.display()));
    let mut versions: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        for version in line.split_whitespace().step_by(2) {
            if scheme.validate(version).is_ok() && !versions.iter().any(|v| v == version) {
                versions.push(version.to_owned());
            }
        }
        if versions.len() >= SAMPLE {
            break;
        }
    }
    assert!(!versions.is_empty(), "no valid versions in {file}");
    versions
}

/// Replaces the leading run of digits of `version` with `number`.
fn with_leading_number(version: &str, number: &str) -> Option<String> {
    let digits = version.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| format!("{number}{}", &version[digits..]))
}

#[test]
fn numbers_beyond_u64_compare_exactly() {
    let above = "18446744073709551616"; // u64::MAX + 1
    let max = "18446744073709551615"; // u64::MAX
    let huge = format!("1{}", "0".repeat(40));
    let nines = "9".repeat(40);
    for (scheme, file) in SCHEMES {
        let mut checked = 0;
        for version in real_versions(scheme, file) {
            // An epoch (`:` or `!`) would come before the replaced number.
            if version.contains([':', '!']) {
                continue;
            }
            for (larger, smaller) in [(above, max), (huge.as_str(), nines.as_str())] {
                let (Some(a), Some(b)) = (
                    with_leading_number(&version, larger),
                    with_leading_number(&version, smaller),
                ) else {
                    continue;
                };
                assert_eq!(
                    compare(scheme, &a, &b),
                    Ok(Ordering::Greater),
                    "{scheme}: {a} > {b}"
                );
                assert_eq!(
                    compare(scheme, &b, &a),
                    Ok(Ordering::Less),
                    "{scheme}: {b} < {a}"
                );
                assert_eq!(
                    compare(scheme, &a, &a),
                    Ok(Ordering::Equal),
                    "{scheme}: {a} = {a}"
                );
                checked += 1;
            }
        }
        assert!(checked > 0, "{scheme}: no version starts with a number");
    }
}

#[test]
fn control_characters_and_spaces_rejected() {
    for (scheme, file) in SCHEMES {
        for version in real_versions(scheme, file) {
            let middle = version.len() / 2;
            let middle = (0..=middle)
                .rev()
                .find(|&i| version.is_char_boundary(i))
                .unwrap_or(0);
            for insert in ["\0", " ", "\n", "\u{7f}"] {
                let hostile = format!("{}{insert}{}", &version[..middle], &version[middle..]);
                // Surrounding whitespace is allowed by PEP 440 and RubyGems, so only test
                // characters strictly inside the version.
                if hostile.trim() != hostile {
                    continue;
                }
                let error = scheme.validate(&hostile);
                assert!(error.is_err(), "{scheme}: {hostile:?} was accepted");
                assert!(
                    compare(scheme, &hostile, &version).is_err(),
                    "{scheme}: compared {hostile:?}"
                );
            }
        }
    }
}

#[test]
fn empty_version_rejected() {
    for (scheme, _) in SCHEMES {
        // `Gem::Version.new("")` is version 0.
        if scheme == Scheme::RubyGems {
            assert_eq!(compare(scheme, "", "0"), Ok(Ordering::Equal));
            continue;
        }
        let error = scheme
            .validate("")
            .expect_err("an empty version must be rejected");
        assert!(
            error.to_string().contains("\"\""),
            "{scheme}: message does not name the version: {error}"
        );
    }
}

#[test]
fn overlong_versions_rejected() {
    for (scheme, file) in SCHEMES {
        let version = &real_versions(scheme, file)[0];
        // Repeat a real version, joined by `-` so that Maven nests one list per copy.
        let copies = MAX_VERSION_LEN / (version.len() + 1) + 2;
        let long = vec![version.as_str(); copies].join("-");
        let error = scheme
            .validate(&long)
            .expect_err("overlong version accepted");
        assert!(
            error.to_string().len() < 400,
            "{scheme}: error message is not bounded: {} bytes",
            error.to_string().len()
        );
    }
}

/// Deterministic byte mutations of real versions: every result must be an error or an
/// order that is reflexive and antisymmetric.
#[test]
fn mutated_versions_never_panic() {
    const REPLACEMENTS: [&str; 16] = [
        "",
        ".",
        "-",
        "_",
        "~",
        "^",
        "+",
        ":",
        "!",
        "#",
        "0",
        "9",
        "a",
        "Z",
        "é",
        "\u{1F600}",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (scheme, file) in SCHEMES {
        let versions = real_versions(scheme, file);
        for version in &versions {
            for _ in 0..8 {
                let chars: Vec<char> = version.chars().collect();
                let at = usize::try_from(next()).unwrap_or(0) % (chars.len() + 1);
                let replacement =
                    REPLACEMENTS[usize::try_from(next()).unwrap_or(0) % REPLACEMENTS.len()];
                // Either insert the replacement or let it overwrite one character.
                let resume = if next() % 2 == 0 { at } else { at + 1 };
                let mut mutated: String = chars[..at].iter().collect();
                mutated.push_str(replacement);
                mutated.extend(chars.iter().skip(resume));
                let other = &versions[usize::try_from(next()).unwrap_or(0) % versions.len()];
                if let Ok(order) = compare(scheme, &mutated, other) {
                    assert_eq!(
                        compare(scheme, other, &mutated),
                        Ok(order.reverse()),
                        "{scheme}: {mutated:?} vs {other:?} is not antisymmetric"
                    );
                    assert_eq!(
                        compare(scheme, &mutated, &mutated),
                        Ok(Ordering::Equal),
                        "{scheme}: {mutated:?} is not equal to itself"
                    );
                }
            }
        }
    }
}
