//! Reads pip requirements files (`requirements*.txt`).
//!
//! Only requirements pinned to one version (`==` or `===`, no wildcard)
//! give packages: a range tells what may be installed, not what is.

use bulwark_image::EntryInfo;

use super::python::{is_concrete_version, is_installed_tree, pypi_package, split_requirement};
use crate::analyzer::{Analyzer, Fact};

/// Reads pinned requirements from pip requirements files.
pub struct PipRequirementsAnalyzer;

impl Analyzer for PipRequirementsAnalyzer {
    fn name(&self) -> &'static str {
        "pip-requirements"
    }

    fn wants(&self, info: &EntryInfo<'_>) -> bool {
        is_requirements_path(info.path)
    }

    fn analyze(&self, path: &str, data: &[u8]) -> Result<Vec<Fact>, String> {
        let text = decode(data)?;
        let mut facts = Vec::new();
        for line in logical_lines(&text) {
            let line = line.trim();
            if line.starts_with('-') {
                if let Some(reason) = unread_include(path, line) {
                    facts.push(Fact::Skipped { reason });
                }
                continue;
            }
            if let Some((name, version)) = pinned(line) {
                facts.push(Fact::Package(pypi_package(name, version)));
            }
        }
        Ok(facts)
    }
}

/// Returns whether `path` is a requirements file: a `.txt` file whose name
/// contains `requirements` (`requirements.txt`, `requirements-dev.txt`,
/// `dev-requirements.txt`), or any `.txt` file in a `requirements/`
/// directory (`requirements/base.txt`), a common layout for includes.
/// Files inside installed packages are not the project's.
pub(crate) fn is_requirements_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let Some(stem) = parts.next().and_then(|file| file.strip_suffix(".txt")) else {
        return false;
    };
    let parent = parts.next();
    (stem.contains("requirements") || parent == Some("requirements"))
        && !parent.into_iter().chain(parts).any(is_installed_tree)
}

/// Decodes UTF-8 (with or without BOM) and UTF-16 with a BOM, which
/// Windows editors and PowerShell redirection produce.
fn decode(data: &[u8]) -> Result<String, String> {
    let utf16 = |bytes: &[u8], from: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|c| from([c[0], c[1]])).collect();
        String::from_utf16(&units).map_err(|e| format!("invalid UTF-16: {e}"))
    };
    if let Some(rest) = data.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = data.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes);
    }
    let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
    std::str::from_utf8(data)
        .map(str::to_owned)
        .map_err(|e| format!("not UTF-8 text: {e}"))
}

/// Joins lines ending in a backslash with the next one and removes
/// comments, as pip does before parsing: a `#` starts a comment at the
/// start of a line or after whitespace (a URL fragment such as `#egg=`
/// is kept).
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = strip_comment(line.trim_end_matches('\r'));
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].trim_end();
        }
    }
    line.trim_end()
}

/// Returns why a `-r`/`--requirement` include will be missing from the
/// inventory, or `None` when it is read anyway. An analyzer reads one
/// file at a time, so includes are not followed, but an included file named like
/// a requirements file is read on its own. Constraint files (`-c`) only
/// limit versions and install nothing.
fn unread_include(path: &str, line: &str) -> Option<String> {
    let target = ["--requirement", "-r"]
        .iter()
        .find_map(|option| line.strip_prefix(option))
        .map(|rest| rest.strip_prefix('=').unwrap_or(rest).trim())
        .filter(|target| !target.is_empty())?;
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let read = !target.contains("://")
        && join(dir, target).is_some_and(|included| is_requirements_path(&included));
    // TODO: following includes needs the whole tree at once; until then
    // packages of an include with another name are reported as missing.
    (!read).then(|| format!("included requirements file {target} is not read"))
}

