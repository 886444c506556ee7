//! Registry credentials from the docker config file, credential helpers,
//! and `WWW-Authenticate` challenges.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

/// Key of Docker Hub in docker config files and credential helpers.
const DOCKER_HUB_SERVER: &str = "https://index.docker.io/v1/";

/// Maximum size of a docker config file or credential helper output.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// How long a credential helper may run before it is killed. Helpers that
/// unlock a keychain can wait for the user, so this is generous.
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);

/// Credentials for one registry. `Debug` never shows the secrets.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// User name and password, sent as HTTP basic auth.
    Basic { username: String, password: String },
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token
    /// endpoint for an access token.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Self::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

impl Credentials {
    /// Returns the `Authorization` header value for basic auth, if these
    /// are a user name and password.
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Self::Basic { username, password } => Some(format!(
                "Basic {}",
                STANDARD.encode(format!("{username}:{password}"))
            )),
            Self::IdentityToken(_) => None,
        }
    }
}

/// The parts of a docker `config.json` that hold registry credentials.
/// It has no `Debug` so that the secrets cannot end up in a log.
#[derive(Default, Deserialize)]
pub(crate) struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(rename = "credsStore", default)]
    creds_store: Option<String>,
    #[serde(rename = "credHelpers", default)]
    cred_helpers: BTreeMap<String, String>,
    /// Path the file was read from, for messages.
    #[serde(skip)]
    pub path: PathBuf,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// Returns the docker config file to read: `explicit` when given, else
/// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
pub(crate) fn docker_config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

impl DockerConfig {
    /// Reads the docker config file at `path`. A missing file is an empty
    /// config unless `required` is set.
    pub(crate) fn load(path: &Path, required: bool) -> Result<Self, String> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                return Ok(Self {
                    path: path.to_owned(),
                    ..Self::default()
                });
            }
            Err(e) => return Err(format!("failed to read {}: {e}", path.display())),
        };
        let mut data = Vec::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("failed to read {}: {e}", path.display()))?;
        if data.len() as u64 > MAX_CONFIG_BYTES {
            return Err(format!(
                "{} is over the limit of {MAX_CONFIG_BYTES} bytes",
                path.display()
            ));
        }
        let mut config: Self = serde_json::from_slice(&data)
            .map_err(|e| format!("invalid docker config file {}: {e}", path.display()))?;
        config.path = path.to_owned();
        Ok(config)
    }

    /// Finds credentials for `registry` (`host[:port]`, or the Docker Hub
    /// server key), asking a credential helper first when one is set up.
    /// `search_path` is the `PATH` value used to find helpers.
    pub(crate) fn credentials_for(
        &self,
        registry: &str,
        search_path: Option<&OsStr>,
    ) -> Result<Option<Credentials>, String> {
        let keys = lookup_keys(registry);
        let helper = self
            .cred_helpers
            .iter()
            .find(|(key, _)| keys.contains(&normalize_key(key)))
            .map(|(_, helper)| helper)
            .or(self.creds_store.as_ref())
            .filter(|helper| !helper.is_empty());
        if let Some(helper) = helper {
            match run_helper(helper, &server_key(registry), search_path) {
                HelperResult::Found(credentials) => return Ok(Some(credentials)),
                HelperResult::NotFound => {}
                HelperResult::Unavailable(reason) => {
                    tracing::warn!(
                        helper = %helper,
                        registry,
                        %reason,
                        "credential helper unavailable; using the auths section of the docker config file"
                    );
                }
            }
        }
        let Some(entry) = self
            .auths
            .iter()
            .find(|(key, _)| keys.contains(&normalize_key(key)))
            .map(|(_, entry)| entry)
        else {
            return Ok(None);
        };
        entry.credentials().map_err(|reason| {
            format!(
                "invalid credentials for {registry} in {}: {reason}",
                self.path.display()
            )
        })
    }
}

impl AuthEntry {
    fn credentials(&self) -> Result<Option<Credentials>, String> {
        if let Some(token) = self.identitytoken.as_ref().filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials::IdentityToken(token.clone())));
        }
        if let Some(auth) = self.auth.as_ref().filter(|a| !a.is_empty()) {
            let decoded = STANDARD
                .decode(auth.trim())
                .map_err(|_| "\"auth\" is not valid base64".to_owned())?;
            let text = String::from_utf8(decoded)
                .map_err(|_| "\"auth\" does not decode to UTF-8 text".to_owned())?;
            let Some((username, password)) = text.split_once(':') else {
                return Err("\"auth\" does not decode to user:password".into());
            };
            return Ok(Some(Credentials::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            }));
        }
        match (&self.username, &self.password) {
            (Some(username), Some(password)) if !username.is_empty() => {
                Ok(Some(Credentials::Basic {
                    username: username.clone(),
                    password: password.clone(),
                }))
            }
            _ => Ok(None),
        }
    }
}

