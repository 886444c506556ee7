//! Helpers shared by the SARIF, OpenVEX and CycloneDX VEX writers.

use sha2::{Digest, Sha256};

use crate::cvss::{CvssVector, Rating};
use crate::finding::{Finding, SeverityLevel};

/// Returns a one-line description: the advisory's title, else
/// `ID in PACKAGE VERSION`.
pub(super) fn short_description(finding: &Finding) -> String {
    match finding.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_owned(),
        _ => format!(
            "{} in {} {}",
            finding.id, finding.package.name, finding.package.version
        ),
    }
}

/// Returns the public page of a vulnerability id: NVD for CVE ids, the
/// GitHub Advisory Database for GHSA ids, OSV.dev for the rest.
pub(super) fn help_uri(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else if id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

/// The CVSS data of a finding: version, vector and score.
pub(super) struct CvssData {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub(super) version: String,
    /// The vector as the advisory states it.
    pub(super) vector: String,
    /// The stated score, else the one computed from the vector.
    pub(super) score: Option<f64>,
}

/// Returns the finding's CVSS vector and its score, computing the score
/// from the vector when the matcher left it unset.
pub(super) fn cvss_data(finding: &Finding) -> Option<CvssData> {
    let cvss = finding.severity.cvss.as_ref()?;
    let score = cvss.score.or_else(|| {
        CvssVector::parse(&cvss.vector)
            .ok()
            .map(|vector| vector.score().value())
    });
    Some(CvssData {
        version: cvss.version.clone(),
        vector: cvss.vector.clone(),
        score,
    })
}

/// Returns the finding's CVSS score, when it has a scorable vector.
pub(super) fn severity_score(finding: &Finding) -> Option<f64> {
    cvss_data(finding)?.score
}

/// Returns a 0.0–10.0 score that agrees with the finding's severity level:
/// the CVSS score when its rating is that level, else a score in the
/// middle of the level's band (critical 9.5, high 8.0, medium 5.5, low
/// 2.0). Code-scanning dashboards rank by this number, and it must not
/// contradict the level that `--fail-on` uses. Returns `None` for an
/// unknown level without a CVSS score.
pub(super) fn representative_score(finding: &Finding) -> Option<f64> {
    let level = finding.severity.level;
    let score = severity_score(finding);
    if let Some(score) = score {
        let rating = crate::cvss::Score::from_tenths((score * 10.0).round() as u8)
            .map(crate::cvss::Score::rating);
        let agrees = matches!(
            (rating, level),
            (Some(Rating::Critical), SeverityLevel::Critical)
                | (Some(Rating::High), SeverityLevel::High)
                | (Some(Rating::Medium), SeverityLevel::Medium)
                | (Some(Rating::Low), SeverityLevel::Low)
                | (_, SeverityLevel::Unknown)
        );
        if agrees {
            return Some(score);
        }
    }
    match level {
        SeverityLevel::Critical => Some(9.5),
        SeverityLevel::High => Some(8.0),
        SeverityLevel::Medium => Some(5.5),
        SeverityLevel::Low => Some(2.0),
        SeverityLevel::Unknown => None,
    }
}

/// Returns the hex SHA-256 of the parts, each followed by a NUL byte.
pub(super) fn sha256_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Returns a fingerprint that stays the same across scans for the same
/// vulnerability in the same package version at the same file, so that
/// dashboards recognise a finding they have seen.
pub(super) fn finding_fingerprint(finding: &Finding) -> String {
    let package = &finding.package;
    sha256_hex(&[
        &finding.id,
        &package.name,
        &package.version,
        &package.purl,
        package.locations.first().map_or("", String::as_str),
    ])
}

/// Returns a `urn:uuid:` name derived from the SHA-256 of `parts`, as a
/// version 8 (custom) UUID, so that equal inputs give equal documents.
pub(super) fn derived_urn_uuid(parts: &[&str]) -> String {
    let hex = sha256_hex(parts);
    let mut bytes = [0u8; 16];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[index * 2..index * 2 + 2], 16).unwrap_or(0);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Returns what to do about an active finding: the upgrade, or that no
/// fix is known yet.
pub(super) fn action_statement(finding: &Finding) -> String {
    let package = &finding.package;
    if finding.fixed_versions.is_empty() {
        format!(
            "No fixed version of {} is known yet (status {}); mitigate or remove the package.",
            package.name, finding.status
        )
    } else {
        format!(
            "Upgrade {} from {} to {}.",
            package.name,
            package.version,
            finding.fixed_versions.join(" or ")
        )
    }
}

/// Maps a CycloneDX justification to the OpenVEX one with the same
/// meaning, and passes OpenVEX justifications through. Returns `None` for
/// other values.
pub(super) fn openvex_justification(justification: &str) -> Option<&'static str> {
    Some(match justification {
        "component_not_present" => "component_not_present",
        "vulnerable_code_not_present" | "code_not_present" => "vulnerable_code_not_present",
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => {
            "vulnerable_code_not_in_execute_path"
        }
        "vulnerable_code_cannot_be_controlled_by_adversary"
        | "requires_configuration"
        | "requires_dependency"
        | "requires_environment" => "vulnerable_code_cannot_be_controlled_by_adversary",
        "inline_mitigations_already_exist"
        | "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => "inline_mitigations_already_exist",
        _ => return None,
    })
}

/// Maps an OpenVEX justification to the CycloneDX one with the same
/// meaning, and passes CycloneDX justifications through. Returns `None` for
/// other values.
pub(super) fn cyclonedx_justification(justification: &str) -> Option<&'static str> {
    Some(match justification {
        "component_not_present" | "vulnerable_code_not_present" | "code_not_present" => {
            "code_not_present"
        }
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" | "requires_environment" => {
            "requires_environment"
        }
        "inline_mitigations_already_exist" | "protected_by_mitigating_control" => {
            "protected_by_mitigating_control"
        }
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuid_is_version_8() {
        let urn = derived_urn_uuid(&["a", "b"]);
        assert_eq!(urn.len(), "urn:uuid:".len() + 36);
        assert_eq!(&urn[9 + 14..9 + 15], "8", "{urn}");
        assert!(
            matches!(&urn[9 + 19..9 + 20], "8" | "9" | "a" | "b"),
            "{urn}"
        );
        assert_eq!(urn, derived_urn_uuid(&["a", "b"]));
        assert_ne!(urn, derived_urn_uuid(&["ab"]));
    }

    #[test]
    fn justifications_round_trip() {
        for openvex in [
            "component_not_present",
            "vulnerable_code_not_present",
            "vulnerable_code_not_in_execute_path",
            "vulnerable_code_cannot_be_controlled_by_adversary",
            "inline_mitigations_already_exist",
        ] {
            let cyclonedx = cyclonedx_justification(openvex).expect("mapped");
            let back = openvex_justification(cyclonedx).expect("mapped back");
            // component_not_present has no CycloneDX counterpart of its own.
            if openvex != "component_not_present" {
                assert_eq!(back, openvex);
            }
        }
        assert_eq!(openvex_justification("nonsense"), None);
    }
}
