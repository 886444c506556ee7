//! Helpers shared by the Python analyzers: names, versions and purls as
//! PEP 503, PEP 508 and the purl specification define them.

use crate::package::{Package, PackageKind};
use crate::purl::PurlBuilder;

/// Creates a PyPI package with its purl. The name stays as the file
/// spells it; the purl uses the normalized name.
pub(crate) fn pypi_package(name: &str, version: &str) -> Package {
    let mut package = Package::new(PackageKind::Pypi, name, version);
    package.purl = PurlBuilder::new("pypi", &purl_name(name))
        .version(version)
        .build();
    package
}

/// The purl spelling of a PyPI name: lowercase, with `_` replaced by `-`
/// as the purl specification requires.
fn purl_name(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// Returns whether `path` is a project file named `file_name`: lockfiles
/// and requirements files inside an installed distribution
/// (`site-packages`, `dist-packages`) or an npm package came with that
/// package's sources, so they do not describe what is installed.
pub(crate) fn is_project_file(path: &str, file_name: &str) -> bool {
    let mut parts = path.rsplit('/');
    parts.next() == Some(file_name) && !parts.any(is_installed_tree)
}

/// Returns whether a directory of that name contains installed packages.
pub(crate) fn is_installed_tree(name: &str) -> bool {
    matches!(name, "site-packages" | "dist-packages" | "node_modules")
}

/// PEP 503 normalization: lowercase, with every run of `-`, `_` and `.`
/// collapsed to one `-`.
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// Returns whether `name` is a valid distribution name (PEP 508): ASCII
/// letters and digits, with `.`, `_` and `-` allowed inside.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Returns whether `version` looks like one concrete version: no spaces,
/// wildcards, quotes or template syntax.
pub(crate) fn is_concrete_version(version: &str) -> bool {
    !version.is_empty()
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'!' | b'_' | b'-'))
}

/// Splits a PEP 508 requirement into its name and the rest (extras,
/// specifiers, URL and markers). Returns `None` when no valid name starts
/// the text.
pub(crate) fn split_requirement(text: &str) -> Option<(&str, &str)> {
    let text = text.trim_start();
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(text.len());
    let name = &text[..end];
    is_valid_name(name).then(|| (name, &text[end..]))
}

/// Returns whether a requirement's environment marker limits it to an
/// extra (`extra == "test"`), which is only installed on request.
pub(crate) fn marker_needs_extra(requirement: &str) -> bool {
    requirement.split_once(';').is_some_and(|(_, marker)| {
        marker
            .split_whitespace()
            .any(|w| w == "extra" || w.starts_with("extra=="))
    })
}

/// Extracts the dependency names of requirement strings, skipping those
/// only needed by extras.
pub(crate) fn requirement_names<'a>(
    requirements: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut names: Vec<String> = requirements
        .into_iter()
        .filter(|r| !marker_needs_extra(r))
        .filter_map(|r| split_requirement(r).map(|(name, _)| name.to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The packages of one lockfile by normalized name, to turn a dependency
/// name into a `name@version` reference.
pub(crate) struct LockIndex<'a> {
    by_name: std::collections::HashMap<String, Vec<(&'a str, &'a str)>>,
}

impl<'a> LockIndex<'a> {
    pub(crate) fn new(packages: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut by_name: std::collections::HashMap<String, Vec<(&str, &str)>> =
            std::collections::HashMap::new();
        for (name, version) in packages {
            by_name
                .entry(normalize_name(name))
                .or_default()
                .push((name, version));
        }
        Self { by_name }
    }

    /// `name@version` when the lockfile holds one version of `name`, the
    /// bare name (as the lockfile spells it) otherwise.
    pub(crate) fn reference(&self, name: &str) -> String {
        match self.by_name.get(&normalize_name(name)).map(Vec::as_slice) {
            Some([(locked, version)]) => format!("{locked}@{version}"),
            Some([(locked, _), ..]) => (*locked).to_owned(),
            _ => name.to_owned(),
        }
    }
}

/// A version key for comparing PEP 440 versions for equality: lowercase,
/// without a leading `v`, and without trailing zero release segments, so
/// that `3.2`, `3.2.0` and `V3.2.0` compare equal.
pub(crate) fn version_key(version: &str) -> String {
    let lower = version.trim().to_ascii_lowercase();
    let lower = lower.strip_prefix('v').unwrap_or(&lower);
    let (epoch, rest) = match lower.split_once('!') {
        Some((epoch, rest)) => (Some(epoch.trim_start_matches('0')), rest),
        None => (None, lower),
    };
    let release_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (release, suffix) = rest.split_at(release_end);
    let trailing_dot = release.ends_with('.');
    let mut parts: Vec<String> = release
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let trimmed = p.trim_start_matches('0');
            if trimmed.is_empty() {
                "0".to_owned()
            } else {
                trimmed.to_owned()
            }
        })
        .collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p == "0") {
        parts.pop();
    }
    let mut key = String::new();
    if let Some(epoch) = epoch.filter(|e| !e.is_empty()) {
        key.push_str(epoch);
        key.push('!');
    }
    key.push_str(&parts.join("."));
    if trailing_dot {
        key.push('.');
    }
    key.push_str(suffix);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_per_pep_503() {
        assert_eq!(normalize_name("Friendly-_-Bard"), "friendly-bard");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("PyYAML"), "pyyaml");
    }

    #[test]
    fn purl_lowercases_and_replaces_underscores() {
        let package = pypi_package("typing_extensions", "4.4.0");
        assert_eq!(package.purl, "pkg:pypi/typing-extensions@4.4.0");
        assert_eq!(package.name, "typing_extensions");
        let package = pypi_package("local-version", "1.2.3+gcr.2");
        assert_eq!(package.purl, "pkg:pypi/local-version@1.2.3%2Bgcr.2");
    }

    #[test]
    fn requirement_names_skip_extras() {
        let names = requirement_names([
            "asgiref (<4,>=3.2.10)",
            "argon2-cffi (>=19.1.0) ; extra == 'argon2'",
            "Jinja2>=2.4",
            "colorama; platform_system == \"Windows\"",
            "pytest; extra=='test'",
        ]);
        assert_eq!(names, vec!["Jinja2", "asgiref", "colorama"]);
    }

    #[test]
    fn version_keys_ignore_trailing_zero_segments() {
        assert_eq!(version_key("3.2"), version_key("3.2.0"));
        assert_eq!(version_key("v1.0.0"), version_key("1"));
        assert_ne!(version_key("1.0.1"), version_key("1.0"));
        assert_eq!(version_key("1!2.0.0rc1"), "1!2rc1");
        assert_ne!(version_key("2.0rc1"), version_key("2.0"));
        assert_eq!(version_key("2010.0"), "2010");
    }
}
