//! Red Hat CSAF 2.0 documents: VEX files, one per CVE (`cve-2024-10041.json`,
//! category `csaf_vex`), and security advisories, one per RHSA
//! (`rhsa-2024_6163.json`, category `csaf_security_advisory`).
//!
//! Both describe products in a product tree. A platform product carries a
//! CPE (`cpe:/o:redhat:enterprise_linux:9::baseos`), a component carries a
//! package URL (`pkg:rpm/redhat/pam@1.5.1-21.el9_5?arch=x86_64`), and a
//! `default_component_of` relationship joins them into the product id that
//! the vulnerabilities use (`BaseOS-9.5.0.Z.MAIN:pam-0:1.5.1-21.el9_5.x86_64`).
//! Each such product id becomes an `affected` entry for the RPM in
//! `Red Hat:N`, as [`super::redhat_oval`] names it, where `N` is the major
//! release of the platform's CPE. Extended support streams (`rhel_eus:8.6`,
//! `rhel_els:6`) also map to their major release; the CPEs of an entry are
//! kept in `ecosystem_specific.cpes` so a matcher can distinguish streams. A module
//! stream (the `rpmmod` qualifier, `ruby:3.1`) is kept in
//! `ecosystem_specific.module`.
//!
//! Statuses follow `vulnerabilities[].product_status`:
//!
//! - `fixed`: affected, fixed in the component's `epoch:version-release`
//!   (a zero epoch is dropped);
//! - `known_affected`: affected without a fix, refined by the product's
//!   remediation as Red Hat's CSAF/VEX guide defines it: `no_fix_planned`
//!   ("Will not fix", "Out of support scope") is will not fix, and
//!   `none_available` whose details say "Deferred" is fix deferred;
//! - `known_not_affected`: not affected;
//! - `under_investigation`: under investigation.
//!
//! A document without `product_status` is read from its remediations:
//! `vendor_fix` is fixed, `none_available` and `no_fix_planned` are known
//! affected.
//!
//! Red Hat names binary RPMs for fixed components and, in newer files, for
//! unfixed ones. A source RPM (`arch=src`) gives an entry only when the
//! vulnerability names no binary RPM of the same platform and version, and
//! the entry says `"arch": "src"` in `ecosystem_specific`. Components that
//! are not RPMs (container images) and platforms that are not Red Hat
//! Enterprise Linux (OpenShift, middleware) give no entry.
//!
//! A VEX file becomes one advisory per vulnerability, `REDHAT-<CVE>` with
//! the CVE as alias, as the CVE definitions of Red Hat OVAL are named. A
//! security advisory becomes one advisory named by its tracking id
//! (`RHSA-2024:6163`) with its CVEs as `upstream`; a package that the RHSA
//! fixes for one CVE gets no `not_affected` entry from another CVE.
//! CVSS vectors become OSV severities, and Red Hat's impact rating
//! (`Moderate`) is `database_specific.severity`, per entry when the threat
//! names products.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use bulwark_osv::{Advisory, Affected, Reference, Severity, Status};
use bulwark_version::rpm::RpmVersion;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::oval::{affected_entry, strip_zero_epoch};
use super::{FeedConverter, FeedError, Record, RecordError};

/// Converts Red Hat CSAF VEX files and CSAF security advisories.
#[derive(Debug, Default, Clone, Copy)]
pub struct RedHatCsaf;

impl FeedConverter for RedHatCsaf {
    fn name(&self) -> &'static str {
        "redhat-csaf"
    }

    fn detect(&self, _path: &Path, head: &[u8]) -> bool {
        let text = String::from_utf8_lossy(head);
        text.trim_start().starts_with('{')
            && text.contains("\"csaf_version\"")
            && (text.contains("redhat.com") || text.contains("Red Hat"))
    }

    fn convert(
        &self,
        path: &Path,
        data: &[u8],
        sink: &mut dyn FnMut(Result<Record, RecordError>),
    ) -> Result<(), FeedError> {
        let document: Csaf = serde_json::from_slice(data).map_err(|error| {
            FeedError::new(format!("{}: invalid CSAF JSON: {error}", path.display()))
        })?;
        let index = ProductIndex::new(&document.product_tree);
        let tracking_id = document.document.tracking.id.trim();
        if document.document.category == "csaf_vex" || tracking_id.is_empty() {
            for (position, raw) in document.vulnerabilities.iter().enumerate() {
                sink(convert_vex(&document, &index, position, raw).map(Record::from));
            }
        } else if !document.vulnerabilities.is_empty() {
            sink(convert_security_advisory(&document, &index, tracking_id).map(Record::from));
        }
        Ok(())
    }
}

