//! Built-in allow-lists: placeholder values and paths of third-party test
//! fixtures that ship example keys.

/// Path globs whose files are not scanned unless the config turns the
/// built-in path allow-list off. Each entry covers example keys of a
/// toolchain or package, not secrets of the image's owner.
pub(crate) const BUILTIN_ALLOW_PATHS: &[(&str, &str)] = &[
    (
        "**/usr/share/doc/**",
        "Debian and RPM package documentation, whose example configs carry sample credentials",
    ),
    (
        "**/usr/lib/go-*/src/**",
        "Go standard library sources of Debian's golang packages (crypto/tls and crypto/x509 tests embed private keys)",
    ),
    (
        "**/usr/share/go-*/src/**",
        "Go standard library sources of Debian's golang-*-src packages",
    ),
    (
        "**/usr/local/go/src/**",
        "Go standard library sources of the official Go images",
    ),
    (
        "**/pkg/mod/**/testdata/**",
        "test fixtures of third-party Go modules in a Go module cache",
    ),
    (
        "**/vendor/**/testdata/**",
        "test fixtures of vendored third-party Go packages",
    ),
    (
        "**/lib/python3*/test/**",
        "CPython's own test suite (libpython3.X-testsuite), which ships test certificates and keys",
    ),
    (
        "**/{site,dist}-packages/*/{test,tests}/**",
        "test suites bundled inside installed Python packages",
    ),
    (
        "**/node_modules/**/{test,tests,fixtures}/**",
        "test fixtures bundled inside installed npm packages",
    ),
    (
        "**/gems/*/{test,spec}/**",
        "test suites bundled inside installed Ruby gems",
    ),
];

/// Case-insensitive substrings that mark a value as a placeholder. A
/// match whose secret contains one of them is dropped.
pub(crate) const BUILTIN_STOP_WORDS: &[&str] = &[
    "example",
    "placeholder",
    "changeme",
    "change_me",
    "change-me",
    "dummy",
    "redacted",
    "sample",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "yourpassword",
    "insert_",
    "replace_me",
    "replaceme",
    "xxxxxx",
    "******",
    "0123456789",
    "1234567890",
    "abcdefghij",
];

/// Whole values (compared case-insensitively, after stripping trailing
/// digits) that are test or default words rather than secrets.
const PLACEHOLDER_WORDS: &[&str] = &[
    "test",
    "testing",
    "password",
    "passw0rd",
    "pass",
    "passwd",
    "secret",
    "token",
    "admin",
    "root",
    "user",
    "guest",
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "default",
    "foo",
    "bar",
    "foobar",
    "demo",
    "mysecret",
    "mypassword",
    "secretpassword",
];

/// Reports whether `secret` is an obvious placeholder: a template
/// reference (`${VAR}`, `{{ .x }}`, `<your-token>`, `%(x)s`), a run of one
/// character, or a well-known test word such as `changeme` or `test123`.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    let Some((&first, _)) = secret.split_first() else {
        return true;
    };
    if secret.iter().all(|&b| b == first) {
        return true;
    }
    if is_variable_reference(secret)
        || matches!(first, b'<' | b'%' | b'{')
        || secret.starts_with(b"#{")
        || secret.windows(2).any(|w| w == b"${" || w == b"{{")
    {
        return true;
    }
    let trimmed = secret
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(&secret[..0], |end| &secret[..=end]);
    PLACEHOLDER_WORDS
        .iter()
        .any(|word| trimmed.eq_ignore_ascii_case(word.as_bytes()))
}

/// Reports whether `secret` is a shell-style variable reference such as
/// `$TOKEN`, `${TOKEN}` or `$(cat /run/secrets/x)`. Crypt hashes like
/// `$6$salt$hash` are not.
fn is_variable_reference(secret: &[u8]) -> bool {
    match secret {
        [b'$', b'{' | b'(', ..] => true,
        [b'$', first, rest @ ..] => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for value in [
            "${DB_PASSWORD}",
            "$TOKEN",
            "<your-token>",
            "{{ .Values.password }}",
            "%(password)s",
            "xxxxxxxxxxxx",
            "************",
            "test123",
            "Password1",
            "",
        ] {
            assert!(is_placeholder(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn random_values_are_not_placeholders() {
        for value in [
            "Vmbr2zetd7yeQKGDDiKLVnpkKI0",
            "hunter2x",
            "ghp_abc",
            "s3cr3t-Value",
            "$6$salt1234$hashvalue",
        ] {
            assert!(!is_placeholder(value.as_bytes()), "{value}");
        }
    }
}