/// Reduces a config key such as `https://host:5000/v2/` to `host:5000`.
fn normalize_key(key: &str) -> String {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = without_scheme.split('/').next().unwrap_or_default();
    host.to_ascii_lowercase()
}

/// Returns the normalized keys under which a registry's credentials may
/// be stored.
fn lookup_keys(registry: &str) -> Vec<String> {
    let key = normalize_key(registry);
    if is_docker_hub(&key) {
        ["index.docker.io", "docker.io", "registry-1.docker.io"]
            .map(str::to_owned)
            .to_vec()
    } else {
        vec![key]
    }
}

fn is_docker_hub(key: &str) -> bool {
    matches!(
        key,
        "index.docker.io" | "docker.io" | "registry-1.docker.io"
    )
}

/// Returns the server name handed to credential helpers: the Docker Hub
/// key for Docker Hub, else `host[:port]`.
fn server_key(registry: &str) -> String {
    if is_docker_hub(&normalize_key(registry)) {
        DOCKER_HUB_SERVER.to_owned()
    } else {
        registry.to_owned()
    }
}

enum HelperResult {
    Found(Credentials),
    /// The helper has no credentials for this registry.
    NotFound,
    /// The helper is missing or failed.
    Unavailable(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperOutput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    secret: String,
}

/// Runs `docker-credential-<helper> get` with `server` on standard input,
/// if the program is found on `search_path`.
fn run_helper(helper: &str, server: &str, search_path: Option<&OsStr>) -> HelperResult {
    let valid_name = helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_name {
        return HelperResult::Unavailable(format!("invalid helper name {helper:?}"));
    }
    let program = format!("docker-credential-{helper}");
    let Some(executable) = find_executable(&program, search_path) else {
        return HelperResult::Unavailable(format!("{program} is not on PATH"));
    };
    let (status, out, err) = match run_with_timeout(&executable, server) {
        Ok(output) => output,
        Err(reason) => return HelperResult::Unavailable(format!("{program}: {reason}")),
    };

    if !status.success() {
        // Helpers print their error on standard output or standard error.
        // Only its first line is kept, in case the output has more in it.
        let text = String::from_utf8_lossy(if out.is_empty() { &err } else { &out }).into_owned();
        let message: String = text
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        if message.contains("credentials not found") {
            return HelperResult::NotFound;
        }
        return HelperResult::Unavailable(format!("{program} failed ({status}): {message}"));
    }
    let output: HelperOutput = match serde_json::from_slice(&out) {
        Ok(output) => output,
        Err(e) => return HelperResult::Unavailable(format!("invalid output from {program}: {e}")),
    };
    if output.secret.is_empty() {
        return HelperResult::NotFound;
    }
    // Helpers store identity tokens under the user name "<token>".
    if output.username == "<token>" {
        return HelperResult::Found(Credentials::IdentityToken(output.secret));
    }
    HelperResult::Found(Credentials::Basic {
        username: output.username,
        password: output.secret,
    })
}

/// Runs `executable get` with `input` on standard input, and kills it if it
/// runs longer than `HELPER_TIMEOUT`. Returns its exit status, standard
/// output and standard error.
fn run_with_timeout(
    executable: &Path,
    input: &str,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    let mut child = Command::new(executable)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("failed to run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading its input is judged by its
        // exit status, so a failed write is not an error here.
        let _ = stdin.write_all(input.as_bytes());
    }

    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut err = Vec::new();
        if let Some(stdout) = stdout.as_mut() {
            let _ = stdout.take(MAX_CONFIG_BYTES).read_to_end(&mut out);
        }
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.take(64 << 10).read_to_end(&mut err);
        }
        let _ = sender.send((out, err));
    });
    let Ok((out, err)) = receiver.recv_timeout(HELPER_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "timed out after {} seconds",
            HELPER_TIMEOUT.as_secs()
        ));
    };
    let status = child
        .wait()
        .map_err(|e| format!("failed to wait for exit: {e}"))?;
    Ok((status, out, err))
}