/// `relative` resolved against the directory `dir`, or `None` when it
/// leaves the root.
fn join(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The name and version of a requirement pinned to one version. Per-line
/// options (`--hash`, `--config-settings`, `-C`), extras and environment
/// markers are ignored; URLs, ranges and wildcards give nothing.
fn pinned(line: &str) -> Option<(&str, &str)> {
    let requirement = strip_options(line);
    let requirement = requirement
        .split_once(';')
        .map_or(requirement, |(spec, _)| spec)
        .trim();
    let (name, rest) = split_requirement(requirement)?;
    let mut rest = rest.trim_start();
    if rest.starts_with('[') {
        rest = rest[rest.find(']')? + 1..].trim_start();
    }
    if rest.starts_with('@') {
        return None;
    }
    let mut version = None;
    for specifier in rest.split(',') {
        let specifier = specifier.trim();
        let value = specifier
            .strip_prefix("===")
            .or_else(|| specifier.strip_prefix("=="));
        if let Some(value) = value {
            // A `#` right after the version starts a comment in practice,
            // though pip wants whitespace before it; versions never hold one.
            let value = value.split_whitespace().next()?.split('#').next()?;
            if !is_concrete_version(value) {
                return None;
            }
            version = Some(value);
        }
    }
    version.map(|v| (name, v))
}

/// Cuts a requirement line at its first option (a word starting with `-`
/// after whitespace).
fn strip_options(line: &str) -> &str {
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'-' && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_lines() {
        assert_eq!(pinned("Django==3.2.0"), Some(("Django", "3.2.0")));
        assert_eq!(pinned("urllib3===1.26.20"), Some(("urllib3", "1.26.20")));
        assert_eq!(
            pinned("celery[redis, pytest] == 4.4.7"),
            Some(("celery", "4.4.7"))
        );
        assert_eq!(
            pinned("SomeProject ==5.4 ; python_version < '3.8'"),
            Some(("SomeProject", "5.4"))
        );
        assert_eq!(pinned("foo==1.0 --hash=sha256:123"), Some(("foo", "1.0")));
        assert_eq!(pinned("foo17--hash==1.0"), Some(("foo17--hash", "1.0")));
        assert_eq!(pinned("foo14==1.0 -C bar"), Some(("foo14", "1.0")));
        for line in [
            "keyring >= 4.1.1",
            "python-gitlab==2.0.*",
            "pyjwt==1.*,>=1.2",
            "qwert==${MY_VARIABLE_1}",
            "foo=='invalid-version'",
            "urllib3 @ https://example.com/urllib3-1.26.8.zip",
            "==2.3.4",
            "asdf==",
            "pandas",
        ] {
            assert_eq!(pinned(line), None, "{line}");
        }
    }

    #[test]
    fn comments_and_continuations() {
        let lines = logical_lines("a==1 \\\n  --hash=sha256:1 # x\n# c\nb==2#egg\n");
        assert_eq!(lines, vec!["a==1    --hash=sha256:1", "", "b==2#egg"]);
    }

    #[test]
    fn includes() {
        assert_eq!(
            unread_include("app/requirements.txt", "-r base-requirements.txt"),
            None
        );
        assert_eq!(
            unread_include(
                "app/requirements.txt",
                "--requirement=requirements/base.txt"
            ),
            None
        );
        assert_eq!(
            unread_include("app/requirements.txt", "-c constraints.txt"),
            None
        );
        assert_eq!(unread_include("app/requirements.txt", "-e ."), None);
        assert_eq!(
            unread_include("app/requirements.txt", "-r common.txt"),
            Some("included requirements file common.txt is not read".to_owned())
        );
        assert_eq!(
            unread_include("app/src/requirements.txt", "-r ../requirements-base.txt"),
            None
        );
    }

    #[test]
    fn wanted_paths() {
        assert!(is_requirements_path("app/requirements.txt"));
        assert!(is_requirements_path("requirements-dev.txt"));
        assert!(is_requirements_path("app/dev-requirements.txt"));
        assert!(is_requirements_path("app/requirements/base.txt"));
        assert!(!is_requirements_path("app/notes.txt"));
        assert!(!is_requirements_path("app/requirements.in"));
        assert!(!is_requirements_path(
            "usr/lib/python3/dist-packages/foo/requirements.txt"
        ));
    }

    #[test]
    fn utf16_is_decoded() {
        let mut data = vec![0xFF, 0xFE];
        for unit in "attrs==20.3.0\n".encode_utf16() {
            data.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(&data).unwrap(), "attrs==20.3.0\n");
    }
}
