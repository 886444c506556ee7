//! Evaluation of one OSV `affected` entry against an installed version.
//!
//! The algorithm is the one the OSV schema describes: the events of each
//! `ECOSYSTEM` or `SEMVER` range are sorted by version, and walking them in
//! order, `introduced` opens the vulnerable interval while `fixed` at or
//! below the version and `last_affected` below it close it. `limit` events
//! bound the range from above. `GIT` ranges name commits, which an installed
//! package does not have, so they are ignored. The explicit `versions` list
//! matches by equality under the ecosystem's scheme.

use std::cmp::Ordering;

use bulwark_osv::Affected;
use bulwark_version::{Scheme, VersionError, compare};

/// How an `affected` entry relates to the installed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The installed version is outside every range and list.
    NotAffected,
    /// The installed version is affected. `fixed` holds the fixed versions
    /// that close the intervals containing it; empty when none is known.
    Affected {
        /// Versions that fix it, as the advisory spells them.
        fixed: Vec<String>,
    },
}

/// A version in an advisory or the installed version that the scheme
/// rejects, so the entry could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvaluationError(pub String);

impl From<VersionError> for EvaluationError {
    fn from(error: VersionError) -> Self {
        Self(error.to_string())
    }
}

/// One event of a range, reduced to its kind and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

/// Evaluates `affected` for `installed`, comparing under `scheme`.
///
/// `SEMVER` ranges are compared as SemVer whatever the ecosystem, after
/// dropping a leading `v` (Go module versions are `v1.2.3`, their OSV
/// ranges `1.2.3`).
///
/// # Errors
///
/// [`EvaluationError`] when the installed version or a version in a range
/// the entry depends on is invalid under the scheme.
pub fn evaluate(
    affected: &Affected,
    scheme: Scheme,
    installed: &str,
) -> Result<Verdict, EvaluationError> {
    let mut vulnerable = false;
    let mut fixed = Vec::new();
    for version in &affected.versions {
        if equal(scheme, installed, version) {
            vulnerable = true;
        }
    }
    for range in &affected.ranges {
        let range_scheme = match range.kind.as_str() {
            "ECOSYSTEM" => scheme,
            "SEMVER" => Scheme::SemVer,
            _ => continue,
        };
        if let Some(fix) = evaluate_range(range, range_scheme, installed)? {
            vulnerable = true;
            if let Some(version) = fix
                && !fixed.contains(&version)
            {
                fixed.push(version);
            }
        }
    }
    Ok(if vulnerable {
        Verdict::Affected { fixed }
    } else {
        Verdict::NotAffected
    })
}

/// Returns `None` when `installed` is outside the range, else
/// `Some(fixed)` with the `fixed` event that closes its interval, if any.
fn evaluate_range(
    range: &bulwark_osv::Range,
    scheme: Scheme,
    installed: &str,
) -> Result<Option<Option<String>>, EvaluationError> {
    let installed = normalize(scheme, installed);
    let mut events: Vec<(Kind, &str)> = Vec::new();
    let mut limits: Vec<&str> = Vec::new();
    for event in &range.events {
        if let Some(v) = event.introduced.as_deref() {
            events.push((Kind::Introduced, v));
        } else if let Some(v) = event.fixed.as_deref() {
            events.push((Kind::Fixed, v));
        } else if let Some(v) = event.last_affected.as_deref() {
            events.push((Kind::LastAffected, v));
        } else if let Some(v) = event.limit.as_deref() {
            limits.push(v);
        }
    }
    if !limits.is_empty() {
        let mut below_a_limit = false;
        for limit in limits {
            if limit == "*" || cmp(scheme, installed, limit)? == Ordering::Less {
                below_a_limit = true;
                break;
            }
        }
        if !below_a_limit {
            return Ok(None);
        }
    }

    // Sort by version; an introduced "0" is below every version. Equal
    // versions keep their order, so `introduced: X` then `fixed: X` leaves
    // X unaffected. A stable sort needs a total order, so versions are
    // compared once up front and any invalid one is reported.
    for (_, version) in &events {
        if !is_zero(version) {
            scheme.validate(normalize(scheme, version))?;
        }
    }
    scheme.validate(installed)?;
    events.sort_by(|a, b| match (is_zero(a.1), is_zero(b.1)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => cmp(scheme, a.1, b.1).unwrap_or(Ordering::Equal),
    });

    let mut vulnerable = false;
    for (kind, version) in &events {
        let order = if is_zero(version) {
            Ordering::Greater
        } else {
            cmp(scheme, installed, version)?
        };
        match kind {
            Kind::Introduced if order != Ordering::Less => vulnerable = true,
            Kind::Fixed if order != Ordering::Less => vulnerable = false,
            Kind::LastAffected if order == Ordering::Greater => vulnerable = false,
            _ => {}
        }
    }
    if !vulnerable {
        return Ok(None);
    }
    // The interval holding the version ends at the first closing event above
    // it: a `fixed` version is the fix, a `last_affected` means none is known.
    for (kind, version) in &events {
        match kind {
            Kind::Fixed if cmp(scheme, installed, version)? == Ordering::Less => {
                return Ok(Some(Some((*version).to_owned())));
            }
            Kind::LastAffected if cmp(scheme, installed, version)? != Ordering::Greater => {
                return Ok(Some(None));
            }
            _ => {}
        }
    }
    Ok(Some(None))
}

