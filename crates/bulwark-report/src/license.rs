//! Mapping license strings from package metadata to SPDX license terms.
//!
//! Package metadata states licenses in many dialects: SPDX ids in any
//! letter case, deprecated SPDX ids such as `GPL-2.0+`, the short names of
//! the Debian machine-readable copyright format (`GPL-2+`, `Expat`) and
//! free text. Each string becomes an SPDX license id, an SPDX expression,
//! or a name that formats must carry as a `LicenseRef-` or a plain name.

use sha2::{Digest, Sha256};

/// The SBOM form of one license string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LicenseTerm {
    /// A license on the SPDX license list, by its canonical id.
    Id(String),
    /// A valid SPDX expression, such as `MIT OR Apache-2.0`.
    Expression(String),
    /// Anything else, kept verbatim.
    Name(String),
}

/// Classifies a license string from package metadata.
pub(crate) fn classify(text: &str) -> LicenseTerm {
    let trimmed = text.trim();
    if let Some(term) = listed_license(trimmed).or_else(|| debian_short_name(trimmed)) {
        return term;
    }
    if is_strict_expression(trimmed) {
        return LicenseTerm::Expression(trimmed.to_owned());
    }
    LicenseTerm::Name(trimmed.to_owned())
}

/// Classifies every non-empty license string of a package, dropping
/// repeats while keeping the first occurrence's position.
pub(crate) fn classify_all(texts: &[String]) -> Vec<LicenseTerm> {
    let mut terms: Vec<LicenseTerm> = Vec::new();
    for text in texts.iter().filter(|t| !t.trim().is_empty()) {
        let term = classify(text);
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// Looks a license up on the SPDX list. SPDX ids match case-insensitively
/// (SPDX 2.3, annex D). A trailing `+` means "this version or later",
/// which GNU licenses express with `-or-later` ids. The bare GNU ids
/// (`GPL-2.0`) are deprecated aliases of the `-only` ids.
fn listed_license(text: &str) -> Option<LicenseTerm> {
    let (base, or_later) = match text.strip_suffix('+') {
        Some(base) => (base, true),
        None => (text, false),
    };
    let listed = spdx::identifiers::LICENSES
        .iter()
        .find(|license| license.name.eq_ignore_ascii_case(base))?;
    let id = spdx::license_id(listed.name)?;
    if !id.is_gnu() {
        // NOTE: SPDX allows `MPL-1.1+`, but spdx-tools 0.8.5 rejects the
        // `+` operator, so such a license stays a name.
        return (!or_later).then(|| LicenseTerm::Id(listed.name.to_owned()));
    }
    let explicit = listed.name.ends_with("-only") || listed.name.ends_with("-or-later");
    if explicit {
        // `GPL-2.0-only+` contradicts itself, so it is left as a name.
        return (!or_later).then(|| LicenseTerm::Id(listed.name.to_owned()));
    }
    match spdx::gnu_license_id(listed.name, or_later) {
        Some(gnu) => Some(LicenseTerm::Id(gnu.name.to_owned())),
        None if !or_later => Some(LicenseTerm::Id(listed.name.to_owned())),
        None => None,
    }
}

/// Maps the license short names of the Debian machine-readable copyright
/// format 1.0 that differ from SPDX ids: `Expat` is the SPDX `MIT`
/// license, and the GNU licenses are written `GPL-2`, `LGPL-2.1+`,
/// `GFDL-NIV-1.3` (no invariant sections), where `+` means "or later".
fn debian_short_name(text: &str) -> Option<LicenseTerm> {
    if text.eq_ignore_ascii_case("Expat") {
        return Some(LicenseTerm::Id("MIT".to_owned()));
    }
    let (rest, or_later) = match text.strip_suffix('+') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let (family, version) = rest.rsplit_once('-')?;
    let family = family.to_ascii_uppercase();
    let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
    let numeric = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !numeric(major) || !numeric(minor) {
        return None;
    }
    let base = match family.as_str() {
        "GPL" | "LGPL" | "AGPL" | "GFDL" => format!("{family}-{major}.{minor}"),
        "GFDL-NIV" => format!("GFDL-{major}.{minor}-no-invariants"),
        _ => return None,
    };
    let id = spdx::gnu_license_id(&base, or_later)?;
    Some(LicenseTerm::Id(id.name.to_owned()))
}

/// Returns whether the text is an SPDX expression that strict SPDX
/// parsing accepts, with at least one operator or a `LicenseRef-` id,
/// written with uppercase operators, without the `+` operator (see
/// [`listed_license`]) and without `DocumentRef-` parts, which a
/// standalone document cannot resolve.
fn is_strict_expression(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    let operators = ["AND", "OR", "WITH"];
    let has_operator = words.iter().any(|w| operators.contains(w));
    let lowercase_operator = words
        .iter()
        .any(|w| !operators.contains(w) && operators.iter().any(|op| op.eq_ignore_ascii_case(w)));
    (has_operator || text.starts_with("LicenseRef-"))
        && !lowercase_operator
        && !text.contains('+')
        && !text.contains("DocumentRef-")
        && spdx::Expression::parse(text).is_ok()
}

/// Returns the `LicenseRef-` ids that an SPDX expression uses.
pub(crate) fn license_refs_in(expression: &str) -> Vec<String> {
    let Ok(parsed) = spdx::Expression::parse(expression) else {
        return Vec::new();
    };
    parsed
        .requirements()
        .filter_map(|requirement| match &requirement.req.license {
            spdx::LicenseItem::Other(other) => Some(format!("LicenseRef-{}", other.lic_ref)),
            spdx::LicenseItem::Spdx { .. } => None,
        })
        .collect()
}

/// Builds a `LicenseRef-` id for a license name that is not on the SPDX
/// list. Ids may hold only letters, digits, `.` and `-`; when the name has
/// other characters they become `-` and a digest of the name follows, so
/// that different names never share an id (`GPL 2` and `GPL/2`).
pub(crate) fn license_ref(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches('-');
    if cleaned == name {
        return format!("LicenseRef-{cleaned}");
    }
    let digest = hex::encode(&Sha256::digest(name.as_bytes())[..4]);
    if cleaned.is_empty() {
        format!("LicenseRef-{digest}")
    } else {
        format!("LicenseRef-{cleaned}-{digest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(text: &str) -> LicenseTerm {
        LicenseTerm::Id(text.to_owned())
    }

    #[test]
    fn spdx_ids_match_in_any_case() {
        assert_eq!(classify("MIT"), id("MIT"));
        assert_eq!(classify("BSD-3-clause"), id("BSD-3-Clause"));
        assert_eq!(classify("ZLIB"), id("Zlib"));
    }

    #[test]
    fn plus_suffix_keeps_or_later() {
        assert_eq!(classify("GPL-2.0+"), id("GPL-2.0-or-later"));
        assert_eq!(classify("GPL-2.0"), id("GPL-2.0-only"));
        assert_eq!(classify("MPL-1.1+"), LicenseTerm::Name("MPL-1.1+".into()));
        assert_eq!(
            classify("MPL-1.1+ OR MIT"),
            LicenseTerm::Name("MPL-1.1+ OR MIT".into())
        );
        assert_eq!(
            classify("GPL-2.0-only+"),
            LicenseTerm::Name("GPL-2.0-only+".into())
        );
    }

    #[test]
    fn debian_short_names_map_to_spdx() {
        assert_eq!(classify("GPL-2+"), id("GPL-2.0-or-later"));
        assert_eq!(classify("GPL-2"), id("GPL-2.0-only"));
        assert_eq!(classify("LGPL-2.1+"), id("LGPL-2.1-or-later"));
        assert_eq!(classify("Expat"), id("MIT"));
        assert_eq!(
            classify("GFDL-NIV-1.3+"),
            id("GFDL-1.3-no-invariants-or-later")
        );
        assert_eq!(classify("GPL"), LicenseTerm::Name("GPL".into()));
        assert_eq!(
            classify("public-domain"),
            LicenseTerm::Name("public-domain".into())
        );
    }

    #[test]
    fn expressions_need_strict_syntax() {
        assert_eq!(
            classify("MIT OR Apache-2.0"),
            LicenseTerm::Expression("MIT OR Apache-2.0".into())
        );
        assert_eq!(
            classify("MIT or Apache-2.0"),
            LicenseTerm::Name("MIT or Apache-2.0".into())
        );
        assert_eq!(
            classify("GPL-3+ with Bison exception"),
            LicenseTerm::Name("GPL-3+ with Bison exception".into())
        );
        assert_eq!(
            classify("DocumentRef-x:LicenseRef-y AND MIT"),
            LicenseTerm::Name("DocumentRef-x:LicenseRef-y AND MIT".into())
        );
    }

    #[test]
    fn repeated_licenses_are_listed_once() {
        let texts = ["GPL-2+", "GPL-2.0-or-later", "", "MIT"].map(String::from);
        assert_eq!(
            classify_all(&texts),
            vec![id("GPL-2.0-or-later"), id("MIT")]
        );
    }

    #[test]
    fn license_refs_are_distinct_for_distinct_names() {
        assert_eq!(license_ref("public-domain"), "LicenseRef-public-domain");
        let spaced = license_ref("BSD (3 clause)");
        assert!(spaced.starts_with("LicenseRef-BSD--3-clause-"), "{spaced}");
        assert_ne!(license_ref("GPL 2"), license_ref("GPL/2"));
        assert_ne!(license_ref("GPL-2+"), license_ref("GPL-2"));
        assert!(license_ref("©").starts_with("LicenseRef-"));
    }

    #[test]
    fn license_ref_alone_is_an_expression() {
        assert_eq!(
            classify("LicenseRef-Proprietary"),
            LicenseTerm::Expression("LicenseRef-Proprietary".into())
        );
    }

    #[test]
    fn license_refs_in_expression_are_found() {
        assert_eq!(
            license_refs_in("MIT AND (LicenseRef-foo OR Apache-2.0)"),
            vec!["LicenseRef-foo".to_owned()]
        );
    }
}
