//! HTTP access to one repository of a registry: authentication, redirects
//! and the mapping of failures to clear messages.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use ureq::Agent;
use ureq::http::{Response, Uri};
use ureq::tls::{RootCerts, TlsConfig};

use super::auth::{Challenge, Credentials, parse_challenges, parse_token_response};
use super::reference::{Reference, is_loopback_host};
use crate::digest::Digest;
use crate::error::ImageError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Maximum wait for the response headers, and for each read of a body.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Registries redirect blob downloads once, to their storage; a few more
/// hops are allowed for proxies in front of them.
const MAX_REDIRECTS: usize = 5;
/// Maximum size of a token endpoint response.
const MAX_TOKEN_RESPONSE_BYTES: u64 = 1 << 20;
/// How much of an error response body is read for its message.
const MAX_ERROR_BODY_BYTES: u64 = 64 << 10;

/// A small document read whole from the registry.
pub(crate) struct Document {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// The `Docker-Content-Digest` header, when the registry sent one.
    pub header_digest: Option<String>,
}

/// The registry and repository of one reference, with the state of its
/// authentication. Shared by the threads that stream layers.
pub(crate) struct Client {
    agent: Agent,
    /// `https`, or `http` for loopback registries with `--insecure`.
    scheme: &'static str,
    reference: Reference,
    /// The reference as the user wrote it, for messages.
    name: String,
    insecure: bool,
    credentials: Option<Credentials>,
    /// The docker config file that credentials were looked up in.
    config_path: Option<PathBuf>,
    /// The current `Authorization` header value for the registry.
    authorization: Mutex<Option<String>>,
}

/// The scheme and authority of a URL, compared to decide where
/// credentials may go.
#[derive(PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    authority: String,
}

fn parse_origin(url: &str) -> Result<Origin, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    let scheme = uri
        .scheme_str()
        .ok_or_else(|| format!("URL {url:?} has no scheme"))?
        .to_ascii_lowercase();
    let authority = uri
        .authority()
        .ok_or_else(|| format!("URL {url:?} has no host"))?
        .as_str()
        .to_ascii_lowercase();
    if authority.contains('@') {
        return Err(format!(
            "URL {url:?} carries user information, which is not allowed"
        ));
    }
    let host = uri.host().unwrap_or_default().to_ascii_lowercase();
    Ok(Origin {
        scheme,
        host,
        authority,
    })
}

/// Resolves a `Location` header against the URL that returned it.
fn resolve_location(base: &str, location: &str) -> Result<String, String> {
    let lower = location.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(location.to_owned());
    }
    let origin = parse_origin(base)?;
    if let Some(rest) = location.strip_prefix("//") {
        return Ok(format!("{}://{rest}", origin.scheme));
    }
    if location.starts_with('/') {
        return Ok(format!(
            "{}://{}{location}",
            origin.scheme, origin.authority
        ));
    }
    let without_query = base.split(['?', '#']).next().unwrap_or(base);
    let directory = without_query
        .rfind('/')
        .filter(|&i| i > origin.scheme.len() + 3)
        .map_or(without_query, |i| &without_query[..=i]);
    if directory.ends_with('/') {
        Ok(format!("{directory}{location}"))
    } else {
        Ok(format!("{directory}/{location}"))
    }
}

fn header<'a>(response: &'a Response<ureq::Body>, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

impl Client {
    /// Prepares a client for `reference`. Plain HTTP is used only when
    /// `insecure` is set, and the caller checks the host is loopback.
    pub(crate) fn new(
        reference: Reference,
        name: &str,
        insecure: bool,
        credentials: Option<Credentials>,
        config_path: Option<PathBuf>,
    ) -> Self {
        // Loopback registries are reached directly, never through a proxy
        // from the environment.
        let proxy = if reference.is_loopback() {
            None
        } else {
            ureq::Proxy::try_from_env()
        };
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .https_only(!insecure)
            .proxy(proxy)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_resolve(Some(CONNECT_TIMEOUT))
            .timeout_send_request(Some(CONNECT_TIMEOUT))
            .timeout_recv_response(Some(READ_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .user_agent(format!("bulwark/{}", env!("CARGO_PKG_VERSION")))
            // TODO: per-registry CA files (docker's /etc/docker/certs.d) are
            // not read, so a private CA must be in the system trust store.
            .tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::PlatformVerifier)
                    .build(),
            )
            .build();
        Self {
            agent: config.into(),
            scheme: if insecure { "http" } else { "https" },
            reference,
            name: name.to_owned(),
            insecure,
            credentials,
            config_path,
            authorization: Mutex::new(None),
        }
    }