/// Compares after normalizing both sides for the scheme.
fn cmp(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, EvaluationError> {
    Ok(compare(scheme, normalize(scheme, a), normalize(scheme, b))?)
}

/// Returns whether two versions are equal under the scheme, or as text
/// when either is invalid.
fn equal(scheme: Scheme, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    matches!(cmp(scheme, a, b), Ok(Ordering::Equal))
}

/// Drops the `v` prefix Go modules and some SemVer feeds write.
fn normalize(scheme: Scheme, version: &str) -> &str {
    let version = version.trim();
    match scheme {
        Scheme::SemVer => version.strip_prefix('v').unwrap_or(version),
        _ => version,
    }
}

fn is_zero(version: &str) -> bool {
    version.trim() == "0"
}

#[cfg(test)]
mod tests {
    use bulwark_osv::{Event, Range};

    use super::*;

    fn entry(kind: &str, events: Vec<Event>) -> Affected {
        Affected {
            ranges: vec![Range {
                kind: kind.to_owned(),
                events,
                ..Range::default()
            }],
            ..Affected::default()
        }
    }

    fn limit(version: &str) -> Event {
        Event {
            limit: Some(version.to_owned()),
            ..Event::default()
        }
    }

    fn affected(fixed: &[&str]) -> Verdict {
        Verdict::Affected {
            fixed: fixed.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn introduced_fixed_interval() {
        let e = entry(
            "ECOSYSTEM",
            vec![Event::introduced("1.0"), Event::fixed("1.5")],
        );
        let check = |v| evaluate(&e, Scheme::Pep440, v).unwrap();
        assert_eq!(check("0.9"), Verdict::NotAffected);
        assert_eq!(check("1.0"), affected(&["1.5"]));
        assert_eq!(check("1.4.9"), affected(&["1.5"]));
        assert_eq!(check("1.5"), Verdict::NotAffected);
        assert_eq!(check("2.0"), Verdict::NotAffected);
    }

    #[test]
    fn several_intervals_in_one_range() {
        // Events out of order, as some feeds write them.
        let e = entry(
            "ECOSYSTEM",
            vec![
                Event::introduced("2.0"),
                Event::fixed("2.3"),
                Event::introduced("0"),
                Event::fixed("1.2"),
            ],
        );
        let check = |v| evaluate(&e, Scheme::Pep440, v).unwrap();
        assert_eq!(check("1.1"), affected(&["1.2"]));
        assert_eq!(check("1.5"), Verdict::NotAffected);
        assert_eq!(check("2.1"), affected(&["2.3"]));
        assert_eq!(check("2.3"), Verdict::NotAffected);
    }

    #[test]
    fn last_affected_is_inclusive() {
        let e = entry(
            "SEMVER",
            vec![Event::introduced("0"), Event::last_affected("1.2.3")],
        );
        let check = |v| evaluate(&e, Scheme::SemVer, v).unwrap();
        assert_eq!(check("1.2.3"), affected(&[]));
        assert_eq!(check("1.2.4"), Verdict::NotAffected);
    }

    #[test]
    fn open_interval_without_fix() {
        let e = entry("ECOSYSTEM", vec![Event::introduced("3.0")]);
        assert_eq!(evaluate(&e, Scheme::Pep440, "9.9").unwrap(), affected(&[]));
        assert_eq!(
            evaluate(&e, Scheme::Pep440, "2.9").unwrap(),
            Verdict::NotAffected
        );
    }

    #[test]
    fn limit_bounds_the_range() {
        let e = entry("ECOSYSTEM", vec![Event::introduced("0"), limit("2.0")]);
        assert_eq!(evaluate(&e, Scheme::Pep440, "1.0").unwrap(), affected(&[]));
        assert_eq!(
            evaluate(&e, Scheme::Pep440, "2.0").unwrap(),
            Verdict::NotAffected
        );
    }

    #[test]
    fn git_ranges_are_ignored() {
        let e = entry("GIT", vec![Event::introduced("0"), Event::fixed("abc123")]);
        assert_eq!(
            evaluate(&e, Scheme::SemVer, "1.0.0").unwrap(),
            Verdict::NotAffected
        );
    }

    #[test]
    fn versions_list_matches_by_equality() {
        let e = Affected {
            versions: vec!["1.0".to_owned()],
            ..Affected::default()
        };
        assert_eq!(
            evaluate(&e, Scheme::Pep440, "1.0.0").unwrap(),
            affected(&[])
        );
        assert_eq!(
            evaluate(&e, Scheme::Pep440, "1.0.1").unwrap(),
            Verdict::NotAffected
        );
    }

    #[test]
    fn go_versions_drop_the_v_prefix() {
        let e = entry(
            "SEMVER",
            vec![Event::introduced("0"), Event::fixed("0.3.8")],
        );
        assert_eq!(
            evaluate(&e, Scheme::Go, "v0.3.7").unwrap(),
            affected(&["0.3.8"])
        );
    }

    #[test]
    fn backported_fix_at_installed_version() {
        let e = entry(
            "ECOSYSTEM",
            vec![Event::introduced("0"), Event::fixed("1.2-1+deb12u1")],
        );
        assert_eq!(
            evaluate(&e, Scheme::Dpkg, "1.2-1+deb12u1").unwrap(),
            Verdict::NotAffected
        );
        assert_eq!(
            evaluate(&e, Scheme::Dpkg, "1.2-1").unwrap(),
            affected(&["1.2-1+deb12u1"])
        );
    }

    #[test]
    fn invalid_version_is_an_error() {
        let e = entry(
            "ECOSYSTEM",
            vec![Event::introduced("0"), Event::fixed("not a version!")],
        );
        assert!(evaluate(&e, Scheme::Pep440, "1.0").is_err());
    }
}
