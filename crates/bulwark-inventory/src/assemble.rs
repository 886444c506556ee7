//! Turning analyzer facts from the final filesystem into an inventory.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bulwark_image::FinalView;
use serde::Serialize;

use crate::analyzer::{AnalyzeError, Fact, FileFacts};
use crate::os::{Os, OsFile, detect};
use crate::package::{LayerInfo, Package, PackageKind};
use crate::purl::PurlBuilder;

/// The source that was read: an image or a directory.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceInfo {
    /// The target as the user gave it.
    pub target: String,
    /// `image` or `directory`.
    pub kind: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub repo_tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Creation time from the image config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Diff ids of the layers, base first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

/// Every package found in one target, in a deterministic order.
#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub source: SourceInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    pub packages: Vec<Package>,
    /// Layers or files that could not be read; any entry makes the scan
    /// partial.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Entries skipped for safety or size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Inventory {
    /// Returns whether some part of the target could not be read.
    pub fn is_partial(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Builds the inventory from the merged layers. `layer_ids` contains the diff
/// id of each layer, or is empty for directories.
pub fn assemble(
    view: FinalView<FileFacts>,
    source: SourceInfo,
    layer_ids: &[Option<String>],
) -> Inventory {
    let mut errors: Vec<String> = view
        .layer_errors
        .iter()
        .map(|(_, e)| e.to_string())
        .collect();
    let mut warnings: Vec<String> = view
        .warnings
        .iter()
        .map(
            |(layer, w)| match layer_ids.get(*layer).cloned().flatten() {
                Some(id) => format!("layer {id}: {w}"),
                None => w.clone(),
            },
        )
        .collect();

    // OS release files, looked up through symlinks (etc/os-release is
    // usually a link to usr/lib/os-release).
    let mut os_files: BTreeMap<String, OsFile> = BTreeMap::new();
    for path in crate::os::OS_FILES {
        let Some(resolved) = view.resolve(path) else {
            continue;
        };
        let latest = view.outputs.get(&resolved).and_then(|h| h.last());
        if let Some((_, facts)) = latest {
            for fact in &facts.facts {
                if let Fact::Os(file) = fact {
                    os_files.insert(path.to_owned(), file.clone());
                }
            }
        }
    }
    let os = detect(&os_files);

    let mut packages: Vec<Package> = Vec::new();
    let mut owned: HashMap<(PackageKind, String), Vec<String>> = HashMap::new();
    let mut licenses: HashMap<(PackageKind, String), Vec<String>> = HashMap::new();
    let mut file_errors: Vec<AnalyzeError> = Vec::new();
    for (path, history) in &view.outputs {
        let Some((_, latest)) = history.last() else {
            continue;
        };
        file_errors.extend(latest.errors.iter().cloned());
        let introduced = introduction_layers(history);
        for fact in &latest.facts {
            match fact {
                Fact::Package(package) => {
                    let mut package = package.clone();
                    if !layer_ids.is_empty() {
                        let index = introduced
                            .get(&package.identity())
                            .copied()
                            .unwrap_or_default();
                        package.layer = Some(LayerInfo {
                            index,
                            diff_id: layer_ids.get(index).cloned().flatten(),
                        });
                    }
                    packages.push(package);
                }
                Fact::OwnedFiles {
                    kind,
                    package,
                    files,
                } => {
                    owned
                        .entry((*kind, package.clone()))
                        .or_default()
                        .extend(files.iter().cloned());
                }
                Fact::Licenses {
                    kind,
                    package,
                    licenses: found,
                } => {
                    licenses.insert((*kind, package.clone()), found.clone());
                }
                Fact::Skipped { reason } => {
                    warnings.push(format!("{path}: {reason}"));
                }
                Fact::Os(_) => {}
            }
        }
    }
    errors.extend(file_errors.iter().map(ToString::to_string));
    crate::analyzers::link_across_files(&mut packages);

    for package in &mut packages {
        let key = (package.kind, package.name.clone());
        if let Some(files) = owned.remove(&key) {
            package.files = files;
        }
        if package.licenses.is_empty()
            && let Some(found) = licenses.get(&key)
        {
            package.licenses = found.clone();
        }
        package.files.sort();
        package.files.dedup();
        if package.purl.is_empty() {
            package.purl = os_purl(package, os.as_ref());
        }
    }

    // Language packages whose files an OS package installed are covered by
    // the distribution's advisories, so they are not listed twice.
    let os_owned: BTreeSet<&str> = packages
        .iter()
        .filter(|p| p.kind.is_os())
        .flat_map(|p| p.files.iter().map(|f| f.trim_start_matches('/')))
        .collect();
    let before = packages.len();
    let os_owned_locations: Vec<bool> = packages
        .iter()
        .map(|p| {
            !p.kind.is_os()
                && p.locations
                    .iter()
                    .any(|l| os_owned.contains(l.trim_start_matches('/')))
        })
        .collect();
    let mut keep = os_owned_locations.iter().map(|dropped| !dropped);
    packages.retain(|_| keep.next().unwrap_or(true));
    if before != packages.len() {
        tracing::debug!(
            dropped = before - packages.len(),
            "dropped language packages owned by OS packages"
        );
    }

    merge_declared_into_installed(&mut packages);

    packages.sort_by(|a, b| {
        (
            a.kind.is_os(),
            a.kind,
            &a.name,
            &a.version,
            &a.release,
            &a.arch,
            &a.locations,
        )
            .cmp(&(
                b.kind.is_os(),
                b.kind,
                &b.name,
                &b.version,
                &b.release,
                &b.arch,
                &b.locations,
            ))
    });
    packages.reverse_os_first();
    assign_ids(&mut packages);
    resolve_dependencies(&mut packages);
    errors.sort();
    errors.dedup();
    warnings.sort();
    warnings.dedup();
    Inventory {
        source,
        os,
        packages,
        errors,
        warnings,
    }
}

trait OsFirst {
    fn reverse_os_first(&mut self);
}

impl OsFirst for Vec<Package> {
    /// Moves OS packages before language packages, keeping each group's
    /// order.
    fn reverse_os_first(&mut self) {
        let (os, other): (Vec<Package>, Vec<Package>) = std::mem::take(self)
            .into_iter()
            .partition(|p| p.kind.is_os());
        self.extend(os);
        self.extend(other);
    }
}

/// Computes, for each package of the file's latest version, the layer of
/// the earliest version from which it stayed present without a gap.
fn introduction_layers(
    history: &[(usize, FileFacts)],
) -> HashMap<(PackageKind, String, String, Option<String>), usize> {
    let mut introduced: HashMap<_, usize> = HashMap::new();
    for (layer, facts) in history {
        let mut next = HashMap::new();
        for fact in &facts.facts {
            if let Fact::Package(package) = fact {
                let identity = package.identity();
                let first = introduced.get(&identity).copied().unwrap_or(*layer);
                next.insert(identity, first);
            }
        }
        introduced = next;
    }
    introduced
}

/// Builds the purl of an OS package, which depends on the detected OS.
fn os_purl(package: &Package, os: Option<&Os>) -> String {
    let distro = os.map(|os| format!("{}-{}", os.family.replace(' ', "-"), os.version));
    let namespace = match (package.kind, os) {
        (PackageKind::Deb, Some(os)) if os.family == "ubuntu" => "ubuntu".to_owned(),
        (PackageKind::Deb, _) => "debian".to_owned(),
        (PackageKind::Apk, Some(os)) if os.family == "wolfi" || os.family == "chainguard" => {
            os.family.clone()
        }
        (PackageKind::Apk, _) => "alpine".to_owned(),
        (PackageKind::Rpm, Some(os)) => match os.family.as_str() {
            "suse linux enterprise" => "suse".to_owned(),
            "opensuse-leap" | "opensuse-tumbleweed" => "opensuse".to_owned(),
            other => other.to_owned(),
        },
        (PackageKind::Rpm, None) => String::new(),
        _ => String::new(),
    };
    let version = match &package.release {
        Some(release) => format!("{}-{release}", package.version),
        None => package.version.clone(),
    };
    let epoch = package.epoch.map(|e| e.to_string());
    let upstream_differs = package
        .source_name
        .as_deref()
        .is_some_and(|source| source != package.name);
    PurlBuilder::new(package.kind.purl_type(), &package.name)
        .namespace(&namespace)
        .version(&version)
        .qualifier("arch", package.arch.as_deref())
        .qualifier("epoch", epoch.as_deref())
        .qualifier("distro", distro.as_deref())
        .qualifier(
            "upstream",
            upstream_differs
                .then_some(package.source_name.as_deref())
                .flatten(),
        )
        .build()
}

/// Uses the purl as id, adding the location when a purl repeats.
fn assign_ids(packages: &mut [Package]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for package in packages.iter() {
        *counts.entry(package.purl.clone()).or_default() += 1;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for package in packages.iter_mut() {
        let mut id = package.purl.clone();
        if counts.get(&id).copied().unwrap_or_default() > 1 {
            let location = package.locations.first().cloned().unwrap_or_default();
            id = format!("{id}#{location}");
        }
        let mut candidate = id.clone();
        let mut n = 1;
        while !used.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{id}-{n}");
        }
        package.id = candidate;
    }
}

/// Replaces dependency references with package ids. A reference is
/// `name@version` or a bare `name`; it resolves to a package of the same
/// kind, preferring one read from the same file. References that match
/// nothing (virtual packages, shared-library provides) are dropped.
fn resolve_dependencies(packages: &mut [Package]) {
    type Candidates<'a> = Vec<(&'a str, &'a str, &'a str)>;
    let mut by_name: HashMap<(PackageKind, String), Candidates<'_>> = HashMap::new();
    for package in packages.iter() {
        let location = package.locations.first().map_or("", String::as_str);
        by_name
            .entry((package.kind, name_key(package.kind, &package.name)))
            .or_default()
            .push((location, package.version.as_str(), package.id.as_str()));
    }
    let resolved: Vec<Vec<String>> = packages
        .iter()
        .map(|package| {
            let location = package.locations.first().map_or("", String::as_str);
            let mut ids: Vec<String> = package
                .depends_on
                .iter()
                .filter_map(|reference| {
                    let (name, version) = match reference.rsplit_once('@') {
                        Some((name, version)) if !name.is_empty() => (name, Some(version)),
                        _ => (reference.as_str(), None),
                    };
                    let candidates = by_name
                        .get(&(package.kind, name_key(package.kind, name)))
                        .or_else(|| {
                            by_name.get(&(package.kind, name_key(package.kind, reference)))
                        })?;
                    let same_version = |c: &&(&str, &str, &str)| version.is_none_or(|v| c.1 == v);
                    let chosen = candidates
                        .iter()
                        .filter(same_version)
                        .find(|c| c.0 == location)
                        .or_else(|| candidates.iter().find(same_version))
                        .or_else(|| candidates.iter().find(|c| c.0 == location))
                        .or_else(|| candidates.first())?;
                    Some(chosen.2.to_owned())
                })
                .filter(|id| *id != package.id)
                .collect();
            ids.sort();
            ids.dedup();
            ids
        })
        .collect();
    for (package, ids) in packages.iter_mut().zip(resolved) {
        package.depends_on = ids;
    }
}