fn find_executable(program: &str, search_path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let search_path: OsString = search_path
        .map(OsStr::to_owned)
        .or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&search_path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// One challenge from a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// Scheme in lowercase, such as `bearer` or `basic`.
    pub scheme: String,
    /// Parameters with lowercase names.
    pub params: BTreeMap<String, String>,
}

/// Parses the challenges of one `WWW-Authenticate` header value, such as
/// `Bearer realm="https://auth.example/token",service="registry"`.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches([',', ' ', '\t']);
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        let after = rest[token_end..].trim_start_matches([' ', '\t']);
        if token.is_empty() {
            break;
        }
        if let Some(value_text) = after.strip_prefix('=') {
            let (value, remaining) = parse_param_value(value_text.trim_start());
            if let Some(challenge) = challenges.last_mut() {
                challenge.params.insert(token.to_ascii_lowercase(), value);
            }
            rest = remaining;
        } else {
            challenges.push(Challenge {
                scheme: token.to_ascii_lowercase(),
                params: BTreeMap::new(),
            });
            rest = after;
        }
    }
    challenges
}

/// Reads a quoted string with `\` escapes or a plain token, returning it
/// and the text after it.
fn parse_param_value(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return (value, &quoted[i + 1..]),
                _ => value.push(c),
            }
        }
        return (value, "");
    }
    let end = text.find(',').unwrap_or(text.len());
    (text[..end].trim().to_owned(), &text[end..])
}