/// The parts of a CSAF document the converter reads. Every field may be
/// missing, so one absent field does not fail the whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Csaf {
    document: DocumentMeta,
    product_tree: ProductTree,
    /// Read one at a time, so a malformed vulnerability is reported alone.
    vulnerabilities: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DocumentMeta {
    category: String,
    title: Option<String>,
    aggregate_severity: Option<Text>,
    tracking: Tracking,
    notes: Vec<Note>,
    references: Vec<CsafReference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Text {
    text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Tracking {
    id: String,
    current_release_date: Option<String>,
    initial_release_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Note {
    category: String,
    text: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CsafReference {
    category: String,
    url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductTree {
    branches: Vec<Branch>,
    full_product_names: Vec<ProductName>,
    relationships: Vec<Relationship>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Branch {
    product: Option<ProductName>,
    branches: Vec<Branch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductName {
    name: String,
    product_id: String,
    product_identification_helper: Option<Helper>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Helper {
    cpe: Option<String>,
    purl: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Relationship {
    full_product_name: ProductName,
    product_reference: String,
    relates_to_product_reference: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Vulnerability {
    cve: Option<String>,
    title: Option<String>,
    cwe: Option<Cwe>,
    notes: Vec<Note>,
    release_date: Option<String>,
    product_status: Option<ProductStatus>,
    remediations: Vec<Remediation>,
    scores: Vec<Score>,
    threats: Vec<Threat>,
    references: Vec<CsafReference>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Cwe {
    id: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProductStatus {
    fixed: Vec<String>,
    first_fixed: Vec<String>,
    known_affected: Vec<String>,
    first_affected: Vec<String>,
    last_affected: Vec<String>,
    under_investigation: Vec<String>,
    known_not_affected: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Remediation {
    category: String,
    details: Option<String>,
    product_ids: Vec<String>,
    url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Score {
    cvss_v2: Option<Cvss>,
    cvss_v3: Option<Cvss>,
    cvss_v4: Option<Cvss>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Cvss {
    #[serde(rename = "vectorString")]
    vector_string: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Threat {
    category: String,
    details: Option<String>,
    product_ids: Vec<String>,
}

/// The products of a document by id, and the relationships that join a
/// component to a platform.
struct ProductIndex<'a> {
    products: HashMap<&'a str, &'a ProductName>,
    /// Full product id to (component id, platform id).
    relationships: HashMap<&'a str, (&'a str, &'a str)>,
}

impl<'a> ProductIndex<'a> {
    fn new(tree: &'a ProductTree) -> Self {
        let mut products = HashMap::new();
        let mut stack: Vec<&Branch> = tree.branches.iter().collect();
        while let Some(branch) = stack.pop() {
            if let Some(product) = &branch.product {
                products.insert(product.product_id.as_str(), product);
            }
            stack.extend(&branch.branches);
        }
        for product in &tree.full_product_names {
            products.insert(product.product_id.as_str(), product);
        }
        let relationships = tree
            .relationships
            .iter()
            .map(|relationship| {
                (
                    relationship.full_product_name.product_id.as_str(),
                    (
                        relationship.product_reference.as_str(),
                        relationship.relates_to_product_reference.as_str(),
                    ),
                )
            })
            .collect();
        Self {
            products,
            relationships,
        }
    }

    /// Returns the RPM a product id names on a Red Hat Enterprise Linux
    /// platform, or `None` for other products.
    ///
    /// # Errors
    ///
    /// Returns a message when the RPM's version is not a valid EVR.
    fn resolve(&self, product_id: &str) -> Result<Option<Rpm>, String> {
        let Some(&(component_id, platform_id)) = self.relationships.get(product_id) else {
            return Ok(None);
        };
        let Some(platform) = self.products.get(platform_id) else {
            return Ok(None);
        };
        let cpe = platform
            .product_identification_helper
            .as_ref()
            .and_then(|helper| helper.cpe.clone());
        let release = match &cpe {
            Some(cpe) => cpe_release(cpe),
            None => name_release(&platform.name),
        };
        let Some(release) = release else {
            return Ok(None);
        };
        let purl = self
            .products
            .get(component_id)
            .and_then(|component| component.product_identification_helper.as_ref())
            .and_then(|helper| helper.purl.as_deref());
        let package = match purl {
            Some(purl) => match parse_purl(purl) {
                Some(purl) if purl.kind == "rpm" => package_from_purl(&purl),
                Some(_) => return Ok(None),
                None => return Err(format!("invalid package URL {purl:?}")),
            },
            None => package_from_id(component_id),
        };
        if let Some(evr) = &package.evr {
            RpmVersion::parse(evr).map_err(|error| format!("product {product_id}: {error}"))?;
        }
        Ok(Some(Rpm {
            platform: platform_id.to_owned(),
            ecosystem: format!("Red Hat:{release}"),
            cpe,
            package,
        }))
    }
}

/// An RPM on one platform.
struct Rpm {
    platform: String,
    ecosystem: String,
    cpe: Option<String>,
    package: Package,
}

/// An RPM's name, version and module, from a package URL or a product id.
#[derive(Debug, PartialEq, Eq)]
struct Package {
    name: String,
    /// `epoch:version-release` without a zero epoch; `None` for unfixed
    /// components, which Red Hat names without a version.
    evr: Option<String>,
    arch: Option<String>,
    /// Module stream, `name:stream`.
    module: Option<String>,
}

/// A package URL's type, name, version and qualifiers, percent-decoded.
struct Purl {
    kind: String,
    name: String,
    version: Option<String>,
    qualifiers: BTreeMap<String, String>,
}

/// Parses `pkg:type/namespace/name@version?key=value#subpath`.
fn parse_purl(text: &str) -> Option<Purl> {
    let rest = text.strip_prefix("pkg:")?;
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, path) = path.split_once('/')?;
    let last = path.rsplit('/').next()?;
    let (name, version) = match last.split_once('@') {
        Some((name, version)) => (name, Some(percent_decode(version))),
        None => (last, None),
    };
    if kind.is_empty() || name.is_empty() {
        return None;
    }
    let qualifiers = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_ascii_lowercase(), percent_decode(value)))
        .collect();
    Some(Purl {
        kind: kind.to_ascii_lowercase(),
        name: percent_decode(name),
        version,
        qualifiers,
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn package_from_purl(purl: &Purl) -> Package {
    let evr = purl.version.as_ref().map(|version| {
        let evr = match purl.qualifiers.get("epoch") {
            Some(epoch) => format!("{epoch}:{version}"),
            None => version.clone(),
        };
        strip_zero_epoch(&evr).to_owned()
    });
    // `rpmmod=ruby:3.1:8090020240311122605:a75119d5` is name, stream,
    // version and context; the module stream is the first two.
    let module = purl.qualifiers.get("rpmmod").map(|rpmmod| {
        let mut parts = rpmmod.splitn(3, ':');
        let name = parts.next().unwrap_or_default();
        match parts.next() {
            Some(stream) => format!("{name}:{stream}"),
            None => name.to_owned(),
        }
    });
    Package {
        name: purl.name.clone(),
        evr,
        arch: purl.qualifiers.get("arch").cloned(),
        module,
    }
}

/// Reads a component id without a package URL: `pam`,
/// `pam-0:1.5.1-21.el9_5.x86_64`, `ruby-0:3.1.4-142.module+el8.9.0.i686::ruby:3.1`,
/// `ruby-2.7.8-139.module+el8.8.0.aarch64.rpm-ruby:2.7` or the older
/// `nodejs:12/nodejs`.
fn package_from_id(id: &str) -> Package {
    let (nevra, module) = if let Some((nevra, module)) = id.split_once("::") {
        (nevra, Some(module))
    } else if let Some((nevra, module)) = id.split_once(".rpm-") {
        (nevra, Some(module))
    } else if let Some((module, name)) = id.split_once('/') {
        (name, Some(module))
    } else {
        (id, None)
    };
    let module = module.map(str::to_owned);
    match split_nevra(nevra) {
        Some((name, evr, arch)) => Package {
            name: name.to_owned(),
            evr: Some(strip_zero_epoch(evr).to_owned()),
            arch: Some(arch.to_owned()),
            module,
        },
        None => Package {
            name: nevra.to_owned(),
            evr: None,
            arch: None,
            module,
        },
    }
}

/// Splits `name-[epoch:]version-release.arch`, or returns `None` when the
/// text does not have that shape.
fn split_nevra(text: &str) -> Option<(&str, &str, &str)> {
    let (nvr, arch) = text.rsplit_once('.')?;
    if arch.is_empty() || !arch.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    let upstream = version.split_once(':').map_or(version, |(_, rest)| rest);
    let starts_with_digit = upstream.bytes().next().is_some_and(|b| b.is_ascii_digit());
    (!name.is_empty() && !release.is_empty() && starts_with_digit)
        .then(|| (name, &text[name.len() + 1..nvr.len()], arch))
}

/// Returns the major Red Hat Enterprise Linux release of a platform CPE:
/// `cpe:/o:redhat:enterprise_linux:9::baseos` and
/// `cpe:/a:redhat:rhel_eus:8.6::appstream` by their version,
/// `cpe:/a:redhat:rhel_software_collections:3::el7` by its `el7` edition.
/// Returns `None` for other products.
fn cpe_release(cpe: &str) -> Option<String> {
    let rest = cpe
        .strip_prefix("cpe:2.3:")
        .or_else(|| cpe.strip_prefix("cpe:/"))?;
    let parts: Vec<&str> = rest.split(':').collect();
    let (vendor, product) = (*parts.get(1)?, *parts.get(2)?);
    let version = parts.get(3).copied().unwrap_or_default();
    if vendor != "redhat" {
        return None;
    }
    if product == "enterprise_linux" {
        return leading_number(version);
    }
    if product.starts_with("rhel_") {
        // The `el7` of layered products sits in the update or edition part.
        let base = parts
            .iter()
            .skip(4)
            .find_map(|part| part.strip_prefix("el").and_then(leading_number));
        return base.or_else(|| leading_number(version));
    }
    None
}

/// Returns the release of a platform without a CPE from its name ("Red Hat
/// Enterprise Linux AppStream (v. 9)").
fn name_release(name: &str) -> Option<String> {
    let rest = name.strip_prefix("Red Hat Enterprise Linux")?;
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    leading_number(&rest[start..])
}

fn leading_number(text: &str) -> Option<String> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

/// The state `product_status` gives one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProductState {
    Fixed,
    Affected,
    NotAffected,
    UnderInvestigation,
}

/// Returns the state of every product a vulnerability names, from its
/// `product_status`, else from its remediations.
fn product_states(vulnerability: &Vulnerability) -> BTreeMap<&str, ProductState> {
    let mut states = BTreeMap::new();
    if let Some(status) = &vulnerability.product_status {
        let lists = [
            (&status.fixed, ProductState::Fixed),
            (&status.first_fixed, ProductState::Fixed),
            (&status.known_affected, ProductState::Affected),
            (&status.first_affected, ProductState::Affected),
            (&status.last_affected, ProductState::Affected),
            (
                &status.under_investigation,
                ProductState::UnderInvestigation,
            ),
            (&status.known_not_affected, ProductState::NotAffected),
        ];
        for (ids, state) in lists {
            for id in ids {
                states.entry(id.as_str()).or_insert(state);
            }
        }
    }
    if states.is_empty() {
        for remediation in &vulnerability.remediations {
            let state = match remediation.category.as_str() {
                "vendor_fix" => ProductState::Fixed,
                "none_available" | "no_fix_planned" => ProductState::Affected,
                _ => continue,
            };
            for id in &remediation.product_ids {
                states.entry(id.as_str()).or_insert(state);
            }
        }
    }
    states
}

/// Returns the refined status of affected products from the remediations.
fn remediation_statuses(vulnerability: &Vulnerability) -> HashMap<&str, Status> {
    let mut statuses = HashMap::new();
    for remediation in &vulnerability.remediations {
        let details = remediation.details.as_deref().unwrap_or_default();
        let status = match remediation.category.as_str() {
            "no_fix_planned" => Status::WillNotFix,
            "none_available" if details.to_ascii_lowercase().contains("deferred") => {
                Status::FixDeferred
            }
            _ => continue,
        };
        for id in &remediation.product_ids {
            statuses.insert(id.as_str(), status);
        }
    }
    statuses
}

/// One `affected` entry before conversion, keyed for deduplication.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct EntryKey {
    ecosystem: String,
    name: String,
    module: Option<String>,
    source: bool,
    status: Status,
    fixed: Option<String>,
}

/// The CPEs and impact of an entry.
#[derive(Debug, Default)]
struct EntryFacts {
    cpes: BTreeSet<String>,
    impact: Option<String>,
}

/// Ranks Red Hat impact ratings, lowest first; unknown text ranks lowest.
fn impact_rank(impact: &str) -> usize {
    ["low", "moderate", "important", "critical"]
        .iter()
        .position(|known| impact.eq_ignore_ascii_case(known))
        .map_or(0, |rank| rank + 1)
}

/// Writes an impact rating as Red Hat's classification page does:
/// `Moderate`.
fn capitalize(text: &str) -> String {
    let lower = text.trim().to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Collects the entries of one vulnerability into `entries`.
///
/// # Errors
///
/// Returns a message naming the product when a fixed product has no
/// version or a version is not a valid EVR.
fn collect_entries(
    vulnerability: &Vulnerability,
    index: &ProductIndex<'_>,
    entries: &mut BTreeMap<EntryKey, EntryFacts>,
) -> Result<(), String> {
    let refined = remediation_statuses(vulnerability);
    let mut impacts: HashMap<&str, &str> = HashMap::new();
    for threat in &vulnerability.threats {
        if threat.category == "impact"
            && let Some(details) = threat.details.as_deref()
        {
            for id in &threat.product_ids {
                impacts.insert(id.as_str(), details);
            }
        }
    }
    let mut resolved = Vec::new();
    for (product_id, state) in product_states(vulnerability) {
        if let Some(rpm) = index.resolve(product_id)? {
            resolved.push((product_id, state, rpm));
        }
    }
    // (platform, version) pairs that name a binary RPM, to leave out the
    // source RPM they were built from.
    let binaries: BTreeSet<(&str, Option<&str>)> = resolved
        .iter()
        .filter(|(_, _, rpm)| rpm.package.arch.as_deref() != Some("src"))
        .map(|(_, _, rpm)| (rpm.platform.as_str(), rpm.package.evr.as_deref()))
        .collect();
    for (product_id, state, rpm) in &resolved {
        let source = rpm.package.arch.as_deref() == Some("src");
        if source && binaries.contains(&(rpm.platform.as_str(), rpm.package.evr.as_deref())) {
            continue;
        }
        let (status, fixed) = match state {
            ProductState::Fixed => {
                let evr = rpm.package.evr.clone().ok_or_else(|| {
                    format!("fixed product {product_id} names no package version")
                })?;
                (Status::Affected, Some(evr))
            }
            ProductState::Affected => (
                refined.get(product_id).copied().unwrap_or(Status::Affected),
                None,
            ),
            ProductState::NotAffected => (Status::NotAffected, None),
            ProductState::UnderInvestigation => (Status::UnderInvestigation, None),
        };
        let key = EntryKey {
            ecosystem: rpm.ecosystem.clone(),
            name: rpm.package.name.clone(),
            module: rpm.package.module.clone(),
            source,
            status,
            fixed,
        };
        let facts = entries.entry(key).or_default();
        facts.cpes.extend(rpm.cpe.clone());
        if let Some(impact) = impacts.get(product_id)
            && facts
                .impact
                .as_deref()
                .is_none_or(|known| impact_rank(impact) > impact_rank(known))
        {
            facts.impact = Some(capitalize(impact));
        }
    }
    Ok(())
}

/// Builds the `affected` list from collected entries.
fn affected_list(entries: BTreeMap<EntryKey, EntryFacts>) -> Vec<Affected> {
    entries
        .into_iter()
        .map(|(key, facts)| {
            let mut specific = Map::new();
            if let Some(module) = &key.module {
                specific.insert("module".to_owned(), json!(module));
            }
            if key.source {
                specific.insert("arch".to_owned(), json!("src"));
            }
            if !facts.cpes.is_empty() {
                specific.insert("cpes".to_owned(), json!(facts.cpes));
            }
            let mut affected = affected_entry(
                &key.ecosystem,
                &key.name,
                key.fixed.as_deref(),
                key.status,
                (!specific.is_empty()).then_some(specific),
            );
            if let (Some(impact), Some(Value::Object(map))) =
                (facts.impact, affected.database_specific.as_mut())
            {
                map.insert("severity".to_owned(), json!(impact));
            }
            affected
        })
        .collect()
}

/// Returns the CVSS vectors of a vulnerability as OSV severities.
///
/// NOTE: a score that Red Hat gives for some products only is kept on the
/// advisory like the others, so every entry shows every vector.
fn severities(vulnerability: &Vulnerability, out: &mut Vec<Severity>) {
    for score in &vulnerability.scores {
        let versions = [
            ("CVSS_V2", &score.cvss_v2),
            ("CVSS_V3", &score.cvss_v3),
            ("CVSS_V4", &score.cvss_v4),
        ];
        for (kind, cvss) in versions {
            let Some(vector) = cvss.as_ref().and_then(|c| c.vector_string.as_deref()) else {
                continue;
            };
            let severity = Severity {
                kind: kind.to_owned(),
                score: vector.to_owned(),
            };
            if !vector.is_empty() && !out.contains(&severity) {
                out.push(severity);
            }
        }
    }
}

/// Appends references, skipping URLs already present. Bugzilla links are
/// reports; errata, `self` links and remediation URLs are advisories.
fn push_references<'a>(
    references: impl IntoIterator<Item = (&'a str, &'a str)>,
    out: &mut Vec<Reference>,
) {
    for (category, url) in references {
        if url.is_empty() || out.iter().any(|known| known.url == url) {
            continue;
        }
        let kind = if url.contains("bugzilla") {
            "REPORT"
        } else if category == "self" || url.contains("/errata/") {
            "ADVISORY"
        } else {
            "WEB"
        };
        out.push(Reference {
            kind: kind.to_owned(),
            url: url.to_owned(),
        });
    }
}

fn vulnerability_references(vulnerability: &Vulnerability) -> impl Iterator<Item = (&str, &str)> {
    let listed = vulnerability
        .references
        .iter()
        .map(|r| (r.category.as_str(), r.url.as_str()));
    let fixes = vulnerability
        .remediations
        .iter()
        .filter_map(|r| Some(("self", r.url.as_deref()?)));
    listed.chain(fixes)
}

fn note<'a>(notes: &'a [Note], category: &str) -> Option<&'a str> {
    notes
        .iter()
        .find(|note| note.category == category && !note.text.trim().is_empty())
        .map(|note| note.text.trim())
}

/// Builds `database_specific` with Red Hat's impact rating and the CWE.
fn database_specific(severity: Option<String>, cwe: Option<&Cwe>) -> Option<Value> {
    let mut map = Map::new();
    if let Some(severity) = severity.filter(|s| !s.is_empty()) {
        map.insert("severity".to_owned(), json!(severity));
    }
    if let Some(cwe) = cwe.filter(|cwe| !cwe.id.is_empty()) {
        map.insert("cwe".to_owned(), json!(cwe.id));
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// Returns the document's impact rating, or the highest impact its threats
/// give.
fn overall_impact<'a>(
    document: &Csaf,
    vulnerabilities: impl IntoIterator<Item = &'a Vulnerability>,
) -> Option<String> {
    if let Some(aggregate) = &document.document.aggregate_severity
        && !aggregate.text.trim().is_empty()
    {
        return Some(capitalize(&aggregate.text));
    }
    vulnerabilities
        .into_iter()
        .flat_map(|v| &v.threats)
        .filter(|threat| threat.category == "impact")
        .filter_map(|threat| threat.details.as_deref())
        .max_by_key(|impact| impact_rank(impact))
        .map(capitalize)
}

/// Converts one vulnerability of a VEX file into `REDHAT-<CVE>`.
fn convert_vex(
    document: &Csaf,
    index: &ProductIndex<'_>,
    position: usize,
    raw: &Value,
) -> Result<Advisory, RecordError> {
    let record = format!("vulnerabilities[{position}]");
    let vulnerability = Vulnerability::deserialize(raw)
        .map_err(|error| RecordError::new(&record, format!("invalid vulnerability: {error}")))?;
    let cve = vulnerability.cve.as_deref().unwrap_or_default().trim();
    if cve.is_empty() {
        return Err(RecordError::new(record, "the vulnerability has no cve"));
    }

    let mut entries = BTreeMap::new();
    collect_entries(&vulnerability, index, &mut entries)
        .map_err(|reason| RecordError::new(cve, reason))?;

    let mut severity = Vec::new();
    severities(&vulnerability, &mut severity);
    let mut references = Vec::new();
    push_references(
        document
            .document
            .references
            .iter()
            .map(|r| (r.category.as_str(), r.url.as_str())),
        &mut references,
    );
    push_references(vulnerability_references(&vulnerability), &mut references);

    let meta = &document.document;
    let summary = vulnerability
        .title
        .clone()
        .or_else(|| note(&vulnerability.notes, "summary").map(str::to_owned))
        .or_else(|| meta.title.clone());
    Ok(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id: format!("REDHAT-{cve}"),
        modified: meta
            .tracking
            .current_release_date
            .clone()
            .unwrap_or_default(),
        published: vulnerability
            .release_date
            .clone()
            .or_else(|| meta.tracking.initial_release_date.clone()),
        withdrawn: None,
        aliases: vec![cve.to_owned()],
        related: Vec::new(),
        upstream: Vec::new(),
        summary,
        details: note(&vulnerability.notes, "description").map(str::to_owned),
        severity,
        affected: affected_list(entries),
        references,
        credits: Vec::new(),
        database_specific: database_specific(
            overall_impact(document, [&vulnerability]),
            vulnerability.cwe.as_ref(),
        ),
    })
}

/// Converts a security advisory document into one advisory named by its
/// tracking id.
fn convert_security_advisory(
    document: &Csaf,
    index: &ProductIndex<'_>,
    tracking_id: &str,
) -> Result<Advisory, RecordError> {
    let fail = |reason: String| RecordError::new(tracking_id, reason);
    let mut vulnerabilities = Vec::with_capacity(document.vulnerabilities.len());
    for (position, raw) in document.vulnerabilities.iter().enumerate() {
        let vulnerability = Vulnerability::deserialize(raw)
            .map_err(|error| fail(format!("vulnerabilities[{position}]: {error}")))?;
        vulnerabilities.push(vulnerability);
    }

    let mut entries = BTreeMap::new();
    let mut upstream = Vec::new();
    let mut severity = Vec::new();
    let mut references = Vec::new();
    push_references(
        document
            .document
            .references
            .iter()
            .map(|r| (r.category.as_str(), r.url.as_str())),
        &mut references,
    );
    for (position, vulnerability) in vulnerabilities.iter().enumerate() {
        collect_entries(vulnerability, index, &mut entries)
            .map_err(|reason| fail(format!("vulnerabilities[{position}]: {reason}")))?;
        if let Some(cve) = vulnerability.cve.as_deref().map(str::trim)
            && !cve.is_empty()
            && !upstream.iter().any(|known| known == cve)
        {
            upstream.push(cve.to_owned());
        }
        severities(vulnerability, &mut severity);
        push_references(vulnerability_references(vulnerability), &mut references);
    }

    // The RHSA fixes a package if it fixes it for any of its CVEs.
    let fixed: BTreeSet<(String, String, Option<String>)> = entries
        .keys()
        .filter(|key| key.fixed.is_some())
        .map(|key| (key.ecosystem.clone(), key.name.clone(), key.module.clone()))
        .collect();
    entries.retain(|key, _| {
        key.status != Status::NotAffected
            || !fixed.contains(&(key.ecosystem.clone(), key.name.clone(), key.module.clone()))
    });

    let meta = &document.document;
    Ok(Advisory {
        schema_version: Some("1.6.0".to_owned()),
        id: tracking_id.to_owned(),
        modified: meta
            .tracking
            .current_release_date
            .clone()
            .unwrap_or_default(),
        published: meta.tracking.initial_release_date.clone(),
        withdrawn: None,
        aliases: Vec::new(),
        related: Vec::new(),
        upstream,
        summary: meta.title.clone(),
        details: note(&meta.notes, "details")
            .or_else(|| note(&meta.notes, "summary"))
            .map(str::to_owned),
        severity,
        affected: affected_list(entries),
        references,
        credits: Vec::new(),
        database_specific: database_specific(overall_impact(document, &vulnerabilities), None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_release_of_rhel_streams() {
        let release = |cpe| cpe_release(cpe);
        assert_eq!(
            release("cpe:/o:redhat:enterprise_linux:9::baseos").as_deref(),
            Some("9")
        );
        assert_eq!(
            release("cpe:/a:redhat:rhel_eus:8.6::appstream").as_deref(),
            Some("8")
        );
        assert_eq!(release("cpe:/o:redhat:rhel_els:6").as_deref(), Some("6"));
        assert_eq!(
            release("cpe:/a:redhat:rhel_software_collections:3::el7").as_deref(),
            Some("7")
        );
        assert_eq!(release("cpe:/a:redhat:openshift:4.12::el8"), None);
        assert_eq!(release("cpe:/o:rocky:rocky:9"), None);
    }

    #[test]
    fn package_ids_without_purl() {
        let package = package_from_id("pam-0:1.5.1-21.el9_5.x86_64");
        assert_eq!(package.name, "pam");
        assert_eq!(package.evr.as_deref(), Some("1.5.1-21.el9_5"));
        assert_eq!(package.arch.as_deref(), Some("x86_64"));
        let package = package_from_id("ruby-2.7.8-139.module+el8.8.0+18745.aarch64.rpm-ruby:2.7");
        assert_eq!(package.name, "ruby");
        assert_eq!(
            package.evr.as_deref(),
            Some("2.7.8-139.module+el8.8.0+18745")
        );
        assert_eq!(package.module.as_deref(), Some("ruby:2.7"));
        let package = package_from_id("python3.9");
        assert_eq!(package.name, "python3.9");
        assert_eq!(package.evr, None);
        let package = package_from_id("firefox-x11::firefox:flatpak");
        assert_eq!(package.name, "firefox-x11");
        assert_eq!(package.module.as_deref(), Some("firefox:flatpak"));
    }

    #[test]
    fn purl_qualifiers_are_decoded() {
        let purl = parse_purl(
            "pkg:rpm/redhat/ruby@3.1.4-142.module%2Bel8.9.0?arch=i686&rpmmod=ruby:3.1:809:a7&epoch=1",
        )
        .unwrap();
        let package = package_from_purl(&purl);
        assert_eq!(package.name, "ruby");
        assert_eq!(package.evr.as_deref(), Some("1:3.1.4-142.module+el8.9.0"));
        assert_eq!(package.module.as_deref(), Some("ruby:3.1"));
        assert!(parse_purl("rpm/redhat/ruby").is_none());
    }
}