    pub(crate) fn error(&self, reason: impl Into<String>) -> ImageError {
        ImageError::Registry {
            reference: self.name.clone(),
            reason: reason.into(),
        }
    }

    fn registry_origin(&self) -> Origin {
        let authority = self.reference.authority().to_ascii_lowercase();
        Origin {
            scheme: self.scheme.to_owned(),
            host: self.reference.host.clone(),
            authority,
        }
    }

    /// Rejects URLs that would send a request in the clear, unless the user
    /// allowed plain HTTP and the host is loopback.
    fn check_scheme(&self, origin: &Origin) -> Result<(), ImageError> {
        match origin.scheme.as_str() {
            "https" => Ok(()),
            "http" if self.insecure && is_loopback_host(&origin.host) => Ok(()),
            "http" => Err(self.error(format!(
                "refusing plain HTTP to {}: --insecure allows it only for loopback hosts \
                 (127.0.0.0/8, ::1, localhost)",
                origin.authority
            ))),
            other => Err(self.error(format!(
                "unsupported URL scheme {other:?} for {}",
                origin.authority
            ))),
        }
    }

    fn current_authorization(&self) -> Option<String> {
        self.authorization
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_authorization(&self, value: String) {
        *self
            .authorization
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value);
    }

    /// Sends a GET for `path` under the registry, authenticating on 401 and
    /// following redirects. `what` names the resource in messages. Returns
    /// only successful responses.
    pub(crate) fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Response<ureq::Body>, ImageError> {
        let registry = self.registry_origin();
        let mut url = format!("{}://{}{path}", registry.scheme, registry.authority);
        let mut authenticated = false;
        let mut redirects = 0;
        loop {
            let origin = parse_origin(&url).map_err(|e| self.error(e))?;
            self.check_scheme(&origin)?;
            // Credentials and tokens go only to the registry itself, never
            // to the storage host that a redirect points at.
            let same_origin = origin == registry;
            let mut request = self.agent.get(&url);
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            if same_origin && let Some(authorization) = self.current_authorization() {
                request = request.header("Authorization", authorization);
            }
            let response = request
                .call()
                .map_err(|e| self.transport_error(&origin, e))?;
            let status = response.status().as_u16();
            if status == 401 && same_origin && !authenticated {
                authenticated = true;
                self.authenticate(&response)?;
                continue;
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(self.error(format!(
                        "too many redirects while fetching {what} (more than {MAX_REDIRECTS})"
                    )));
                }
                let location = header(&response, "location").ok_or_else(|| {
                    self.error(format!(
                        "{} answered {status} for {what} without a Location header",
                        origin.authority
                    ))
                })?;
                url = resolve_location(&url, location).map_err(|e| self.error(e))?;
                // The target URL may carry a signature, so only its host is
                // logged.
                tracing::debug!(from = %origin.authority, status, "following redirect");
                continue;
            }
            if (200..300).contains(&status) {
                return Ok(response);
            }
            return Err(self.status_error(&origin, response, what));
        }
    }

    /// Reads a whole document of at most `limit` bytes.
    pub(crate) fn get_document(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
        limit: u64,
    ) -> Result<Document, ImageError> {
        let response = self.get(path, accept, what)?;
        let content_type = header(&response, "content-type").map(str::to_owned);
        let header_digest = header(&response, "docker-content-digest").map(str::to_owned);
        if let Some(length) = header(&response, "content-length")
            .and_then(|value| value.parse::<u64>().ok())
            .filter(|&length| length > limit)
        {
            return Err(self.error(format!(
                "{what} is {length} bytes, over the limit of {limit} bytes"
            )));
        }
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.error(format!("failed to read {what}: {e}")))?;
        if body.len() as u64 > limit {
            return Err(self.error(format!("{what} is over the limit of {limit} bytes")));
        }
        Ok(Document {
            body,
            content_type,
            header_digest,
        })
    }

    /// Opens a blob as a stream, checking the announced length against
    /// `expected_size` when the registry sends one.
    pub(crate) fn open_blob(
        &self,
        digest: &Digest,
        expected_size: Option<u64>,
    ) -> Result<ureq::BodyReader<'static>, ImageError> {
        let path = format!("/v2/{}/blobs/{digest}", self.reference.path);
        let what = format!("blob {digest}");
        let response = self.get(&path, None, &what)?;
        let length = header(&response, "content-length").and_then(|v| v.parse::<u64>().ok());
        if let (Some(length), Some(expected)) = (length, expected_size)
            && length != expected
        {
            return Err(self.error(format!(
                "{what} is {length} bytes on the registry, but the manifest says {expected}"
            )));
        }
        Ok(response.into_body().into_reader())
    }

    /// Handles a 401 by getting a bearer token or preparing basic auth,
    /// depending on the scheme of the registry's challenge.
    fn authenticate(&self, response: &Response<ureq::Body>) -> Result<(), ImageError> {
        let challenges: Vec<Challenge> = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(parse_challenges)
            .collect();
        if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer") {
            let token = self.fetch_token(bearer)?;
            self.set_authorization(format!("Bearer {token}"));
            return Ok(());
        }
        if challenges.iter().any(|c| c.scheme == "basic") {
            let Some(basic) = self
                .credentials
                .as_ref()
                .and_then(Credentials::basic_header)
            else {
                return Err(self.unauthorized(&self.reference.authority()));
            };
            self.set_authorization(basic);
            return Ok(());
        }
        let schemes: Vec<&str> = challenges.iter().map(|c| c.scheme.as_str()).collect();
        Err(self.error(format!(
            "{} requires authentication with an unsupported scheme ({})",
            self.reference.authority(),
            if schemes.is_empty() {
                "no WWW-Authenticate header".to_owned()
            } else {
                schemes.join(", ")
            }
        )))
    }

    /// Gets a bearer token from the realm of `challenge`, sending the
    /// credentials when there are any.
    fn fetch_token(&self, challenge: &Challenge) -> Result<String, ImageError> {
        let registry = self.reference.authority();
        let realm = challenge.params.get("realm").ok_or_else(|| {
            self.error(format!(
                "{registry} asked for a bearer token without naming a realm"
            ))
        })?;
        let origin = parse_origin(realm)
            .map_err(|e| self.error(format!("invalid token realm from {registry}: {e}")))?;
        self.check_scheme(&origin)?;
        let service = challenge.params.get("service");
        let scopes: Vec<String> = match challenge.params.get("scope") {
            Some(scope) => scope.split(' ').map(str::to_owned).collect(),
            None => vec![format!("repository:{}:pull", self.reference.path)],
        };
        tracing::debug!(realm = %origin.authority, ?scopes, "requesting bearer token");
        let response = self
            .send_token_request(realm, service.map(String::as_str), &scopes)
            .map_err(|e| self.transport_error(&origin, e))?;

        let status = response.status().as_u16();
        if status == 401 || status == 403 {
            return Err(self.unauthorized(&origin.authority));
        }
        if !(200..300).contains(&status) {
            return Err(self.status_error(&origin, response, "token"));
        }
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_TOKEN_RESPONSE_BYTES + 1)
            .read_to_end(&mut body)
            .map_err(|e| {
                self.error(format!(
                    "failed to read token from {}: {e}",
                    origin.authority
                ))
            })?;
        if body.len() as u64 > MAX_TOKEN_RESPONSE_BYTES {
            return Err(self.error(format!(
                "the token response from {} is over the limit of {MAX_TOKEN_RESPONSE_BYTES} bytes",
                origin.authority
            )));
        }
        parse_token_response(&body)
            .map_err(|e| self.error(format!("token endpoint {}: {e}", origin.authority)))
    }

    /// Sends the token request: an OAuth2 refresh-token grant for an
    /// identity token, as the docker CLI does, else a GET with `service`
    /// and `scope` and basic auth when there is a password.
    fn send_token_request(
        &self,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        if let Some(Credentials::IdentityToken(refresh_token)) = &self.credentials {
            let scope = scopes.join(" ");
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("client_id", "bulwark"),
                ("refresh_token", refresh_token.as_str()),
                ("scope", scope.as_str()),
            ];
            if let Some(service) = service {
                form.push(("service", service));
            }
            return self.agent.post(realm).send_form(form);
        }
        let mut request = self.agent.get(realm);
        if let Some(service) = service {
            request = request.query("service", service);
        }
        for scope in scopes {
            request = request.query("scope", scope);
        }
        if let Some(basic) = self
            .credentials
            .as_ref()
            .and_then(Credentials::basic_header)
        {
            request = request.header("Authorization", basic);
        }
        request.call()
    }

    /// Explains a rejected request: which host, and where credentials come
    /// from.
    fn unauthorized(&self, host: &str) -> ImageError {
        let config = match &self.config_path {
            Some(path) => format!("the docker config file {}", path.display()),
            None => "the docker config file (no $DOCKER_CONFIG or $HOME is set)".to_owned(),
        };
        let registry = self.reference.authority();
        match &self.credentials {
            Some(_) => self.error(format!(
                "unauthorized: {host} rejected the credentials for {registry} from {config}"
            )),
            None => self.error(format!(
                "unauthorized: {host} requires credentials, and {config} has none for \
                 {registry}; log in with `docker login {registry}` or point DOCKER_CONFIG \
                 at a config that has them"
            )),
        }
    }

    fn status_error(
        &self,
        origin: &Origin,
        response: Response<ureq::Body>,
        what: &str,
    ) -> ImageError {
        let status = response.status().as_u16();
        if status == 401 {
            return self.unauthorized(&origin.authority);
        }
        let detail = error_detail(response);
        let host = &origin.authority;
        let reason = match status {
            403 => format!("access denied: {host} refused {what} (HTTP 403){detail}"),
            404 => format!("{what} not found on {host} (HTTP 404){detail}"),
            429 => format!("{host} is rate limiting requests (HTTP 429){detail}; try again later"),
            _ => format!("{host} answered HTTP {status} for {what}{detail}"),
        };
        self.error(reason)
    }

    fn transport_error(&self, origin: &Origin, error: ureq::Error) -> ImageError {
        let host = &origin.authority;
        let reason = match &error {
            ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => format!(
                "connection refused by {host}; check that the registry is running and the port is right"
            ),
            ureq::Error::ConnectionFailed => format!("failed to connect to {host}"),
            ureq::Error::HostNotFound => format!("host {host} not found"),
            ureq::Error::Timeout(timeout) => format!("timed out talking to {host} ({timeout})"),
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) => self.tls_reason(origin, &error),
            ureq::Error::Io(e) if is_tls_io_error(e) => self.tls_reason(origin, &error),
            ureq::Error::RequireHttpsOnly(_) => format!(
                "refusing plain HTTP to {host}: --insecure allows it only for loopback hosts"
            ),
            _ => format!("request to {host} failed: {error}"),
        };
        self.error(reason)
    }

    fn tls_reason(&self, origin: &Origin, error: &ureq::Error) -> String {
        let mut reason = format!("TLS connection to {} failed: {error}", origin.authority);
        if origin.scheme == "https" && is_loopback_host(&origin.host) {
            reason.push_str("; if this loopback registry serves plain HTTP, pass --insecure");
        }
        reason
    }
}

