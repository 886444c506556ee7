//! Dockerfile parsing on real official-image and project Dockerfiles.

mod common;

use std::path::Path;

use bulwark_iac::{FileKind, PathSegment, parse_file};
use serde_json::Value;

fn parse(text: &str, name: &str) -> Value {
    let parsed = parse_file(Path::new(name), name, FileKind::Dockerfile, text.as_bytes())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(parsed.documents.len(), 1);
    parsed.documents[0].input.clone()
}

fn instructions(input: &Value, stage: usize) -> &Vec<Value> {
    input["stages"][stage]["instructions"]
        .as_array()
        .expect("instructions")
}

#[test]
fn heredoc_and_multistage_flask() {
    let Some(root) = common::realworld() else {
        return;
    };
    let path = root.join("compose/awesome-compose/flask/app/Dockerfile");
    let text = common::read(&path);
    let input = parse(&text, "Dockerfile");

    let stages = input["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0]["name"], "builder");
    assert_eq!(stages[0]["base"], "python:3.10-alpine");
    assert_eq!(stages[1]["name"], "dev-envs");
    assert_eq!(stages[1]["base"], "builder");
    assert_eq!(
        instructions(&input, 0)[0]["flags"]["platform"],
        "$BUILDPLATFORM"
    );

    // The RUN with a cache mount continues on the next line.
    let run = instructions(&input, 0)
        .iter()
        .find(|i| i["cmd"] == "run")
        .unwrap();
    assert_eq!(run["flags"]["mount"], "type=cache,target=/root/.cache/pip");
    assert_eq!(run["line"], common::line_of(&text, "RUN --mount", 1));
    assert_eq!(run["end_line"], common::line_of(&text, "pip3 install", 1));
    assert_eq!(
        run["args"][0].as_str().unwrap().trim(),
        "pip3 install -r requirements.txt"
    );
    assert_eq!(run["json_form"], false);

    let heredoc_runs: Vec<&Value> = instructions(&input, 1)
        .iter()
        .filter(|i| i["cmd"] == "run")
        .collect();
    assert!(heredoc_runs.len() >= 2);
    let first = heredoc_runs[0];
    assert_eq!(first["heredocs"][0]["delimiter"], "EOF");
    assert_eq!(first["heredocs"][0]["content"], "apk update\napk add git\n");
    let start = common::line_of(&text, "RUN <<EOF", 1) as usize;
    assert_eq!(first["line"], start);
    assert_eq!(first["end_line"], common::line_of(&text, "EOF", start + 1));

    // The instruction after the heredocs is parsed as an instruction.
    let entrypoint = instructions(&input, 0)
        .iter()
        .find(|i| i["cmd"] == "entrypoint")
        .unwrap();
    assert_eq!(entrypoint["json_form"], true);
    assert_eq!(entrypoint["args"], serde_json::json!(["python3"]));
}

#[test]
fn tab_stripping_quoted_heredoc_derived() {
    let Some(root) = common::realworld() else {
        return;
    };
    let text = common::read(&root.join("compose/awesome-compose/flask/app/Dockerfile"));
    // Turn the first heredoc into `<<-"EOF"` with tab-indented body and end.
    let start = common::line_of(&text, "RUN <<EOF", 1) as usize;
    let end = common::line_of(&text, "EOF", start + 1) as usize;
    let derived: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i + 1 {
            n if n == start => "RUN <<-\"EOF\" sh".to_owned(),
            n if n > start && n <= end => format!("\t{line}"),
            _ => line.to_owned(),
        })
        .collect();
    let input = parse(&derived.join("\n"), "Dockerfile");
    let run = instructions(&input, 1)
        .iter()
        .find(|i| i["cmd"] == "run")
        .unwrap();
    assert_eq!(run["heredocs"][0]["delimiter"], "EOF");
    assert_eq!(run["heredocs"][0]["content"], "apk update\napk add git\n");
    assert_eq!(run["end_line"], end);
}

#[test]
fn escape_directive_windows_derived() {
    let Some(root) = common::realworld() else {
        return;
    };
    let path = root.join("dockerfiles/golang/1.26/windows/windowsservercore-ltsc2022/Dockerfile");
    let text = common::read(&path);
    let original = parse(&text, "Dockerfile");

    // Same file with the backtick escape that Windows Dockerfiles use.
    let derived: Vec<String> = text
        .lines()
        .map(|line| match line.strip_suffix('\\') {
            Some(rest) => format!("{rest}`"),
            None => line.to_owned(),
        })
        .collect();
    let derived = format!("# escape=`\n{}\n", derived.join("\n"));
    let escaped = parse(&derived, "Dockerfile");
    assert_eq!(escaped["escape"], "`");

    let a = instructions(&original, 0);
    let b = instructions(&escaped, 0);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x["cmd"], y["cmd"]);
        assert_eq!(x["args"], y["args"], "instruction at line {}", x["line"]);
        assert_eq!(x["line"].as_u64().unwrap() + 1, y["line"].as_u64().unwrap());
    }

    // With the backtick escape a trailing backslash is part of the text.
    let backslash = "# escape=`\nFROM scratch\nWORKDIR C:\\go\\\nUSER x\n";
    let input = parse(backslash, "Dockerfile");
    let workdir = &instructions(&input, 0)[1];
    assert_eq!(workdir["args"], serde_json::json!(["C:\\go\\"]));
}

