//! The npm packages of the rebuilt `node-app` and `layers` images, against
//! the images' own pinned inputs and against Trivy's and Syft's baseline
//! reports.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::{Inventory, Package, PackageKind};
use support::image_inventory;

fn npm(inventory: &'static Inventory) -> Vec<&'static Package> {
    inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm)
        .collect()
}

fn json(path: &str) -> serde_json::Value {
    let path = support::corpus().join("images/src").join(path);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&data).expect("JSON input")
}

/// `(install path, name, version)` of installed packages.
type Installed = BTreeSet<(String, String, String)>;

/// Reads what an npm project of the corpus installs from its inputs:
/// every lockfile entry, and the project itself (name and version) from
/// its package.json.
fn project(dir: &str) -> (Installed, (String, String)) {
    let lock = json(&format!("{dir}/package-lock.json"));
    let installed = lock["packages"]
        .as_object()
        .expect("lockfile v2+")
        .iter()
        .filter(|(path, _)| !path.is_empty())
        .map(|(path, entry)| {
            let name = path.rsplit("node_modules/").next().unwrap_or(path);
            let version = entry["version"].as_str().expect("version");
            (path.clone(), name.to_owned(), version.to_owned())
        })
        .collect();
    let manifest = json(&format!("{dir}/package.json"));
    let text = |k: &str| manifest[k].as_str().expect("name and version").to_owned();
    (installed, (text("name"), text("version")))
}

/// Reads the npm packages a baseline report lists, as `(name, version)`.
fn baseline(image: &str, tool: &str) -> BTreeSet<(String, String)> {
    let data = support::read_member(
        "images/baselines.tar.gz",
        &format!("baselines/{image}/{tool}.json"),
    );
    let report: serde_json::Value = serde_json::from_slice(&data).expect("baseline JSON");
    let pair = |v: &serde_json::Value, n: &str, ver: &str| {
        (
            v[n].as_str().unwrap_or_default().to_owned(),
            v[ver].as_str().unwrap_or_default().to_owned(),
        )
    };
    match tool {
        "trivy" => report["Results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["Type"] == "node-pkg")
            .flat_map(|r| r["Packages"].as_array().cloned().unwrap_or_default())
            .map(|p| pair(&p, "Name", "Version"))
            .collect(),
        _ => report["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "npm")
            .map(|a| pair(a, "name", "version"))
            .collect(),
    }
}

fn pairs(packages: &[&Package]) -> BTreeSet<(String, String)> {
    packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect()
}

#[test]
fn node_app_lists_packages_once() {
    let inventory = image_inventory("node-app");
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let npm = npm(inventory);
    let (installed, root) = project("node-app");
    assert_eq!(installed.len(), 55);
    assert_eq!(npm.len(), installed.len() + 1, "{:#?}", pairs(&npm));

    for (path, name, version) in &installed {
        let location = format!("app/{path}/package.json");
        let package = npm
            .iter()
            .find(|p| p.locations.first() == Some(&location))
            .unwrap_or_else(|| panic!("nothing read from {location}"));
        assert_eq!((&package.name, &package.version), (name, version));
        assert_eq!(
            package.locations,
            [location, "app/package-lock.json".to_owned()]
        );
        assert_eq!(package.dev, Some(false), "{name}");
    }
    let application = npm
        .iter()
        .find(|p| p.locations == ["app/package.json"])
        .expect("the project's package.json");
    assert_eq!(
        (&application.name, &application.version),
        (&root.0, &root.1)
    );
    // The project's dependencies point at the installed packages.
    let direct: BTreeSet<&str> = npm
        .iter()
        .filter(|p| p.direct == Some(true))
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        direct,
        BTreeSet::from(["axios", "express", "lodash", "minimist"])
    );
    for dependency in &application.depends_on {
        assert!(
            npm.iter()
                .any(|p| &p.id == dependency && p.direct == Some(true)),
            "{dependency}"
        );
    }
    assert_eq!(application.depends_on.len(), 4);
}

#[test]
fn node_app_leaves_debian_modules_to_dpkg() {
    let inventory = image_inventory("node-app");
    let owned: BTreeSet<&str> = inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Deb)
        .flat_map(|p| p.files.iter())
        .map(|f| f.trim_start_matches('/'))
        .filter(|f| f.starts_with("usr/share/nodejs/") && f.ends_with("/package.json"))
        .collect();
    // Debian's nodejs pulls 25 modules; each one's manifest is in a dpkg
    // file list, so what the npm analyzer read from it is dropped.
    let modules = owned
        .iter()
        .filter_map(|f| f.strip_prefix("usr/share/nodejs/"))
        .filter(|rest| {
            let depth = rest.matches('/').count();
            depth == 1 || (rest.starts_with('@') && depth == 2)
        })
        .count();
    assert_eq!(modules, 25, "{owned:#?}");
    for package in npm(inventory) {
        assert!(
            package
                .locations
                .iter()
                .all(|l| !l.starts_with("usr/share/nodejs/")),
            "{} {} is listed from {:?}",
            package.name,
            package.version,
            package.locations
        );
    }
}

#[test]
fn node_app_matches_peer_baselines() {
    let inventory = image_inventory("node-app");
    let ours = pairs(&npm(inventory));
    assert_eq!(ours, baseline("node-app", "trivy"));
    // Syft also lists the 25 Debian modules under /usr/share/nodejs,
    // which dpkg owns and which the distribution's advisories cover.
    let syft = baseline("node-app", "syft");
    assert!(ours.is_subset(&syft));
    assert_eq!(syft.len() - ours.len(), 25);
}

#[test]
fn layers_lists_final_npm_packages() {
    let inventory = image_inventory("layers");
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let npm = npm(inventory);
    let (installed, root) = project("layers/opaque-app-v2");
    let mut expected: BTreeSet<(String, String)> = installed
        .iter()
        .map(|(_, n, v)| (n.clone(), v.clone()))
        .collect();
    expected.insert(root);
    assert_eq!(pairs(&npm), expected);
    // Packages of the deleted app and of the hidden first version are
    // gone with their files.
    for hidden in ["layers/deleted-app", "layers/opaque-app-v1"] {
        for (_, name, version) in project(hidden).0 {
            assert!(
                !npm.iter().any(|p| p.name == name && p.version == version),
                "{name}@{version} from {hidden} is listed"
            );
        }
    }
    let minimist = npm.iter().find(|p| p.name == "minimist").expect("minimist");
    assert_eq!(
        minimist.locations,
        [
            "srv/opaque-app/node_modules/minimist/package.json",
            "srv/opaque-app/package-lock.json"
        ]
    );
    assert_eq!(minimist.layer.as_ref().map(|l| l.index), Some(4));
    assert_eq!(pairs(&npm), baseline("layers", "trivy"));
    assert_eq!(pairs(&npm), baseline("layers", "syft"));
}
