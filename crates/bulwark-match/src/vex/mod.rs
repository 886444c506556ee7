//! VEX input: OpenVEX and CycloneDX VEX documents given with `--vex`.
//!
//! Both formats are read into one model, [`VexDocument`]. A statement
//! applies to a finding when one of its vulnerability ids equals the
//! finding's id or an alias, and one of its products matches the package's
//! purl (see [`purl_matches`]). When several statements apply, the most
//! recent one counts. `not_affected`, `fixed` and CycloneDX's `resolved`
//! and `false_positive` suppress the finding. `affected`, `exploitable`,
//! `under_investigation` and `in_triage` keep it and add a note.

mod cyclonedx;
mod openvex;

use std::path::{Path, PathBuf};

use serde_json::Value;
use thiserror::Error;

use crate::finding::{Finding, Suppression, TargetInfo};
use crate::purl::{self, Purl};

/// Note code of a finding that a VEX statement declares affected.
pub const NOTE_AFFECTED: &str = "vex-affected";
/// Note code of a finding that a VEX statement declares under
/// investigation.
pub const NOTE_UNDER_INVESTIGATION: &str = "vex-under-investigation";

/// Format of a VEX document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexFormat {
    /// OpenVEX JSON.
    OpenVex,
    /// CycloneDX JSON with `vulnerabilities[].analysis`.
    CycloneDx,
}

/// Status of a product with respect to a vulnerability, in OpenVEX terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    /// Not affected (CycloneDX `not_affected` and `false_positive`).
    NotAffected,
    /// Fixed (CycloneDX `resolved` and `resolved_with_pedigree`).
    Fixed,
    /// Affected (CycloneDX `exploitable`).
    Affected,
    /// Under investigation (CycloneDX `in_triage`).
    UnderInvestigation,
}

impl VexStatus {
    /// Returns whether the status suppresses a finding.
    pub fn suppresses(self) -> bool {
        matches!(self, Self::NotAffected | Self::Fixed)
    }
}

/// One statement: a vulnerability, the products it is about, and their
/// status.
#[derive(Debug, Clone, PartialEq)]
pub struct VexStatement {
    /// Position in the document, such as `statements[2]`.
    pub location: String,
    /// Vulnerability id.
    pub vulnerability: String,
    /// Other ids of the vulnerability.
    pub aliases: Vec<String>,
    /// Package URLs of the products (and, for OpenVEX, their
    /// subcomponents) the statement is about.
    pub products: Vec<Product>,
    /// Status, mapped to OpenVEX terms.
    pub status: VexStatus,
    /// Status as the document states it.
    pub stated_status: String,
    /// Justification code, as stated.
    pub justification: Option<String>,
    /// Free text: OpenVEX `impact_statement` or `status_notes`, CycloneDX
    /// `detail`.
    pub detail: Option<String>,
    /// Recommended action: OpenVEX `action_statement`, CycloneDX
    /// `response`.
    pub action: Option<String>,
    /// Statement or document time in Unix seconds, when stated.
    pub timestamp: Option<i64>,
}

/// A product of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// The product's package URL.
    pub purl: Purl,
    /// Package URLs of subcomponents, when the product is a container such
    /// as an image: the statement is then about those packages inside it.
    pub subcomponents: Vec<Purl>,
}

/// A VEX document read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct VexDocument {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its format.
    pub format: VexFormat,
    /// Its statements, in document order.
    pub statements: Vec<VexStatement>,
}

/// An unreadable or malformed VEX document.
#[derive(Debug, Error)]
#[error("invalid VEX document {}: {message}", path.display())]
pub struct VexError {
    /// The file.
    pub path: PathBuf,
    /// The problem and its position in the document.
    pub message: String,
}

impl VexDocument {
    /// Reads an OpenVEX or CycloneDX VEX JSON document, telling the format
    /// from its content.
    ///
    /// # Errors
    ///
    /// [`VexError`] when the file cannot be read, is not JSON, is neither
    /// format, or has a statement without vulnerability or status or with
    /// an unknown status.
    pub fn load(path: &Path) -> Result<Self, VexError> {
        let data = std::fs::read(path).map_err(|error| VexError {
            path: path.to_owned(),
            message: format!("failed to read it: {error}"),
        })?;
        Self::parse(&data, path)
    }

    /// Parses a document; `path` names it in errors.
    ///
    /// # Errors
    ///
    /// [`VexError`] as for [`VexDocument::load`].
    pub fn parse(data: &[u8], path: &Path) -> Result<Self, VexError> {
        let error = |message: String| VexError {
            path: path.to_owned(),
            message,
        };
        let document: Value =
            serde_json::from_slice(data).map_err(|e| error(format!("not valid JSON: {e}")))?;
        let (format, statements) = if openvex::is_openvex(&document) {
            (VexFormat::OpenVex, openvex::statements(&document))
        } else if cyclonedx::is_cyclonedx(&document) {
            (VexFormat::CycloneDx, cyclonedx::statements(&document))
        } else {
            return Err(error(
                "neither OpenVEX (an \"@context\" of https://openvex.dev/ns/...) nor CycloneDX \
                 (\"bomFormat\": \"CycloneDX\")"
                    .to_owned(),
            ));
        };
        let statements = statements.map_err(error)?;
        tracing::debug!(
            path = %path.display(),
            statements = statements.len(),
            "read VEX document"
        );
        Ok(Self {
            path: path.to_owned(),
            format,
            statements,
        })
    }
}

