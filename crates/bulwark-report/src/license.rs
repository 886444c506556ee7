//! Mapping license strings from package metadata to SPDX terms.

/// How one license string is expressed in SBOM formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LicenseTerm {
    /// A license on the SPDX license list, by its canonical id.
    Id(String),
    /// A valid SPDX expression with operators, such as `MIT OR Apache-2.0`.
    Expression(String),
    /// Anything else, kept verbatim.
    Name(String),
}

/// Classifies a license string from package metadata.
pub(crate) fn classify(text: &str) -> LicenseTerm {
    let trimmed = text.trim();
    if let Some(license) = spdx::license_id(trimmed) {
        return LicenseTerm::Id(license.name.to_owned());
    }
    let has_operator = [" AND ", " OR ", " WITH "]
        .iter()
        .any(|op| trimmed.contains(op));
    if has_operator && spdx::Expression::parse(trimmed).is_ok() {
        return LicenseTerm::Expression(trimmed.to_owned());
    }
    LicenseTerm::Name(trimmed.to_owned())
}

/// Builds a `LicenseRef-` id (letters, digits, `.` and `-` only) for a
/// license name that is not on the SPDX list.
pub(crate) fn license_ref(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    format!("LicenseRef-{}", cleaned.trim_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_ids_and_expressions_are_recognised() {
        assert_eq!(classify("MIT"), LicenseTerm::Id("MIT".into()));
        assert_eq!(
            classify("MIT OR Apache-2.0"),
            LicenseTerm::Expression("MIT OR Apache-2.0".into())
        );
        assert_eq!(classify("GPL2+"), LicenseTerm::Name("GPL2+".into()));
        assert_eq!(license_ref("BSD (3 clause)"), "LicenseRef-BSD--3-clause");
    }
}
