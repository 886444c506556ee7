//! Embeds every built-in check under `checks/` into the library, so the
//! binary carries them and needs no files at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let checks_dir = manifest_dir.join("checks");
    println!("cargo:rerun-if-changed={}", checks_dir.display());

    let mut files = Vec::new();
    collect_rego(&checks_dir, &mut files);
    files.sort();

    let mut out = String::from("pub(crate) static BUILTIN_MODULES: &[(&str, &str)] = &[\n");
    for file in &files {
        let relative = file
            .strip_prefix(&checks_dir)
            .expect("collected under checks/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            out,
            "    ({relative:?}, include_str!({:?})),",
            file.to_string_lossy()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("];\n");

    let out_path =
        PathBuf::from(env::var("OUT_DIR").expect("set by cargo")).join("builtin_checks.rs");
    fs::write(&out_path, out).expect("OUT_DIR is writable");
}

/// Collects `*.rego` files other than `*_test.rego`, and tells cargo to
/// rerun when any directory changes so new files are picked up.
fn collect_rego(dir: &Path, files: &mut Vec<PathBuf>) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rego(&path, files);
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && name.ends_with(".rego")
            && !name.ends_with("_test.rego")
        {
            println!("cargo:rerun-if-changed={}", path.display());
            files.push(path);
        }
    }
}
