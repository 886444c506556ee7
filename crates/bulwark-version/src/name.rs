//! Package name normalization, so that names from lockfiles, package databases and
//! advisories compare equal when the ecosystem treats them as the same package.

use crate::Ecosystem;

/// Normalizes a package name into the form used to match it within `ecosystem`.
///
/// The result is a matching key, not a display name:
/// - PyPI: PEP 503, lowercase with every run of `-`, `_` and `.` replaced by one `-`.
/// - npm: lowercase, with the `@scope/` prefix kept.
/// - crates.io: lowercase with `_` replaced by `-`. Cargo treats `-` and `_` as distinct,
///   but crates.io refuses a new crate whose name differs from an existing one only in
///   case or in `-` versus `_`, so the key never merges two different crates.
/// - NuGet and Packagist: lowercase, as both registries ignore case.
/// - Maven: `group:artifact` with whitespace around each part removed; case is kept.
/// - Everything else (Go, RubyGems, Pub, CRAN, Hackage, Hex and the Linux distributions):
///   unchanged, as those names are case-sensitive.
pub fn normalize_name(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::PyPi => normalize_pypi(name),
        // NOTE: a few npm packages published before 2017 have uppercase letters
        // (`JSONStream`); lowercasing merges them with any lowercase twin.
        Ecosystem::Npm | Ecosystem::NuGet | Ecosystem::Packagist => name.to_lowercase(),
        Ecosystem::CratesIo => name.to_lowercase().replace('_', "-"),
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) => format!("{}:{}", group.trim(), artifact.trim()),
            None => name.trim().to_owned(),
        },
        _ => name.to_owned(),
    }
}

fn normalize_pypi(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                normalized.push('-');
            }
            in_separator_run = true;
        } else {
            normalized.extend(c.to_lowercase());
            in_separator_run = false;
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(
            normalize_name(Ecosystem::PyPi, "Friendly-Bard"),
            "friendly-bard"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPi, "FRIENDLY._-bard"),
            "friendly-bard"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPi, "zope.interface"),
            "zope-interface"
        );
    }

    #[test]
    fn npm_scope_kept() {
        assert_eq!(normalize_name(Ecosystem::Npm, "@Babel/Core"), "@babel/core");
    }

    #[test]
    fn crate_separators_merge() {
        assert_eq!(
            normalize_name(Ecosystem::CratesIo, "Serde_JSON"),
            "serde-json"
        );
    }

    #[test]
    fn go_case_kept() {
        let module = "github.com/BurntSushi/toml";
        assert_eq!(normalize_name(Ecosystem::Go, module), module);
    }

    #[test]
    fn maven_coordinates_trimmed() {
        assert_eq!(
            normalize_name(Ecosystem::Maven, " org.apache.logging.log4j : log4j-core"),
            "org.apache.logging.log4j:log4j-core"
        );
    }

    #[test]
    fn nuget_and_packagist_lowercased() {
        assert_eq!(
            normalize_name(Ecosystem::NuGet, "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(
            normalize_name(Ecosystem::Packagist, "Symfony/HTTP-Kernel"),
            "symfony/http-kernel"
        );
    }

    #[test]
    fn distribution_names_unchanged() {
        assert_eq!(normalize_name(Ecosystem::Debian, "libssl3"), "libssl3");
        assert_eq!(normalize_name(Ecosystem::RubyGems, "Ascii85"), "Ascii85");
    }
}
