//! Evaluates every built-in check on the real-world configuration corpus
//! (official-image Dockerfiles, Kubernetes examples, ingress-nginx,
//! Terraform AWS modules, awesome-compose): no check may raise an error, and
//! a few well-known facts about these files must be reported.

mod common;

#[test]
fn realworld_corpus_evaluates_cleanly() {
    let Some(root) = common::corpus("config/realworld") else {
        return;
    };
    let tree = bulwark_iac::scan_tree(&root);
    let files: Vec<_> = tree.results.into_iter().filter_map(Result::ok).collect();
    assert!(files.len() > 400, "only {} files parsed", files.len());

    let results = common::policies().evaluate_all(&files);
    let errors: Vec<&String> = results.iter().flat_map(|r| &r.errors).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let has = |path_part: &str, rule: &str| {
        files.iter().zip(&results).any(|(file, result)| {
            file.path.contains(path_part) && result.findings.iter().any(|f| f.rule_id == rule)
        })
    };
    // The official python images never switch away from root.
    assert!(has("dockerfiles/python/", "misconfig-dockerfile-root-user"));
    // The ingress-nginx controller's ClusterRole lists and watches secrets.
    assert!(has("ingress-nginx/", "misconfig-k8s-rbac-secrets-read"));
    // Every finding has a line inside its file.
    for result in &results {
        for finding in &result.findings {
            assert!(finding.line > 0, "{finding:?}");
        }
    }
}