#[test]
fn arg_substituted_into_from_derived() {
    let Some(root) = common::realworld() else {
        return;
    };
    let path = root.join("k8s-manifests/microservices-demo/src/frontend/Dockerfile");
    let text = common::read(&path);
    let real = parse(&text, "Dockerfile");
    let base = real["stages"][0]["base"].as_str().unwrap().to_owned();
    assert!(base.starts_with("golang:"), "first stage base is {base}");
    // The global ARG before FROM is in the top-level args list.
    let args = real["args"].as_array().unwrap();
    assert!(
        args.iter()
            .any(|a| a["args"][0] == "BUILDPLATFORM=linux/amd64")
    );

    // Move the image into a global ARG, as many projects do.
    let (image_name, tag) = base.split_once(':').unwrap();
    let derived = text.replacen(
        &format!("{image_name}:{tag}"),
        "${GO_IMAGE}:${GO_TAG:-unused}",
        1,
    );
    let derived = format!("ARG GO_IMAGE={image_name}\nARG GO_TAG=\"{tag}\"\n{derived}");
    let input = parse(&derived, "Dockerfile");
    assert_eq!(input["stages"][0]["base"], base);
    assert_eq!(input["stages"][0]["name"], "builder");
    let written = &input["stages"][0]["instructions"][0]["args"][0];
    assert_eq!(written, "${GO_IMAGE}:${GO_TAG:-unused}");

    // Stage ARGs stay KEY=VALUE, and an ARG without default stays a name.
    let stage_args: Vec<&Value> = instructions(&input, 0)
        .iter()
        .filter(|i| i["cmd"] == "arg")
        .flat_map(|i| i["args"].as_array().unwrap())
        .collect();
    assert!(stage_args.contains(&&Value::from("TARGETOS=linux")));
    assert!(stage_args.contains(&&Value::from("SKAFFOLD_GO_GCFLAGS")));
}

#[test]
fn env_forms_and_positions_python() {
    let Some(root) = common::realworld() else {
        return;
    };
    let dir = root.join("dockerfiles/python");
    let mut checked = 0;
    for entry in walk(&dir) {
        let text = common::read(&entry);
        let parsed =
            parse_file(&entry, "Dockerfile", FileKind::Dockerfile, text.as_bytes()).unwrap();
        let document = &parsed.documents[0];
        for (s, stage) in document.input["stages"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            for (i, instruction) in stage["instructions"].as_array().unwrap().iter().enumerate() {
                let line = instruction["line"].as_u64().unwrap() as u32;
                let path = [
                    PathSegment::Key("stages".into()),
                    PathSegment::Index(s),
                    PathSegment::Key("instructions".into()),
                    PathSegment::Index(i),
                ];
                assert_eq!(document.positions.locate(&path), Some((line, 1)));
                let source_line = text.lines().nth(line as usize - 1).unwrap();
                let keyword = instruction["cmd"].as_str().unwrap();
                assert!(
                    source_line
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with(keyword),
                    "{}: line {line} is {source_line:?}, expected {keyword}",
                    entry.display()
                );
                if keyword == "env" {
                    for pair in instruction["args"].as_array().unwrap() {
                        assert!(pair.as_str().unwrap().contains('='), "ENV pair {pair}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} instructions checked");
}

#[test]
fn legacy_env_form_normalised() {
    let input = parse(
        "FROM alpine\nENV PATH /usr/local/bin:$PATH\nLABEL a=\"b c\" d=e\n",
        "Dockerfile",
    );
    let items = instructions(&input, 0);
    assert_eq!(
        items[1]["args"],
        serde_json::json!(["PATH=/usr/local/bin:$PATH"])
    );
    assert_eq!(items[2]["args"], serde_json::json!(["a=b c", "d=e"]));
}

#[test]
fn unterminated_heredoc_is_located_error() {
    let err = parse_file(
        Path::new("Dockerfile"),
        "Dockerfile",
        FileKind::Dockerfile,
        b"FROM alpine\nRUN <<EOF\necho hi\n",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("not terminated"), "{err}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("Dockerfile"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