/// The body of a token endpoint response.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Reads the bearer token from a token endpoint response: `token`, or the
/// OAuth2 `access_token`.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<String, String> {
    let response: TokenResponse =
        serde_json::from_slice(body).map_err(|e| format!("invalid token response: {e}"))?;
    response
        .token
        .filter(|t| !t.is_empty())
        .or(response.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| "the token response has neither \"token\" nor \"access_token\"".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_config(json: &str) -> DockerConfig {
        serde_json::from_str(json).expect("valid config")
    }

    #[test]
    fn challenge_bearer_params_parse() {
        let challenges = parse_challenges(
            r#"Bearer realm="http://127.0.0.1:1/token",service="reg, one",scope="repository:a/b:pull""#,
        );
        assert_eq!(challenges.len(), 1);
        let challenge = &challenges[0];
        assert_eq!(challenge.scheme, "bearer");
        assert_eq!(challenge.params["realm"], "http://127.0.0.1:1/token");
        assert_eq!(challenge.params["service"], "reg, one");
        assert_eq!(challenge.params["scope"], "repository:a/b:pull");
    }

    #[test]
    fn challenge_several_schemes_and_escapes() {
        let challenges = parse_challenges(r#"Basic realm="a \"q\" b", Bearer realm=x,service=y"#);
        assert_eq!(challenges.len(), 2);
        assert_eq!(challenges[0].scheme, "basic");
        assert_eq!(challenges[0].params["realm"], r#"a "q" b"#);
        assert_eq!(challenges[1].scheme, "bearer");
        assert_eq!(challenges[1].params["realm"], "x");
        assert_eq!(challenges[1].params["service"], "y");
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("Basic")[0].scheme, "basic");
    }

    #[test]
    fn token_response_reads_either_field() {
        assert_eq!(parse_token_response(br#"{"token":"t1"}"#).unwrap(), "t1");
        assert_eq!(
            parse_token_response(br#"{"access_token":"t2","expires_in":60}"#).unwrap(),
            "t2"
        );
        assert!(parse_token_response(br#"{"token":""}"#).is_err());
        assert!(parse_token_response(b"not json").is_err());
    }

    #[test]
    fn auths_entry_decodes_base64_and_plain_fields() {
        let config = parse_config(
            r#"{"auths":{
                "https://127.0.0.1:5000/v2/":{"auth":"dXNlcjpwYTpzcw=="},
                "other.example":{"username":"u2","password":"p2"},
                "tokens.example":{"identitytoken":"refresh"},
                "https://index.docker.io/v1/":{"auth":"aHViOnNlY3JldA=="}
            }}"#,
        );
        let empty = Some(OsStr::new(""));
        assert_eq!(
            config.credentials_for("127.0.0.1:5000", empty).unwrap(),
            Some(Credentials::Basic {
                username: "user".into(),
                password: "pa:ss".into()
            })
        );
        assert_eq!(
            config.credentials_for("other.example", empty).unwrap(),
            Some(Credentials::Basic {
                username: "u2".into(),
                password: "p2".into()
            })
        );
        assert_eq!(
            config.credentials_for("tokens.example", empty).unwrap(),
            Some(Credentials::IdentityToken("refresh".into()))
        );
        assert_eq!(
            config
                .credentials_for("registry-1.docker.io", empty)
                .unwrap(),
            Some(Credentials::Basic {
                username: "hub".into(),
                password: "secret".into()
            })
        );
        assert_eq!(
            config.credentials_for("127.0.0.1:5001", empty).unwrap(),
            None
        );
    }

    #[test]
    fn invalid_auth_field_names_registry() {
        let config = parse_config(r#"{"auths":{"reg.example":{"auth":"%%%"}}}"#);
        let error = config.credentials_for("reg.example", None).unwrap_err();
        assert!(error.contains("reg.example"), "{error}");
        assert!(error.contains("base64"), "{error}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let credentials = Credentials::Basic {
            username: "user".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{credentials:?}").contains("hunter2"));
        let token = Credentials::IdentityToken("refresh-secret".into());
        assert!(!format!("{token:?}").contains("refresh-secret"));
    }

    /// Serializes the tests that write and run helper scripts: a script
    /// being written while another test forks a child cannot be executed
    /// ("text file busy"), which made these tests flaky.
    static HELPER_SCRIPTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn write_helper(dir: &Path, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn credential_helper_on_path_is_used() {
        let _serial = HELPER_SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        // The helper echoes the server it was asked about into the password,
        // which proves that the host went to its standard input.
        write_helper(
            dir.path(),
            "bulwarktest",
            "#!/bin/sh\n[ \"$1\" = get ] || exit 3\nread server\n\
             printf '{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"for-%s\"}' \"$server\" \"$server\"\n",
        );
        let config = parse_config(
            r#"{"auths":{"reg.example:5000":{"auth":"dXNlcjpwYXNz"}},
                "credHelpers":{"reg.example:5000":"bulwarktest"}}"#,
        );
        let search_path = dir.path().as_os_str();
        assert_eq!(
            config
                .credentials_for("reg.example:5000", Some(search_path))
                .unwrap(),
            Some(Credentials::Basic {
                username: "helper-user".into(),
                password: "for-reg.example:5000".into()
            })
        );
    }

    #[test]
    fn credential_helper_token_and_not_found() {
        let _serial = HELPER_SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        write_helper(
            dir.path(),
            "tokens",
            "#!/bin/sh\nread server\ncase \"$server\" in\n\
             https://index.docker.io/v1/) echo '{\"Username\":\"<token>\",\"Secret\":\"idt\"}';;\n\
             *) echo 'credentials not found in native keychain'; exit 1;;\nesac\n",
        );
        let config = parse_config(r#"{"credsStore":"tokens"}"#);
        let search_path = Some(dir.path().as_os_str());
        assert_eq!(
            config
                .credentials_for("registry-1.docker.io", search_path)
                .unwrap(),
            Some(Credentials::IdentityToken("idt".into()))
        );
        assert_eq!(
            config.credentials_for("reg.example", search_path).unwrap(),
            None
        );
    }

    #[test]
    fn missing_helper_falls_back_to_auths() {
        let _serial = HELPER_SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let config = parse_config(
            r#"{"auths":{"reg.example":{"auth":"dXNlcjpwYXNz"}},"credsStore":"absent"}"#,
        );
        assert_eq!(
            config
                .credentials_for("reg.example", Some(dir.path().as_os_str()))
                .unwrap(),
            Some(Credentials::Basic {
                username: "user".into(),
                password: "pass".into()
            })
        );
        let config = parse_config(r#"{"credsStore":"../evil"}"#);
        assert_eq!(config.credentials_for("reg.example", None).unwrap(), None);
    }

    #[test]
    fn missing_config_file_is_empty_unless_required() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert!(DockerConfig::load(&path, false).is_ok());
        let error = DockerConfig::load(&path, true).err().unwrap();
        assert!(error.contains("config.json"), "{error}");
        std::fs::write(&path, "{not json").unwrap();
        let error = DockerConfig::load(&path, false).err().unwrap();
        assert!(error.contains("invalid docker config file"), "{error}");
    }
}
