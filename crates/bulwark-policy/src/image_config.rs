//! Conversion of an OCI image config into a Dockerfile-shaped input document.

use serde_json::{Value as Json, json};

/// Instructions whose effect the image config records directly. Their
/// history lines are skipped and the config fields used instead, so a
/// setting is not reported twice.
const FROM_CONFIG: [&str; 4] = ["user", "expose", "healthcheck", "env"];

/// Builds the `image-config` input document for an OCI image config:
/// `{"kind": "image-config", "stages": [{"index": 0, "name": null, "base":
/// null, "instructions": [...]}]}`, the same shape as a Dockerfile document.
///
/// Instructions come from `history[].created_by` (legacy builder
/// `/bin/sh -c #(nop) USER x` and `/bin/sh -c cmd` lines, and BuildKit
/// `RUN /bin/sh -c cmd # buildkit` lines), each with the 1-based history
/// index as its line. USER, EXPOSE, HEALTHCHECK and ENV come from
/// `config.User`, `config.ExposedPorts`, `config.Healthcheck` and
/// `config.Env` and are appended after the history.
pub fn image_config_document(config: &Json) -> Json {
    let mut instructions = vec![instruction(
        "from",
        vec![json!("image-config")],
        0,
        "FROM image-config",
    )];

    let history = config.get("history").and_then(Json::as_array);
    let mut line = 0u32;
    for entry in history.into_iter().flatten() {
        line += 1;
        let Some(created_by) = entry.get("created_by").and_then(Json::as_str) else {
            continue;
        };
        if let Some((cmd, args)) = parse_created_by(created_by)
            && !FROM_CONFIG.contains(&cmd.as_str())
        {
            instructions.push(instruction(&cmd, args, line, created_by));
        }
    }

    let settings = config.get("config").unwrap_or(&Json::Null);
    let next_line = line + 1;
    if let Some(user) = settings.get("User").and_then(Json::as_str)
        && !user.is_empty()
    {
        instructions.push(instruction(
            "user",
            vec![json!(user)],
            next_line,
            &format!("USER {user}"),
        ));
    }
    if let Some(ports) = settings.get("ExposedPorts").and_then(Json::as_object) {
        let mut ports: Vec<&String> = ports.keys().collect();
        ports.sort();
        let args: Vec<Json> = ports.iter().map(|p| json!(p)).collect();
        if !args.is_empty() {
            let text = format!(
                "EXPOSE {}",
                ports
                    .iter()
                    .map(|p| p.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            instructions.push(instruction("expose", args, next_line, &text));
        }
    }
    if let Some(test) = settings
        .get("Healthcheck")
        .and_then(|h| h.get("Test"))
        .and_then(Json::as_array)
    {
        let args: Vec<Json> = test.clone();
        let text = format!("HEALTHCHECK {}", Json::Array(test.clone()));
        instructions.push(instruction("healthcheck", args, next_line, &text));
    }
    if let Some(env) = settings.get("Env").and_then(Json::as_array) {
        let args: Vec<Json> = env.iter().filter(|v| v.is_string()).cloned().collect();
        if !args.is_empty() {
            instructions.push(instruction("env", args, next_line, "ENV (image config)"));
        }
    }

    json!({
        "kind": "image-config",
        "stages": [{"index": 0, "name": null, "base": null, "instructions": instructions}],
    })
}

fn instruction(cmd: &str, args: Vec<Json>, line: u32, original: &str) -> Json {
    json!({
        "cmd": cmd,
        "args": args,
        "flags": {},
        "json_form": false,
        "heredocs": [],
        "line": line,
        "end_line": line,
        "original": original,
    })
}

/// Parses one `created_by` history line into an instruction keyword and its
/// arguments. Returns `None` for lines that name no instruction.
fn parse_created_by(created_by: &str) -> Option<(String, Vec<Json>)> {
    let text = created_by.trim();
    let text = text.strip_suffix("# buildkit").unwrap_or(text).trim();

    // Legacy builder: `/bin/sh -c #(nop) CMD ...` for metadata instructions
    // and `/bin/sh -c cmd` for RUN. Build arguments appear as a `|N A=b`
    // prefix.
    let text = strip_build_args(text);
    if let Some(rest) = strip_shell(text) {
        if let Some(nop) = rest.trim_start().strip_prefix("#(nop)") {
            return keyword_and_args(nop.trim());
        }
        return Some(("run".to_owned(), vec![json!(rest.trim())]));
    }

    // BuildKit: `RUN /bin/sh -c cmd`, `USER app`, `EXPOSE map[80/tcp:{}]`.
    let (keyword, rest) = keyword_and_args(text)?;
    if keyword == "run" {
        let command = rest.first().and_then(Json::as_str).unwrap_or_default();
        let command = strip_shell(strip_build_args(command)).unwrap_or(command);
        return Some(("run".to_owned(), vec![json!(command.trim())]));
    }
    Some((keyword, rest))
}

/// Splits `KEYWORD rest` into the lowercase keyword and its arguments in the
/// shape of the Dockerfile document: RUN keeps one string, ENV and EXPOSE
/// are split into words, others keep the rest as one string.
fn keyword_and_args(text: &str) -> Option<(String, Vec<Json>)> {
    let (keyword, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if keyword.is_empty() || !keyword.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let keyword = keyword.to_ascii_lowercase();
    let rest = rest.trim();
    let args = match keyword.as_str() {
        "expose" => expose_ports(rest).into_iter().map(Json::String).collect(),
        "env" | "arg" | "label" => rest.split_whitespace().map(|w| json!(w)).collect(),
        "run" => vec![json!(rest)],
        _ => rest.split_whitespace().map(|w| json!(w)).collect(),
    };
    Some((keyword, args))
}

/// Ports of an EXPOSE history line, written by BuildKit as
/// `map[80/tcp:{} 443/tcp:{}]` and by the legacy builder as `80/tcp`.
fn expose_ports(rest: &str) -> Vec<String> {
    let inner = rest
        .strip_prefix("map[")
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(rest);
    inner
        .split_whitespace()
        .map(|p| p.trim_end_matches(":{}").to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

fn strip_shell(text: &str) -> Option<&str> {
    [
        "/bin/sh -c ",
        "/bin/bash -c ",
        "/bin/sh -o pipefail -c ",
        "/bin/bash -o pipefail -c ",
    ]
    .iter()
    .find_map(|shell| text.strip_prefix(shell))
}

/// Removes a `|N NAME=value ...` prefix that records build arguments.
fn strip_build_args(text: &str) -> &str {
    let Some(rest) = text.strip_prefix('|') else {
        return text;
    };
    let mut words = rest.split(' ');
    let count: usize = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut remaining = rest;
    for _ in 0..=count {
        remaining = remaining.split_once(' ').map_or("", |(_, tail)| tail);
    }
    remaining
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_nop_user() {
        let (cmd, args) = parse_created_by("/bin/sh -c #(nop)  USER root").unwrap();
        assert_eq!(cmd, "user");
        assert_eq!(args, vec![json!("root")]);
    }

    #[test]
    fn buildkit_run_with_args() {
        let (cmd, args) =
            parse_created_by("RUN |1 VERSION=2 /bin/sh -c curl -sL x | sh # buildkit").unwrap();
        assert_eq!(cmd, "run");
        assert_eq!(args, vec![json!("curl -sL x | sh")]);
    }

    #[test]
    fn buildkit_expose_map() {
        let (cmd, args) = parse_created_by("EXPOSE map[22/tcp:{} 80/tcp:{}]").unwrap();
        assert_eq!(cmd, "expose");
        assert_eq!(args, vec![json!("22/tcp"), json!("80/tcp")]);
    }
}
