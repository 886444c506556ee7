//! The Python packages of the rebuilt `py-app` image, against the image's
//! own pinned inputs and against Trivy's and Syft's baseline reports.
//!
//! The image holds a venv with 16 pinned distributions plus the venv's own
//! pip and setuptools, and the project's `poetry.lock` and
//! `requirements.txt` pinning the same 16: each is listed once, with the
//! lockfiles as further locations.

mod support;

use std::collections::BTreeSet;

use bulwark_inventory::{Inventory, Package, PackageKind};
use support::image_inventory;

/// PEP 503 name and a version without trailing `.0` release segments, so
/// that `Django==3.2.0` and the installed `Django 3.2` compare equal.
fn key(name: &str, version: &str) -> (String, String) {
    let name = name.to_ascii_lowercase().replace(['_', '.'], "-");
    let mut version = version.to_owned();
    while let Some(shorter) = version.strip_suffix(".0") {
        version = shorter.to_owned();
    }
    (name, version)
}

/// `(name, version)` pinned by the image's requirements.txt.
fn pinned_requirements() -> BTreeSet<(String, String)> {
    let path = support::corpus().join("images/src/py-app/requirements.txt");
    let text = std::fs::read_to_string(&path).expect("read requirements.txt");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| key(n.trim(), v.trim()))
        .collect()
}

/// The upstream version of a Debian package of the image, without the
/// Debian revision and repack suffix (`23.0.1+dfsg-1` → `23.0.1`).
fn debian_upstream(inventory: &Inventory, name: &str) -> String {
    let deb = inventory
        .packages
        .iter()
        .find(|p| p.kind == PackageKind::Deb && p.name == name)
        .unwrap_or_else(|| panic!("deb {name} not in the image"));
    let upstream = deb
        .version
        .rsplit_once('-')
        .map_or(deb.version.as_str(), |(u, _)| u);
    upstream.split('+').next().unwrap_or(upstream).to_owned()
}

fn python(inventory: &'static Inventory) -> Vec<&'static Package> {
    inventory
        .packages
        .iter()
        .filter(|p| p.kind == PackageKind::Pypi)
        .collect()
}

/// Reads the Python packages a baseline report lists, as `(name,
/// version)`.
fn baseline(tool: &str) -> BTreeSet<(String, String)> {
    let data = support::read_member(
        "images/baselines.tar.gz",
        &format!("baselines/py-app/{tool}.json"),
    );
    let report: serde_json::Value = serde_json::from_slice(&data).expect("baseline JSON");
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    match tool {
        "trivy" => report["Results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["Type"] == "python-pkg")
            .flat_map(|r| r["Packages"].as_array().cloned().unwrap_or_default())
            .map(|p| key(&text(&p, "Name"), &text(&p, "Version")))
            .collect(),
        _ => report["artifacts"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["type"] == "python")
            .map(|a| key(&text(a, "name"), &text(a, "version")))
            .collect(),
    }
}

#[test]
fn py_app_lists_packages_once() {
    let inventory = image_inventory("py-app");
    assert!(inventory.errors.is_empty(), "{:?}", inventory.errors);
    let python = python(inventory);

    // The venv bundles pip and setuptools from the wheels Debian ships in
    // python3-pip-whl and python3-setuptools-whl.
    let mut expected = pinned_requirements();
    assert_eq!(expected.len(), 16, "requirements.txt pins 16 distributions");
    let venv_own = [
        key("pip", &debian_upstream(inventory, "python3-pip-whl")),
        key(
            "setuptools",
            &debian_upstream(inventory, "python3-setuptools-whl"),
        ),
    ];
    expected.extend(venv_own.iter().cloned());
    let found: BTreeSet<(String, String)> =
        python.iter().map(|p| key(&p.name, &p.version)).collect();
    assert_eq!(found, expected);
    assert_eq!(python.len(), expected.len(), "a package is listed twice");

    let site = "app/venv/lib/python3.11/site-packages/";
    for package in &python {
        let installed = &package.locations[0];
        assert!(
            installed.starts_with(site) && installed.ends_with(".dist-info/METADATA"),
            "{}: {installed}",
            package.name
        );
        let lockfiles: Vec<&str> = package.locations[1..].iter().map(String::as_str).collect();
        if venv_own.contains(&key(&package.name, &package.version)) {
            assert!(lockfiles.is_empty(), "{}: {lockfiles:?}", package.name);
        } else {
            assert_eq!(
                lockfiles,
                ["app/poetry.lock", "app/requirements.txt"],
                "{}",
                package.name
            );
            assert_eq!(package.dev, Some(false), "{}", package.name);
        }
        assert!(package.layer.as_ref().is_some_and(|l| l.index == 2));
    }
    // The installed metadata's name and version win over the lockfiles'
    // spellings (`django`, `3.2.0`).
    let django = python.iter().find(|p| p.name == "Django").expect("Django");
    assert_eq!(django.version, "3.2");
    assert_eq!(django.purl, "pkg:pypi/django@3.2");
}

#[test]
fn py_app_dependencies_ignore_name_spelling() {
    let inventory = image_inventory("py-app");
    let id = |name: &str| {
        inventory
            .packages
            .iter()
            .find(|p| p.kind == PackageKind::Pypi && p.name == name)
            .map(|p| p.id.clone())
            .unwrap_or_else(|| panic!("{name} not found"))
    };
    let flask = inventory
        .packages
        .iter()
        .find(|p| p.name == "Flask")
        .expect("Flask");
    // poetry.lock names them `jinja2` and `werkzeug`; the installed
    // packages are `Jinja2` and `Werkzeug`.
    for dependency in ["Jinja2", "Werkzeug", "click", "itsdangerous"] {
        assert!(
            flask.depends_on.contains(&id(dependency)),
            "Flask should depend on {dependency}: {:?}",
            flask.depends_on
        );
    }
}

#[test]
fn py_app_matches_peer_baselines() {
    let inventory = image_inventory("py-app");
    let ours: BTreeSet<(String, String)> = python(inventory)
        .iter()
        .map(|p| key(&p.name, &p.version))
        .collect();
    for tool in ["trivy", "syft"] {
        let theirs = baseline(tool);
        assert_eq!(theirs.len(), 18, "{tool} baseline");
        assert_eq!(ours, theirs, "{tool} lists other Python packages");
    }
}
