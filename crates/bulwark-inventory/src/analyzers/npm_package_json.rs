//! Reads `package.json` manifests: installed packages under
//! `node_modules`, and the project's own manifest.

use bulwark_image::EntryInfo;
use serde_json::Value;

use super::node::{dependency_names, is_valid_name, licenses, npm_package};
use crate::analyzer::{Analyzer, Fact};

/// Reads `package.json` files of two kinds:
///
/// - installed packages: `node_modules/NAME/package.json` and
///   `node_modules/@SCOPE/NAME/package.json`, at any depth of nesting.
///   Other manifests inside a package (`node_modules/x/lib/package.json`)
///   only configure its module loading and are skipped;
/// - the application: a `package.json` outside every `node_modules`
///   directory, listed when it has a name and a version.
///
/// Debian's `/usr/share/nodejs` modules look like applications here; the
/// inventory drops them because dpkg owns their files.
pub struct NpmPackageJsonAnalyzer;

impl Analyzer for NpmPackageJsonAnalyzer {
    fn name(&self) -> &'static str {
        "npm-package-json"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_manifest_path(info.path)
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
        let manifest: Value = serde_json::from_slice(data).map_err(|e| e.to_string())?;
        if !manifest.is_object() {
            return Err("not a JSON object".to_owned());
        }
        let installed = installed_name(path).is_some();
        let field = |key: &str| {
            manifest
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let name = field("name").or_else(|| installed_name(path));
        let (Some(name), Some(version)) = (name, field("version")) else {
            // Manifests without a name or version are not packages: project
            // roots that are never published, and module-type stubs.
            return Ok(Vec::new());
        };
        if !is_valid_name(name) {
            return Err(format!("invalid package name {name:?}"));
        }
        let mut package = npm_package(name, version);
        package.licenses = licenses(&manifest);
        // An installed package's development dependencies are not
        // installed; the application's are.
        let fields: &[&str] = if installed {
            &["dependencies", "optionalDependencies"]
        } else {
            &["dependencies", "optionalDependencies", "devDependencies"]
        };
        // TODO: installed packages name their dependencies without
        // versions; resolving them to the right nested copy needs the
        // node_modules tree, which one file does not show.
        package.depends_on = dependency_names(&manifest, fields);
        Ok(vec![Fact::Package(package)])
    }
}

/// Returns whether `path` is a manifest this analyzer reads.
pub(crate) fn is_manifest_path(path: &str) -> bool {
    let Some(dir) = path.strip_suffix("package.json") else {
        return false;
    };
    if !(dir.is_empty() || dir.ends_with('/')) {
        return false;
    }
    installed_name(path).is_some() || !path.split('/').any(|part| part == "node_modules")
}

/// Returns the package name given by the directory of an installed manifest,
/// `node_modules/NAME/package.json` or `node_modules/@SCOPE/NAME/package.json`.
pub(crate) fn installed_name(path: &str) -> Option<&str> {
    let dir = path.strip_suffix("/package.json")?;
    let (parent, name) = dir.rsplit_once('/')?;
    if name.starts_with(['.', '@']) || name.is_empty() {
        return None;
    }
    if parent == "node_modules" || parent.ends_with("/node_modules") {
        return Some(name);
    }
    let (grandparent, scope) = parent.rsplit_once('/').unwrap_or(("", parent));
    let scoped = scope.len() > 1
        && scope.starts_with('@')
        && (grandparent == "node_modules" || grandparent.ends_with("/node_modules"));
    scoped.then(|| &dir[parent.len() - scope.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_names_come_from_the_directory() {
        assert_eq!(
            installed_name("app/node_modules/ms/package.json"),
            Some("ms")
        );
        assert_eq!(
            installed_name("node_modules/@babel/parser/package.json"),
            Some("@babel/parser")
        );
        assert_eq!(
            installed_name("app/node_modules/a/node_modules/@s/b/package.json"),
            Some("@s/b")
        );
        assert_eq!(installed_name("app/node_modules/a/lib/package.json"), None);
        assert_eq!(installed_name("app/node_modules/.pnpm/package.json"), None);
        assert_eq!(installed_name("app/node_modules/@s/package.json"), None);
        assert_eq!(installed_name("app/package.json"), None);
    }

    #[test]
    fn wanted_paths() {
        for path in [
            "app/package.json",
            "package.json",
            "usr/share/nodejs/acorn/package.json",
            "app/node_modules/ms/package.json",
            "app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json",
        ] {
            assert!(is_manifest_path(path), "{path}");
        }
        for path in [
            "app/node_modules/ms/lib/package.json",
            "app/node_modules/@babel/runtime/helpers/esm/package.json",
            "app/my-package.json",
            "app/node_modules/.package-lock.json",
        ] {
            assert!(!is_manifest_path(path), "{path}");
        }
    }

    #[test]
    fn manifests_without_version_give_nothing() {
        let facts = NpmPackageJsonAnalyzer
            .analyze("app/package.json", br#"{"name": "angular"}"#)
            .unwrap();
        assert!(facts.is_empty());
        assert!(
            NpmPackageJsonAnalyzer
                .analyze("app/package.json", br#"{"name" "x"}"#)
                .is_err()
        );
    }
}