/// Returns whether `pattern`, a purl from a VEX statement or an exception,
/// matches the purl of an installed package. Type, namespace and name must
/// be equal. A version, when `pattern` has one, must be equal, so a
/// versionless purl matches every version. Each qualifier `pattern` states
/// must be present with the same value, in any order, and the package may
/// have more.
///
/// The `distro` qualifier is not compared: distributions write it as a
/// codename (Ubuntu's VEX uses `distro=jammy`) where inventories write
/// `ubuntu-22.04`, and the package version already distinguishes releases.
pub fn purl_matches(pattern: &Purl, installed: &Purl) -> bool {
    pattern.ty == installed.ty
        && pattern.namespace == installed.namespace
        && pattern.name == installed.name
        && pattern
            .version
            .as_ref()
            .is_none_or(|version| installed.version.as_ref() == Some(version))
        && pattern
            .qualifiers
            .iter()
            .filter(|(key, _)| key.as_str() != "distro")
            .all(|(key, value)| installed.qualifiers.get(key) == Some(value))
}

/// Returns whether an `oci` purl names the scanned image: by digest (the
/// purl version) when it has one, else by repository name.
fn names_target(product: &Purl, target: &TargetInfo) -> bool {
    if product.ty != "oci" || target.kind != "image" {
        return false;
    }
    if let Some(version) = &product.version {
        return target.digest.as_deref() == Some(version.as_str());
    }
    target.repo_tags.iter().chain([&target.name]).any(|tag| {
        let repository = tag.rsplit_once(':').map_or(tag.as_str(), |(repo, _)| repo);
        let last = repository.rsplit('/').next().unwrap_or(repository);
        last == product.name
    })
}

/// Returns whether a statement is about the package of `finding`.
fn statement_applies(statement: &VexStatement, finding: &Finding, target: &TargetInfo) -> bool {
    let id_matches = std::iter::once(&statement.vulnerability)
        .chain(&statement.aliases)
        .any(|id| finding.all_ids().any(|own| own.eq_ignore_ascii_case(id)));
    if !id_matches {
        return false;
    }
    let Ok(installed) = purl::parse(&finding.package.purl) else {
        return false;
    };
    statement.products.iter().any(|product| {
        if purl_matches(&product.purl, &installed) {
            return true;
        }
        // A statement about packages inside an image applies only when the
        // image is the one scanned.
        // TODO: for other products (such as the main module of a source
        // tree) the subcomponents match without checking that the package
        // belongs to the product, because findings carry no dependency
        // graph.
        let product_applies = product.purl.ty != "oci" || names_target(&product.purl, target);
        product_applies
            && product
                .subcomponents
                .iter()
                .any(|sub| purl_matches(sub, &installed))
    })
}

/// Applies the most recent statement about `finding` from `documents`:
/// suppresses it, or notes that it is affected or under investigation.
/// Statements with a timestamp are ordered by it; otherwise the later one
/// in the input wins.
pub(crate) fn apply(finding: &mut Finding, target: &TargetInfo, documents: &[VexDocument]) {
    let mut chosen: Option<(&VexDocument, &VexStatement)> = None;
    for document in documents {
        for statement in &document.statements {
            if !statement_applies(statement, finding, target) {
                continue;
            }
            let newer = match chosen {
                Some((_, current)) => match (current.timestamp, statement.timestamp) {
                    (Some(current), Some(candidate)) => candidate >= current,
                    _ => true,
                },
                None => true,
            };
            if newer {
                chosen = Some((document, statement));
            }
        }
    }
    let Some((document, statement)) = chosen else {
        return;
    };

    let source = format!("{} {}", document.path.display(), statement.location);
    if statement.status.suppresses() {
        finding.suppressed = Some(Suppression {
            kind: "vex".to_owned(),
            source,
            reason: statement
                .detail
                .clone()
                .or_else(|| statement.justification.clone()),
            expires: None,
            owner: None,
            status: Some(statement.stated_status.clone()),
            justification: statement.justification.clone(),
        });
        return;
    }
    let code = match statement.status {
        VexStatus::UnderInvestigation => NOTE_UNDER_INVESTIGATION,
        _ => NOTE_AFFECTED,
    };
    let mut message = format!("{source} states {}", statement.stated_status);
    if let Some(action) = statement.action.as_ref().or(statement.detail.as_ref()) {
        message.push_str(": ");
        message.push_str(action);
    }
    crate::policy::add_note(finding, code, message);
}

/// Reads a string member.
fn string(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// Parses a package URL from a VEX document, logging and skipping
/// identifiers that are not purls (CPEs, image references).
fn product_purl(text: &str, location: &str) -> Option<Purl> {
    match purl::parse(text) {
        Ok(purl) => Some(purl),
        Err(reason) => {
            tracing::debug!(
                product = text,
                location,
                reason,
                "skipping a non-purl product"
            );
            None
        }
    }
}
