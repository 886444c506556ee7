//! Path handling for untrusted archive entries.

/// Maximum number of symlinks followed while resolving one path, as in
/// Linux's `MAXSYMLINKS`.
const MAX_SYMLINK_HOPS: usize = 40;

/// Normalizes a tar entry path to a relative path without `.` parts,
/// leading slashes or a trailing slash. The root itself becomes `""`.
///
/// Returns an error for paths with a `..` part: such entries would land
/// outside the root when extracted naively, so scanners skip them.
pub fn normalize_entry_path(raw: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(format!("entry path {raw:?} contains '..'")),
            other => parts.push(other),
        }
    }
    Ok(parts.join("/"))
}

/// Joins a link target to the directory of the link and normalizes it the
/// way a chroot does: an absolute target starts at the image root and `..`
/// never climbs above the root.
pub(crate) fn join_link_target(link_path: &str, target: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        parts.extend(link_path.split('/').filter(|p| !p.is_empty()));
        parts.pop();
    }
    push_parts(&mut parts, target);
    parts.join("/")
}

fn push_parts<'a>(parts: &mut Vec<&'a str>, path: &'a str) {
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
}

/// Resolves `path` inside a root filesystem, following symlinks in every
/// component. `read_link` returns the target of a symlink at a normalized
/// path, or `None` when the path is not a symlink.
///
/// Resolution never leaves the root: absolute targets restart at the root
/// and `..` stops there. Returns `None` for loops and chains longer than 40
/// links.
pub fn resolve_in_root<'a, F>(path: &str, read_link: F) -> Option<String>
where
    F: Fn(&str) -> Option<&'a str>,
{
    let mut pending: Vec<String> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .rev()
        .map(str::to_owned)
        .collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            resolved.pop();
            continue;
        }
        resolved.push(part);
        let current = resolved.join("/");
        if let Some(target) = read_link(&current) {
            hops += 1;
            if hops > MAX_SYMLINK_HOPS {
                return None;
            }
            resolved.pop();
            if target.starts_with('/') {
                resolved.clear();
            }
            pending.extend(
                target
                    .split('/')
                    .filter(|p| !p.is_empty() && *p != ".")
                    .rev()
                    .map(str::to_owned),
            );
        }
    }
    Some(resolved.join("/"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn normalize_strips_dots_and_slashes() {
        assert_eq!(
            normalize_entry_path("./etc/os-release").unwrap(),
            "etc/os-release"
        );
        assert_eq!(normalize_entry_path("/usr//lib/").unwrap(), "usr/lib");
        assert_eq!(normalize_entry_path("./").unwrap(), "");
    }

    #[test]
    fn normalize_rejects_parent_parts() {
        assert!(normalize_entry_path("../etc/passwd").is_err());
        assert!(normalize_entry_path("a/../../b").is_err());
    }

    #[test]
    fn link_targets_stay_in_root() {
        assert_eq!(
            join_link_target("etc/os-release", "../usr/lib/os-release"),
            "usr/lib/os-release"
        );
        assert_eq!(
            join_link_target("a/b", "../../../../etc/shadow"),
            "etc/shadow"
        );
        assert_eq!(join_link_target("a/b", "/x/y"), "x/y");
    }

    #[test]
    fn resolve_follows_directory_links() {
        let links: HashMap<&str, &str> =
            [("lib", "usr/lib"), ("usr/lib/os-release", "../../etc/real")].into();
        let resolved = resolve_in_root("lib/os-release", |p| links.get(p).copied());
        assert_eq!(resolved.as_deref(), Some("etc/real"));
    }

    #[test]
    fn resolve_clamps_escapes_and_stops_loops() {
        let links: HashMap<&str, &str> =
            [("evil", "../../../../root"), ("a", "b"), ("b", "a")].into();
        assert_eq!(
            resolve_in_root("evil/x", |p| links.get(p).copied()).as_deref(),
            Some("root/x")
        );
        assert_eq!(resolve_in_root("a", |p| links.get(p).copied()), None);
    }
}
