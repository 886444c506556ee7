//! Sanity of the built-in catalogue: every check loads and has complete
//! metadata.

use bulwark_policy::{INPUT_KINDS, PolicySet};

#[test]
fn builtin_checks_load() {
    let set = PolicySet::builtin().unwrap_or_else(|err| panic!("{err}"));
    assert!(set.load_errors().is_empty(), "{:?}", set.load_errors());
    assert!(
        set.catalogue().len() >= 80,
        "only {} checks",
        set.catalogue().len()
    );
}

#[test]
fn builtin_metadata_complete() {
    let set = PolicySet::builtin().unwrap();
    for check in set.catalogue() {
        assert!(check.id.starts_with("misconfig-"), "{}", check.id);
        assert!(!check.title.is_empty(), "{} has no title", check.id);
        assert!(
            !check.description.is_empty(),
            "{} has no description",
            check.id
        );
        assert!(
            !check.remediation.is_empty(),
            "{} has no remediation",
            check.id
        );
        assert!(
            check.references.iter().any(|r| r.starts_with("https://")),
            "{} has no reference URL",
            check.id
        );
        for kind in &check.inputs {
            assert!(INPUT_KINDS.contains(&kind.as_str()), "{}: {kind}", check.id);
        }
    }
}