/// Returns whether an I/O error carries a TLS failure: rustls reports
/// protocol and certificate errors as `InvalidData`.
fn is_tls_io_error(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::InvalidData
}

/// Reads the registry's error codes from an error response, as
/// `: CODE message; CODE message`.
fn error_detail(response: Response<ureq::Body>) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let mut body = Vec::new();
    let _ = response
        .into_body()
        .into_reader()
        .take(MAX_ERROR_BODY_BYTES)
        .read_to_end(&mut body);
    let Ok(parsed) = serde_json::from_slice::<Errors>(&body) else {
        return String::new();
    };
    let parts: Vec<String> = parsed
        .errors
        .iter()
        .take(3)
        .map(|e| {
            let text = format!("{} {}", e.code, e.message);
            text.trim().chars().take(200).collect()
        })
        .filter(|text: &String| !text.is_empty())
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_resolves_against_base() {
        let base = "http://127.0.0.1:5000/v2/bins/blobs/sha256:aa?x=1";
        assert_eq!(
            resolve_location(base, "https://storage.example/b?sig=1").unwrap(),
            "https://storage.example/b?sig=1"
        );
        assert_eq!(
            resolve_location(base, "//other.example/b").unwrap(),
            "http://other.example/b"
        );
        assert_eq!(
            resolve_location(base, "/v2/x").unwrap(),
            "http://127.0.0.1:5000/v2/x"
        );
        assert_eq!(
            resolve_location(base, "other").unwrap(),
            "http://127.0.0.1:5000/v2/bins/blobs/other"
        );
    }

    #[test]
    fn origin_compares_scheme_and_authority() {
        let a = parse_origin("https://Registry.Example:443/v2/").unwrap();
        let b = parse_origin("https://registry.example:443/other").unwrap();
        let c = parse_origin("https://storage.example/").unwrap();
        let d = parse_origin("http://registry.example:443/").unwrap();
        assert!(a == b);
        assert!(a != c);
        assert!(a != d);
        assert!(parse_origin("https://user:pw@registry.example/").is_err());
        assert_eq!(parse_origin("http://[::1]:5000/").unwrap().host, "[::1]");
    }
}
