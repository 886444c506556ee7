//! `bulwark rules`: the catalogue of built-in secret and misconfiguration
//! rules, one list with ids prefixed by kind.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use anyhow::bail;
use serde::Serialize;

use crate::EXIT_OK;

#[derive(clap::Args)]
pub(crate) struct RulesArgs {
    #[command(subcommand)]
    command: RulesCommand,
}

#[derive(clap::Subcommand)]
enum RulesCommand {
    /// List the rules: id, kind, severity and title.
    List(ListArgs),
    /// Describe one rule: what it finds, why it matters and how to fix it.
    Explain(ExplainArgs),
}

#[derive(clap::Args)]
struct ListArgs {
    /// Only rules of this kind: secret or misconfig.
    #[arg(long)]
    kind: Option<String>,

    /// Output format: table or json.
    #[arg(short, long, default_value = "table")]
    format: String,

    /// Also list the checks of these Rego policy directories.
    #[arg(long, value_name = "DIR")]
    policy: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// Rule id, such as secret-aws-access-key-id or
    /// misconfig-dockerfile-root-user.
    id: String,

    /// Also look in these Rego policy directories.
    #[arg(long, value_name = "DIR")]
    policy: Vec<PathBuf>,
}

/// One catalogue entry, for listing and explaining.
#[derive(Debug, Clone, Serialize)]
struct RuleEntry {
    id: String,
    kind: &'static str,
    severity: String,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    remediation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    frameworks: Vec<String>,
}

/// Collects the secret rules and the misconfiguration checks, sorted by id.
fn catalogue(policy_dirs: &[PathBuf]) -> anyhow::Result<Vec<RuleEntry>> {
    let mut entries: Vec<RuleEntry> = bulwark_secrets::catalogue()
        .into_iter()
        .map(|rule| RuleEntry {
            id: rule.id,
            kind: "secret",
            severity: rule.severity.as_str().to_ascii_lowercase(),
            title: rule.title,
            description: rule.description,
            remediation: String::new(),
            references: Vec::new(),
            inputs: Vec::new(),
            keywords: rule.keywords,
            frameworks: Vec::new(),
        })
        .collect();
    let policies = crate::misconfig::load_policies(policy_dirs)?;
    entries.extend(policies.catalogue().into_iter().map(|check| {
        RuleEntry {
            id: check.id,
            kind: "misconfig",
            severity: check.severity.as_str().to_ascii_lowercase(),
            title: check.title,
            description: check.description,
            remediation: check.remediation,
            references: check.references,
            inputs: check.inputs,
            keywords: Vec::new(),
            frameworks: check
                .frameworks
                .into_iter()
                .map(|(framework, controls)| format!("{framework}: {}", controls.join(", ")))
                .collect(),
        }
    }));
    entries.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(entries)
}

pub(crate) fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    let text = match &args.command {
        RulesCommand::List(list) => list_rules(list)?,
        RulesCommand::Explain(explain) => explain_rule(explain)?,
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(EXIT_OK)
}

fn list_rules(args: &ListArgs) -> anyhow::Result<String> {
    if let Some(kind) = &args.kind
        && !matches!(kind.as_str(), "secret" | "misconfig")
    {
        bail!("unknown rule kind {kind:?}: expected secret or misconfig");
    }
    let entries: Vec<RuleEntry> = catalogue(&args.policy)?
        .into_iter()
        .filter(|entry| args.kind.as_deref().is_none_or(|kind| entry.kind == kind))
        .collect();
    match args.format.as_str() {
        "json" => {
            let mut text = serde_json::to_string_pretty(&entries)?;
            text.push('\n');
            Ok(text)
        }
        "table" => {
            let id_width = entries.iter().map(|e| e.id.len()).max().unwrap_or(2).max(2);
            let mut text = format!(
                "{:<id_width$}  {:<9}  {:<8}  TITLE\n",
                "ID", "KIND", "SEVERITY"
            );
            for entry in &entries {
                let _ = writeln!(
                    text,
                    "{:<id_width$}  {:<9}  {:<8}  {}",
                    entry.id, entry.kind, entry.severity, entry.title
                );
            }
            let secrets = entries.iter().filter(|e| e.kind == "secret").count();
            let _ = writeln!(
                text,
                "\n{} rules: {secrets} secret, {} misconfig",
                entries.len(),
                entries.len() - secrets
            );
            Ok(text)
        }
        other => bail!("unknown format {other:?}: expected table or json"),
    }
}

fn explain_rule(args: &ExplainArgs) -> anyhow::Result<String> {
    let entries = catalogue(&args.policy)?;
    let wanted = args.id.trim();
    let Some(entry) = entries
        .iter()
        .find(|entry| entry.id.eq_ignore_ascii_case(wanted))
    else {
        let close: Vec<&str> = entries
            .iter()
            .filter(|entry| entry.id.contains(wanted) || wanted.contains(entry.id.as_str()))
            .take(5)
            .map(|entry| entry.id.as_str())
            .collect();
        if close.is_empty() {
            bail!("no rule with id {wanted:?}; `bulwark rules list` lists them");
        }
        bail!(
            "no rule with id {wanted:?}; similar ids: {}",
            close.join(", ")
        );
    };
    let mut text = format!(
        "{}\n  kind: {}\n  severity: {}\n  title: {}\n\n{}\n",
        entry.id,
        entry.kind,
        entry.severity,
        entry.title,
        entry.description.trim()
    );
    if !entry.remediation.is_empty() {
        let _ = write!(text, "\nRemediation: {}\n", entry.remediation.trim());
    }
    if !entry.inputs.is_empty() {
        let _ = write!(text, "\nApplies to: {}\n", entry.inputs.join(", "));
    }
    if !entry.keywords.is_empty() {
        let _ = write!(text, "\nKeywords: {}\n", entry.keywords.join(", "));
    }
    if !entry.frameworks.is_empty() {
        let _ = write!(text, "\nFrameworks:\n");
        for framework in &entry.frameworks {
            let _ = writeln!(text, "  {framework}");
        }
    }
    if !entry.references.is_empty() {
        let _ = write!(text, "\nReferences:\n");
        for reference in &entry.references {
            let _ = writeln!(text, "  {reference}");
        }
    }
    Ok(text)
}
