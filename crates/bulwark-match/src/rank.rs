//! The order of findings: what to fix first.

use std::cmp::Ordering;

use crate::finding::Finding;

/// Sorts findings most urgent first: known-exploited, then by EPSS score,
/// then by severity, then those with a fix before those without. Ties are
/// broken by package and vulnerability id so the order is deterministic.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(compare_urgency);
}

/// Orders two findings as [`sort_findings`] does.
pub fn compare_urgency(a: &Finding, b: &Finding) -> Ordering {
    let epss = |f: &Finding| f.epss.as_ref().map_or(-1.0, |e| e.score);
    b.kev
        .is_some()
        .cmp(&a.kev.is_some())
        .then_with(|| epss(b).total_cmp(&epss(a)))
        .then_with(|| b.severity.level.cmp(&a.severity.level))
        .then_with(|| b.has_fix().cmp(&a.has_fix()))
        .then_with(|| a.package.name.cmp(&b.package.name))
        .then_with(|| a.package.id.cmp(&b.package.id))
        .then_with(|| a.id.cmp(&b.id))
}