/// The name under which dependency references and lockfile entries find a
/// package: PyPI names compare after PEP 503 normalization (`Jinja2`,
/// `jinja2` and `jinja_2` differ only in spelling), other names exactly.
fn name_key(kind: PackageKind, name: &str) -> String {
    match kind {
        PackageKind::Pypi => crate::analyzers::python::normalize_name(name),
        _ => name.to_owned(),
    }
}

/// Lists a package seen both installed and in a lockfile once. A package
/// declared by a lockfile or manifest joins every installed package of the
/// same kind, name and version within the lockfile's project directory
/// (for npm, its `node_modules`); the installed package keeps its own
/// location first and gains the lockfile's, and takes the lockfile's
/// dependency references and development flags, which are more precise.
fn merge_declared_into_installed(packages: &mut Vec<Package>) {
    let version_key = |p: &Package| match p.kind {
        PackageKind::Pypi => crate::analyzers::python::version_key(&p.version),
        _ => p.version.clone(),
    };
    let location = |p: &Package| p.locations.first().cloned().unwrap_or_default();
    let is_installed = |p: &Package| crate::analyzers::is_installed_metadata(p.kind, &location(p));
    let mut installed: HashMap<(PackageKind, String, String), Vec<usize>> = HashMap::new();
    for (i, package) in packages.iter().enumerate() {
        if is_installed(package) {
            installed
                .entry((
                    package.kind,
                    name_key(package.kind, &package.name),
                    version_key(package),
                ))
                .or_default()
                .push(i);
        }
    }
    if installed.is_empty() {
        return;
    }
    let mut merges: Vec<(usize, usize)> = Vec::new();
    for (i, declared) in packages.iter().enumerate() {
        if declared.kind.is_os() || is_installed(declared) {
            continue;
        }
        let key = (
            declared.kind,
            name_key(declared.kind, &declared.name),
            version_key(declared),
        );
        let Some(candidates) = installed.get(&key) else {
            continue;
        };
        let file = location(declared);
        let dir = file.rsplit_once('/').map_or("", |(dir, _)| dir);
        let mut root = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        if declared.kind == PackageKind::Npm {
            root.push_str("node_modules/");
        }
        merges.extend(
            candidates
                .iter()
                .filter(|&&t| location(&packages[t]).starts_with(&root))
                .map(|&t| (t, i)),
        );
    }
    let mut absorbed = vec![false; packages.len()];
    for (target, source) in merges {
        absorbed[source] = true;
        let source = packages[source].clone();
        let target = &mut packages[target];
        for location in source.locations {
            if !target.locations.contains(&location) {
                target.locations.push(location);
            }
        }
        if !source.depends_on.is_empty() {
            target.depends_on = source.depends_on;
        }
        target.dev = source.dev.or(target.dev);
        target.direct = source.direct.or(target.direct);
        if target.licenses.is_empty() {
            target.licenses = source.licenses;
        }
    }
    let mut keep = absorbed.iter().map(|a| !a);
    packages.retain(|_| keep.next().unwrap_or(true));
}
