//! Matching findings against the exceptions of the project configuration.

use super::Date;
use super::config::{Config, Exception, ExceptionTarget};
use crate::finding::{Finding, Note, Suppression, TargetInfo};
use crate::purl;
use crate::rule_finding::RuleFinding;

/// Note code of a finding whose only matching exceptions expired.
pub(super) const NOTE_EXPIRED: &str = "exception-expired";

/// Effect of the exceptions on a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// An exception in force suppressed it.
    Suppressed,
    /// Only expired exceptions matched: it stays, with a note.
    Expired,
    /// No exception matched.
    NoMatch,
}

/// Suppresses `finding` with the first exception in force that matches it,
/// in file order. When only expired exceptions match, leaves it active and
/// notes each of them.
pub(super) fn apply(
    finding: &mut Finding,
    target: &TargetInfo,
    config: &Config,
    now: Date,
) -> Outcome {
    let matching: Vec<&Exception> = config
        .exceptions
        .iter()
        .filter(|exception| matches(exception, finding, target))
        .collect();
    let outcome = decide(
        &matching,
        config,
        now,
        &mut finding.suppressed,
        &mut finding.notes,
    );
    if outcome == Outcome::Expired {
        for exception in matching {
            tracing::debug!(
                finding = %finding.id,
                package = %finding.package.name,
                exception = %exception.label(),
                expires = %exception.expires,
                "exception expired; the finding counts again"
            );
        }
    }
    outcome
}

/// Suppresses a secret or misconfiguration finding with the first exception
/// in force whose `rule` equals its rule id (ignoring ASCII case) and whose
/// `path` and `image` scopes match. An exception scoped to a package never
/// matches a rule finding. When only expired exceptions match, the finding
/// stays active with a note for each.
pub(super) fn apply_to_rule_finding(
    finding: &mut RuleFinding,
    target: &TargetInfo,
    config: &Config,
    now: Date,
) -> Outcome {
    let matching: Vec<&Exception> = config
        .exceptions
        .iter()
        .filter(|exception| matches_rule_finding(exception, finding, target))
        .collect();
    decide(
        &matching,
        config,
        now,
        &mut finding.suppressed,
        &mut finding.notes,
    )
}

/// Applies the exceptions that match a finding, in file order: the first
/// one in force suppresses it. When only expired ones match, the finding
/// stays active and gets a note for each of them.
fn decide(
    matching: &[&Exception],
    config: &Config,
    now: Date,
    suppressed: &mut Option<Suppression>,
    notes: &mut Vec<Note>,
) -> Outcome {
    if let Some(exception) = matching.iter().find(|e| !is_expired(e, now)) {
        *suppressed = Some(exception_suppression(config, exception));
        return Outcome::Suppressed;
    }
    if matching.is_empty() {
        return Outcome::NoMatch;
    }
    for exception in matching {
        notes.push(Note {
            code: NOTE_EXPIRED.to_owned(),
            message: format!(
                "exception {} in {} (owner {}, reason {:?}) expired after {}; the finding counts again",
                exception.label(),
                config.display_path(),
                exception.owner,
                exception.reason,
                exception.expires
            ),
        });
    }
    Outcome::Expired
}

fn exception_suppression(config: &Config, exception: &Exception) -> Suppression {
    Suppression {
        kind: "exception".to_owned(),
        source: format!("{} {}", config.display_path(), exception.label()),
        reason: Some(exception.reason.clone()),
        expires: Some(exception.expires.to_string()),
        owner: Some(exception.owner.clone()),
        status: None,
        justification: None,
    }
}

fn matches_rule_finding(exception: &Exception, finding: &RuleFinding, target: &TargetInfo) -> bool {
    let ExceptionTarget::Rule(id) = &exception.target else {
        return false;
    };
    if !finding.rule_id.eq_ignore_ascii_case(id)
        || exception.package.is_some()
        || exception.purl.is_some()
    {
        return false;
    }
    if let Some(pattern) = &exception.path
        && !pattern.is_match(&finding.path)
    {
        return false;
    }
    image_matches(exception, target)
}

fn image_matches(exception: &Exception, target: &TargetInfo) -> bool {
    let Some(pattern) = &exception.image else {
        return true;
    };
    let names = std::iter::once(&target.name)
        .chain(&target.repo_tags)
        .chain(target.digest.as_ref());
    target.kind == "image" && names.into_iter().any(|name| pattern.is_match(name))
}

/// Returns whether an exception has expired: it applies through its
/// `expires` date.
fn is_expired(exception: &Exception, now: Date) -> bool {
    now > exception.expires
}

/// Returns whether every scope the exception states matches the finding.
fn matches(exception: &Exception, finding: &Finding, target: &TargetInfo) -> bool {
    let id_matches = match &exception.target {
        ExceptionTarget::Vulnerability(id) => finding
            .all_ids()
            .any(|finding_id| finding_id.eq_ignore_ascii_case(id)),
        // Rule exceptions apply to rule findings only.
        ExceptionTarget::Rule(_) => false,
    };
    if !id_matches {
        return false;
    }

    let package = &finding.package;
    if let Some(name) = &exception.package
        && package.name != *name
        && package.advisory_name.as_deref() != Some(name.as_str())
    {
        return false;
    }
    if let Some(pattern) = &exception.purl {
        let Ok(installed) = purl::parse(&package.purl) else {
            return false;
        };
        if !crate::vex::purl_matches(pattern, &installed) {
            return false;
        }
    }
    if let Some(pattern) = &exception.path
        && !package.locations.iter().any(|path| pattern.is_match(path))
    {
        return false;
    }
    image_matches(exception, target)
}
