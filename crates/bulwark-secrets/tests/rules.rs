//! Every built-in rule fires on a sample generated from its documented
//! token format and stays silent on a placeholder or wrong-length variant.
//! The samples are built by a seeded pseudo-random generator, so no live
//! credential is stored in the repository.

use std::collections::{BTreeSet, HashSet};

use bulwark_secrets::{Scanner, SecretConfig, catalogue};

/// Template language: `{K:N}` expands to N random characters of kind K.
/// Kinds: `a` [A-Za-z0-9], `A` [A-Z0-9], `L` [A-Za-z], `l` [a-z0-9],
/// `h` lowercase hex, `d` digits, `b` base64 [A-Za-z0-9+/], `u` base64url
/// [A-Za-z0-9_-], `B` uppercase Bech32, `P` N lines of 64 base64 characters
/// each followed by a newline.
const SAMPLES: &[(&str, &str, &str)] = &[
    ("secret-aws-access-key-id", "AKIA{A:16}", "AKIA{A:12}"),
    (
        "secret-aws-secret-access-key",
        "aws_secret_access_key = {b:40}",
        "aws_secret_access_key = {b:30}",
    ),
    (
        "secret-aws-session-token",
        "aws_session_token = {b:200}",
        "aws_session_token = {b:50}",
    ),
    (
        "secret-aws-mws-auth-token",
        "amzn.mws.{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
        "amzn.mws.{h:8}-{h:4}",
    ),
    (
        "secret-gcp-service-account-key",
        r#"{"type": "service_account", "project_id": "proj", "private_key": "-----BEGIN PRIVATE KEY-----\n{b:64}\n{b:64}\n-----END PRIVATE KEY-----\n", "client_email": "svc@proj.iam.gserviceaccount.com"}"#,
        r#"{"type": "service_account", "project_id": "proj", "private_key": "", "client_email": "svc@proj.iam.gserviceaccount.com"}"#,
    ),
    ("secret-gcp-api-key", "AIza{a:35}", "AIza{a:20}"),
    (
        "secret-gcp-oauth-client-secret",
        "GOCSPX-{a:28}",
        "GOCSPX-{a:12}",
    ),
    (
        "secret-google-oauth-access-token",
        "ya29.{u:80}",
        "ya29.{a:20}",
    ),
    (
        "secret-firebase-cloud-messaging-key",
        "AAAA{a:7}:APA91b{u:134}",
        "AAAA{a:7}:APA91b{a:30}",
    ),
    (
        "secret-azure-storage-connection-string",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={b:86}==;EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={b:40}==",
    ),
    (
        "secret-azure-storage-account-key",
        "AZURE_STORAGE_KEY={b:86}==",
        "AZURE_STORAGE_KEY={b:60}==",
    ),
    (
        "secret-azure-ad-client-secret",
        "client_secret: {a:3}8Q~{a:34}",
        "client_secret: {a:3}8Q~{a:10}",
    ),
    (
        "secret-azure-sas-token",
        "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig={b:43}%3D",
        "https://acct.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig={b:10}",
    ),
    ("secret-github-pat", "ghp_{a:36}", "ghp_{a:30}"),
    (
        "secret-github-fine-grained-pat",
        "github_pat_{a:22}_{a:59}",
        "github_pat_{a:22}_{a:20}",
    ),
    ("secret-github-oauth-token", "gho_{a:36}", "gho_{a:30}"),
    (
        "secret-github-user-to-server-token",
        "ghu_{a:36}",
        "ghu_{a:30}",
    ),
    (
        "secret-github-server-to-server-token",
        "ghs_{a:36}",
        "ghs_{a:30}",
    ),
    ("secret-github-refresh-token", "ghr_{a:76}", "ghr_{a:30}"),
    ("secret-gitlab-pat", "glpat-{a:20}", "glpat-{a:10}"),
    ("secret-gitlab-deploy-token", "gldt-{a:20}", "gldt-{a:10}"),
    ("secret-gitlab-runner-token", "glrt-{a:20}", "glrt-{a:10}"),
    (
        "secret-gitlab-runner-registration-token",
        "GR1348941{a:20}",
        "GR1348941{a:10}",
    ),
    (
        "secret-gitlab-pipeline-trigger-token",
        "glptt-{h:40}",
        "glptt-{h:20}",
    ),
    ("secret-gitlab-ci-job-token", "glcbt-{a:20}", "glcbt-{a:8}"),
    (
        "secret-gitlab-oauth-app-secret",
        "gloas-{a:64}",
        "gloas-{a:30}",
    ),
    (
        "secret-gitlab-agent-token",
        "glagent-{a:50}",
        "glagent-{a:20}",
    ),
    ("secret-bitbucket-app-password", "ATBB{a:32}", "ATBB{a:20}"),
    (
        "secret-bitbucket-access-token",
        "ATCTT3xFfGN0{u:150}",
        "ATCTT3xFfGN0{a:40}",
    ),
    (
        "secret-atlassian-api-token",
        "ATATT3xFfGF0{u:180}",
        "ATATT3xFfGF0{a:40}",
    ),
    (
        "secret-slack-bot-token",
        "xoxb-{d:11}-{d:12}-{a:24}",
        "xoxb-{d:11}-{a:24}",
    ),
    (
        "secret-slack-user-token",
        "xoxp-{d:11}-{d:12}-{d:12}-{h:32}",
        "xoxp-{d:11}-{h:32}",
    ),
    (
        "secret-slack-app-token",
        "xapp-1-A{A:10}-{d:12}-{h:64}",
        "xapp-1-{A:10}-{h:64}",
    ),
    (
        "secret-slack-legacy-token",
        "xoxs-{d:11}-{d:12}-{a:30}",
        "xoxs-{a:10}",
    ),
    (
        "secret-slack-config-token",
        "xoxe.xoxp-1-{a:160}",
        "xoxe.xoxp-1-{a:50}",
    ),
    (
        "secret-slack-webhook-url",
        "https://hooks.slack.com/services/T{A:8}/B{A:10}/{a:24}",
        "https://hooks.slack.com/services/T{A:8}/B{A:10}/{a:5}",
    ),
    (
        "secret-stripe-secret-key",
        "sk_live_{a:24}",
        "sk_live_{a:10}",
    ),
    (
        "secret-stripe-restricted-key",
        "rk_live_{a:24}",
        "rk_live_{a:10}",
    ),
    ("secret-stripe-test-key", "sk_test_{a:24}", "sk_test_{a:10}"),
    (
        "secret-stripe-webhook-secret",
        "whsec_{a:32}",
        "whsec_{a:16}",
    ),
    ("secret-square-access-token", "EAAA{a:60}", "EAAA{a:20}"),
    (
        "secret-square-oauth-secret",
        "sq0csp-{a:43}",
        "sq0csp-{a:20}",
    ),
    (
        "secret-braintree-access-token",
        "access_token$production${l:16}${h:32}",
        "access_token$production${l:16}${h:10}",
    ),
    (
        "secret-plaid-access-token",
        "access-production-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
        "access-production-{h:8}",
    ),
    (
        "secret-shippo-api-token",
        "shippo_live_{h:40}",
        "shippo_live_{h:20}",
    ),
    ("secret-easypost-api-key", "EZAK{a:54}", "EZAK{a:20}"),
    ("secret-twilio-api-key", "SK{h:32}", "SK{h:31}"),
    (
        "secret-twilio-auth-token",
        "TWILIO_AUTH_TOKEN={h:32}",
        "TWILIO_AUTH_TOKEN={h:16}",
    ),
    ("secret-sendgrid-api-key", "SG.{a:22}.{a:43}", "SG.{a:22}"),
    (
        "secret-mailgun-api-key",
        "MAILGUN_API_KEY=key-{h:32}",
        "MAILGUN_API_KEY=key-{h:10}",
    ),
    ("secret-mailchimp-api-key", "{h:32}-us6", "{h:20}-us6"),
    (
        "secret-brevo-api-key",
        "xkeysib-{h:64}-{a:16}",
        "xkeysib-{h:64}",
    ),
    (
        "secret-discord-bot-token",
        "DISCORD_TOKEN=M{a:23}.{a:6}.{a:27}",
        "DISCORD_TOKEN=M{a:10}.{a:6}.{a:27}",
    ),
    (
        "secret-discord-webhook-url",
        "https://discord.com/api/webhooks/{d:18}/{a:68}",
        "https://discord.com/api/webhooks/{d:18}/{a:20}",
    ),
    (
        "secret-telegram-bot-token",
        "bot {d:10}:AA{a:33}",
        "bot {d:10}:AA{a:10}",
    ),
    ("secret-npm-access-token", "npm_{a:36}", "npm_{a:20}"),
    (
        "secret-npmrc-auth",
        "//registry.npmjs.org/:_authToken={l:36}",
        "//registry.npmjs.org/:_authToken=${NPM_TOKEN}",
    ),
    (
        "secret-pypi-token",
        "pypi-AgEIcHlwaS5vcmc{u:70}",
        "pypi-AgEIcHlwaS5vcmc{a:10}",
    ),
    (
        "secret-testpypi-token",
        "pypi-AgENdGVzdC5weXBpLm9yZw{u:70}",
        "pypi-AgENdGVzdC5weXBpLm9yZw{a:10}",
    ),
    (
        "secret-rubygems-api-key",
        "rubygems_{h:48}",
        "rubygems_{h:20}",
    ),
    ("secret-nuget-api-key", "oy2{l:43}", "oy2{l:20}"),
    ("secret-crates-io-token", "cio{a:32}", "cio{a:20}"),
    (
        "secret-docker-hub-pat",
        "dckr_pat_{a:27}",
        "dckr_pat_{a:10}",
    ),
    (
        "secret-docker-hub-org-token",
        "dckr_oat_{a:32}",
        "dckr_oat_{a:10}",
    ),
    (
        "secret-docker-config-auth",
        r#"{"auths": {"registry.internal:5000": {"auth": "{b:32}"}}}"#,
        r#"{"auths": {"registry.internal:5000": {"auth": ""}}}"#,
    ),
    ("secret-jfrog-api-key", "AKCp{a:69}", "AKCp{a:30}"),
    (
        "secret-jfrog-reference-token",
        "cmVmdGtu{a:56}",
        "cmVmdGtu{a:20}",
    ),
    ("secret-vault-service-token", "hvs.{u:95}", "hvs.{a:24}"),
    ("secret-vault-batch-token", "hvb.{u:150}", "hvb.{a:40}"),
    (
        "secret-terraform-cloud-token",
        "{a:14}.atlasv1.{a:67}",
        "{a:14}.atlasv1.{a:20}",
    ),
    (
        "secret-private-key-rsa",
        "-----BEGIN RSA PRIVATE KEY-----\n{P:4}-----END RSA PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    ),
    (
        "secret-private-key-ec",
        "-----BEGIN EC PRIVATE KEY-----\n{P:3}-----END EC PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----\n-----END EC PRIVATE KEY-----",
    ),
    (
        "secret-private-key-dsa",
        "-----BEGIN DSA PRIVATE KEY-----\n{P:4}-----END DSA PRIVATE KEY-----",
        "-----BEGIN DSA PRIVATE KEY-----\n<key>\n-----END DSA PRIVATE KEY-----",
    ),
    (
        "secret-private-key-openssh",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE{b:45}\n{P:3}-----END OPENSSH PRIVATE KEY-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{P:3}-----END OPENSSH PRIVATE KEY-----",
    ),
    (
        "secret-private-key-pkcs8",
        "-----BEGIN PRIVATE KEY-----\n{P:4}-----END PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n{b:20}\n-----END PRIVATE KEY-----",
    ),
    (
        "secret-private-key-pgp",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{P:4}={b:4}\n-----END PGP PRIVATE KEY BLOCK-----",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n-----END PGP PRIVATE KEY BLOCK-----",
    ),
    (
        "secret-private-key-encrypted",
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{H:32}\n\n{P:4}-----END RSA PRIVATE KEY-----",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n{b:20}\n-----END ENCRYPTED PRIVATE KEY-----",
    ),
    (
        "secret-putty-private-key",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n{P:2}Private-Lines: 2\n{P:2}Private-MAC: {h:64}",
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\nComment: deploy\nPublic-Lines: 2\n{P:2}Private-Lines: 2\n{P:2}Private-MAC: {h:64}",
    ),
    (
        "secret-kubeconfig-client-key",
        "    client-key-data: LS0tLS1CRUdJTi{b:120}",
        "    client-key-data: LS0tLS1CRUdJTi{b:40}",
    ),
    (
        "secret-jwt",
        "eyJ{u:20}.eyJ{u:40}.{u:43}",
        "eyJ{u:20}.eyJ{u:40}.",
    ),
    (
        "secret-url-password",
        "postgres://app:{a:16}@db.internal:5432/app",
        "postgres://app:${DB_PASSWORD}@db.internal:5432/app",
    ),
    (
        "secret-http-basic-auth",
        "Authorization: Basic {b:24}",
        "Authorization: Basic {b:6}",
    ),
    (
        "secret-http-bearer-token",
        "Authorization: Bearer {a:40}",
        "Authorization: Bearer $TOKEN",
    ),
    (
        "secret-shadow-password-hash",
        "root:$6${a:16}${a:86}:19000:0:99999:7:::",
        "root:*:19000:0:99999:7:::",
    ),
    (
        "secret-generic-assignment",
        r#"db_password = "{a:20}""#,
        r#"db_password = "{a:6}""#,
    ),
    (
        "secret-generic-env-assignment",
        "DB_PASSWORD={a:20}",
        "DB_PASSWORD=${DB_PASSWORD}",
    ),
    (
        "secret-shopify-access-token",
        "shpat_{h:32}",
        "shpat_{h:20}",
    ),
    (
        "secret-shopify-custom-app-token",
        "shpca_{h:32}",
        "shpca_{h:20}",
    ),
    (
        "secret-shopify-private-app-token",
        "shppa_{h:32}",
        "shppa_{h:20}",
    ),
    (
        "secret-shopify-shared-secret",
        "shpss_{h:32}",
        "shpss_{h:20}",
    ),
    ("secret-heroku-api-key", "HRKU-AA{a:58}", "HRKU-AA{a:20}"),
    (
        "secret-heroku-api-key-legacy",
        "HEROKU_API_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
        "HEROKU_API_KEY={h:8}-{h:4}",
    ),
    (
        "secret-datadog-api-key",
        "DD_API_KEY={h:32}",
        "DD_API_KEY={h:20}",
    ),
    (
        "secret-datadog-app-key",
        "DD_APP_KEY={h:40}",
        "DD_APP_KEY={h:20}",
    ),
    ("secret-newrelic-user-api-key", "NRAK-{A:27}", "NRAK-{A:10}"),
    ("secret-newrelic-insert-key", "NRII-{a:32}", "NRII-{a:10}"),
    ("secret-newrelic-license-key", "{h:36}NRAL", "{h:20}NRAL"),
    (
        "secret-sentry-org-token",
        "sntrys_eyJ{a:80}",
        "sntrys_eyJ{a:20}",
    ),
    ("secret-sentry-user-token", "sntryu_{h:64}", "sntryu_{h:30}"),
    (
        "secret-openai-api-key",
        "sk-proj-{a:40}T3BlbkFJ{a:40}",
        "sk-proj-{a:40}T3BlbkFJ",
    ),
    (
        "secret-anthropic-api-key",
        "sk-ant-api03-{a:93}AA",
        "sk-ant-api03-{a:40}AA",
    ),
    (
        "secret-anthropic-admin-key",
        "sk-ant-admin01-{a:93}AA",
        "sk-ant-admin01-{a:40}AA",
    ),
    ("secret-huggingface-token", "hf_{L:34}", "hf_{L:20}"),
    ("secret-groq-api-key", "gsk_{a:52}", "gsk_{a:20}"),
    ("secret-replicate-api-token", "r8_{a:37}", "r8_{a:20}"),
    ("secret-perplexity-api-key", "pplx-{a:48}", "pplx-{a:20}"),
    ("secret-xai-api-key", "xai-{a:80}", "xai-{a:30}"),
    (
        "secret-langsmith-api-key",
        "lsv2_pt_{h:32}_{h:10}",
        "lsv2_pt_{h:32}",
    ),
    ("secret-databricks-token", "dapi{h:32}", "dapi{h:20}"),
    ("secret-digitalocean-pat", "dop_v1_{h:64}", "dop_v1_{h:30}"),
    (
        "secret-digitalocean-oauth-token",
        "doo_v1_{h:64}",
        "doo_v1_{h:30}",
    ),
    ("secret-linear-api-key", "lin_api_{a:40}", "lin_api_{a:20}"),
    (
        "secret-okta-api-token",
        "OKTA_API_TOKEN=00{a:40}",
        "OKTA_API_TOKEN=00{a:20}",
    ),
    (
        "secret-postman-api-key",
        "PMAK-{h:24}-{h:34}",
        "PMAK-{h:24}",
    ),
    ("secret-pulumi-access-token", "pul-{h:40}", "pul-{h:20}"),
    ("secret-grafana-cloud-token", "glc_{a:80}", "glc_{a:16}"),
    (
        "secret-grafana-service-account-token",
        "glsa_{a:32}_{h:8}",
        "glsa_{a:32}",
    ),
    ("secret-grafana-api-key", "eyJrIjoi{a:80}", "eyJrIjoi{a:20}"),
    ("secret-doppler-token", "dp.st.{a:43}", "dp.st.{a:20}"),
    (
        "secret-dynatrace-token",
        "dt0c01.{A:24}.{A:64}",
        "dt0c01.{A:24}",
    ),
    (
        "secret-fastly-api-token",
        "FASTLY_API_TOKEN={a:32}",
        "FASTLY_API_TOKEN={a:20}",
    ),
    ("secret-netlify-token", "nfp_{a:36}", "nfp_{a:20}"),
    (
        "secret-cloudflare-api-token",
        "CLOUDFLARE_API_TOKEN={a:40}",
        "CLOUDFLARE_API_TOKEN={a:20}",
    ),
    (
        "secret-cloudflare-origin-ca-key",
        "v1.0-{h:24}-{h:146}",
        "v1.0-{h:24}-{h:40}",
    ),
    (
        "secret-flyio-token",
        "FlyV1 fm2_{b:120}",
        "FlyV1 fm2_{b:30}",
    ),
    ("secret-render-api-key", "rnd_{a:32}", "rnd_{a:20}"),
    ("secret-supabase-token", "sbp_{h:40}", "sbp_{h:20}"),
    (
        "secret-planetscale-token",
        "pscale_tkn_{a:43}",
        "pscale_tkn_{a:20}",
    ),
    (
        "secret-airtable-pat",
        "pat{a:14}.{h:64}",
        "pat{a:14}.{h:20}",
    ),
    (
        "secret-notion-token",
        "ntn_{d:11}{a:35}",
        "ntn_{d:11}{a:10}",
    ),
    ("secret-figma-pat", "figd_{a:40}", "figd_{a:20}"),
    (
        "secret-mapbox-secret-token",
        "sk.eyJ1Ijoi{a:40}.{a:22}",
        "sk.eyJ1Ijoi{a:40}",
    ),
    ("secret-sonarqube-token", "sqp_{h:40}", "sqp_{h:20}"),
    ("secret-buildkite-token", "bkua_{h:40}", "bkua_{h:20}"),
    (
        "secret-circleci-pat",
        "CCIPAT_{a:22}_{h:40}",
        "CCIPAT_{a:22}",
    ),
    ("secret-alibaba-access-key-id", "LTAI{a:20}", "LTAI{a:8}"),
    (
        "secret-alibaba-access-key-secret",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET={a:30}",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET={a:20}",
    ),
    ("secret-tencent-secret-id", "AKID{a:32}", "AKID{a:20}"),
    (
        "secret-tencent-secret-key",
        "TENCENTCLOUD_SECRET_KEY={a:32}",
        "TENCENTCLOUD_SECRET_KEY={a:20}",
    ),
    (
        "secret-age-secret-key",
        "AGE-SECRET-KEY-1{B:58}",
        "AGE-SECRET-KEY-1{B:30}",
    ),
    (
        "secret-onepassword-service-account-token",
        "ops_eyJ{b:300}",
        "ops_eyJ{b:40}",
    ),
    (
        "secret-onepassword-secret-key",
        "A3-{A:6}-{A:11}-{A:5}-{A:5}-{A:5}",
        "A3-{A:6}-{A:5}",
    ),
    ("secret-octopus-deploy-api-key", "API-{A:26}", "API-{A:10}"),
    ("secret-prefect-api-key", "pnu_{a:36}", "pnu_{a:20}"),
    ("secret-dropbox-token", "sl.{a:140}", "sl.{a:40}"),
];

/// xorshift64*: deterministic, dependency-free and good enough to make
/// high-entropy strings.
struct Rng(u64);

impl Rng {
    fn for_rule(id: &str) -> Rng {
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        for b in id.bytes() {
            seed = (seed ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
        }
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick(&mut self, alphabet: &[u8]) -> char {
        char::from(alphabet[(self.next() >> 33) as usize % alphabet.len()])
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn alphabet(kind: char) -> &'static [u8] {
    match kind {
        'a' => ALNUM,
        'A' => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        'L' => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        'l' => b"abcdefghijklmnopqrstuvwxyz0123456789",
        'h' => b"0123456789abcdef",
        'H' => b"0123456789ABCDEF",
        'd' => b"0123456789",
        'b' | 'P' => BASE64,
        'u' => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        'B' => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        other => panic!("unknown template kind {other}"),
    }
}

/// A sample: its text and the random fragments in it, which must never
/// show up in output.
struct Sample {
    text: String,
    fragments: Vec<String>,
}

fn expand(template: &str, rng: &mut Rng) -> Sample {
    let mut text = String::new();
    let mut fragments = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let spec = &rest[open + 1..close];
        let parsed = spec
            .split_once(':')
            .and_then(|(k, n)| Some((k.chars().next()?, n.parse::<usize>().ok()?)))
            .filter(|(k, _)| spec.len() >= 3 && "aALlhHdbuBP".contains(*k));
        text.push_str(&rest[..open]);
        match parsed {
            Some(('P', lines)) => {
                for _ in 0..lines {
                    let line: String = (0..64).map(|_| rng.pick(BASE64)).collect();
                    text.push_str(&line);
                    text.push('\n');
                    fragments.push(line);
                }
            }
            Some((kind, count)) => {
                let fragment: String = (0..count).map(|_| rng.pick(alphabet(kind))).collect();
                text.push_str(&fragment);
                fragments.push(fragment);
            }
            None => {
                text.push('{');
                rest = &rest[open + 1..];
                continue;
            }
        }
        rest = &rest[close + 1..];
    }
    text.push_str(rest);
    text.push('\n');
    Sample { text, fragments }
}

fn scanner() -> Scanner {
    Scanner::new(&SecretConfig::default()).expect("built-in rules compile")
}

#[test]
fn catalogue_has_at_least_80_rules_with_docs() {
    let docs = catalogue();
    assert!(docs.len() >= 80, "only {} rules", docs.len());
    let ids: BTreeSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids.len(), docs.len(), "duplicate rule ids");
    for doc in &docs {
        assert!(doc.id.starts_with("secret-"), "{}", doc.id);
        assert!(!doc.title.is_empty(), "{} has no title", doc.id);
        assert!(
            doc.description.len() >= 60,
            "{} has a short description",
            doc.id
        );
        assert!(!doc.keywords.is_empty(), "{} has no keywords", doc.id);
    }
}

#[test]
fn every_rule_has_a_sample() {
    let sampled: BTreeSet<&str> = SAMPLES.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(sampled.len(), SAMPLES.len(), "a rule is sampled twice");
    let ids: BTreeSet<String> = catalogue().into_iter().map(|d| d.id).collect();
    let missing: Vec<&String> = ids
        .iter()
        .filter(|id| !sampled.contains(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "rules without samples: {missing:?}");
    let unknown: Vec<&&str> = sampled.iter().filter(|id| !ids.contains(**id)).collect();
    assert!(unknown.is_empty(), "samples of unknown rules: {unknown:?}");
}

#[test]
fn every_rule_fires_on_its_positive_sample() {
    let scanner = scanner();
    let mut failures = Vec::new();
    for (id, positive, _) in SAMPLES {
        let sample = expand(positive, &mut Rng::for_rule(id));
        let candidates = scanner.candidate_rules(sample.text.as_bytes());
        if !candidates.contains(id) {
            failures.push(format!("{id}: no keyword in {:?}", sample.text));
            continue;
        }
        let findings = scanner.scan("sample.txt", sample.text.as_bytes());
        if !findings.iter().any(|f| f.rule_id == *id) {
            let got: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
            failures.push(format!(
                "{id}: no finding in {:?}, got {got:?}",
                sample.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_rule_fires_on_its_negative_sample() {
    let scanner = scanner();
    let mut failures = Vec::new();
    for (id, _, negative) in SAMPLES {
        let sample = expand(negative, &mut Rng::for_rule(id));
        let findings = scanner.scan("sample.txt", sample.text.as_bytes());
        if findings.iter().any(|f| f.rule_id == *id) {
            failures.push(format!("{id}: fired on {:?}", sample.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_never_contain_the_secret() {
    let scanner = scanner();
    let mut failures = Vec::new();
    for (id, positive, _) in SAMPLES {
        let sample = expand(positive, &mut Rng::for_rule(id));
        // A second line with other text keeps snippets honest about lines.
        let text = format!("{}# end of sample\n", sample.text);
        let result = scanner.scan_file("sample.env", text.as_bytes());
        let debug = format!("{result:?}");
        let json = serde_json::to_string(&result).expect("findings serialize");
        for fragment in sample.fragments.iter().filter(|f| f.len() >= 8) {
            if debug.contains(fragment.as_str()) || json.contains(fragment.as_str()) {
                failures.push(format!("{id}: output shows {fragment}: {debug}"));
            }
        }
        for finding in result.findings.iter().filter(|f| f.rule_id == *id) {
            // Key blocks report their header line, which holds no part of
            // the key.
            let header = finding.snippet.starts_with("-----BEGIN")
                || finding.snippet.starts_with("PuTTY-User-Key-File");
            if !header && !finding.snippet.contains("****") {
                failures.push(format!("{id}: snippet not masked: {}", finding.snippet));
            }
            assert_eq!(finding.fingerprint.len(), 64, "{id}");
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn line_and_column_point_at_the_secret() {
    let scanner = scanner();
    let sample = expand("export GITHUB_TOKEN=ghp_{a:36}", &mut Rng::for_rule("line"));
    let text = format!("#!/bin/sh\n\n{}", sample.text);
    let findings = scanner.scan("run.sh", text.as_bytes());
    let finding = findings
        .iter()
        .find(|f| f.rule_id == "secret-github-pat")
        .expect("github token found");
    assert_eq!(finding.line, 3);
    assert_eq!(finding.column, 21);
    assert_eq!(finding.snippet, "export GITHUB_TOKEN=ghp_****");
    assert_eq!(finding.path, "run.sh");
}

#[test]
fn short_secret_is_masked_completely() {
    let scanner = scanner();
    let findings = scanner.scan("db.env", b"url=mysql://app:Zq8vT2xR@db:3306/app\n");
    let finding = findings
        .iter()
        .find(|f| f.rule_id == "secret-url-password")
        .expect("URL password found");
    assert_eq!(finding.snippet, "url=mysql://app:****@db:3306/app");
    assert!(!format!("{finding:?}").contains("Zq8vT2xR"));
}

#[test]
fn fingerprint_is_stable_and_per_rule() {
    let scanner = scanner();
    let sample = expand("ghp_{a:36}", &mut Rng::for_rule("fingerprint"));
    let first = scanner.scan("a.txt", sample.text.as_bytes());
    let second = scanner.scan("b/c.txt", sample.text.as_bytes());
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].fingerprint, second[0].fingerprint);
    let secret = sample.text.trim_end();
    assert_eq!(
        first[0].fingerprint,
        bulwark_secrets::fingerprint("secret-github-pat", secret.as_bytes())
    );
    assert_ne!(
        first[0].fingerprint,
        bulwark_secrets::fingerprint("secret-github-oauth-token", secret.as_bytes())
    );
}

#[test]
fn prefilter_runs_only_rules_with_keyword_hits() {
    let scanner = scanner();
    let sample = expand("token ghp_{a:36}", &mut Rng::for_rule("prefilter"));
    let candidates = scanner.candidate_rules(sample.text.as_bytes());
    assert!(candidates.contains(&"secret-github-pat"));
    assert!(candidates.contains(&"secret-generic-assignment"));
    assert!(!candidates.contains(&"secret-aws-access-key-id"));
    assert!(!candidates.contains(&"secret-private-key-rsa"));
    let result = scanner.scan_file("a.txt", sample.text.as_bytes());
    assert_eq!(result.rules_evaluated, candidates.len());
    assert!(result.rules_evaluated < scanner.rule_ids().len() / 4);

    let plain = scanner.scan_file("b.txt", b"hello world\nnothing to see\n");
    assert_eq!(plain.rules_evaluated, 0);
    assert!(plain.findings.is_empty());
}

#[test]
fn prefilter_keeps_regex_from_running_without_keyword() {
    // The custom regex matches both texts, but only the one with the
    // keyword reaches the regex.
    let config = SecretConfig::from_yaml(
        "rules:\n  - id: corp-token\n    keywords: [corpkw]\n    regex: 'tok_[a-z]{12}'\n",
        "inline.yaml",
    )
    .expect("config is valid");
    let scanner = Scanner::new(&config).expect("scanner builds");
    let without = scanner.scan_file("a.txt", b"tok_qwhvbzkrtmlp\n");
    assert!(without.findings.is_empty());
    assert!(
        !scanner
            .candidate_rules(b"tok_qwhvbzkrtmlp\n")
            .contains(&"secret-corp-token")
    );
    let with = scanner.scan_file("a.txt", b"CORPKW tok_qwhvbzkrtmlp\n");
    let ids: HashSet<&str> = with.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains("secret-corp-token"), "{ids:?}");
}

#[test]
fn generic_finding_gives_way_to_specific_rule() {
    let scanner = scanner();
    let sample = expand(
        r#"github_token = "ghp_{a:36}""#,
        &mut Rng::for_rule("overlap"),
    );
    let findings = scanner.scan("config.py", sample.text.as_bytes());
    let ids: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(ids, vec!["secret-github-pat"]);
}

#[test]
fn placeholders_and_examples_are_not_reported() {
    let scanner = scanner();
    let text = "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\
                AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
                password = \"changeme\"\n\
                api_key: \"<your-api-key>\"\n\
                DB_PASSWORD=xxxxxxxxxxxxxxxx\n\
                token = \"${GITHUB_TOKEN}\"\n\
                url = postgres://user:password@localhost/db\n";
    let findings = scanner.scan(".env", text.as_bytes());
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn binary_content_is_skipped() {
    let scanner = scanner();
    let sample = expand("ghp_{a:36}", &mut Rng::for_rule("binary"));
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend_from_slice(sample.text.as_bytes());
    assert!(scanner.scan("usr/bin/tool", &elf).is_empty());
    assert_eq!(scanner.scan("token.txt", sample.text.as_bytes()).len(), 1);
}

#[test]
fn wants_checks_size_and_extension() {
    let scanner = scanner();
    assert!(scanner.wants("etc/app/config.yaml", 1024));
    assert!(!scanner.wants("etc/app/config.yaml", 11 * 1024 * 1024));
    assert!(!scanner.wants("usr/lib/libssl.so", 10));
    assert!(!scanner.wants("usr/share/icons/a.png", 10));
    assert!(
        !scanner.wants("app/lib/app.jar", 10),
        "archives are off by default"
    );
    assert!(!scanner.wants("usr/share/doc/openssl/README", 10));
    let config = SecretConfig::from_yaml("archives:\n  enabled: true\n", "a.yaml").expect("valid");
    let with_archives = Scanner::new(&config).expect("scanner builds");
    assert!(with_archives.wants("app/lib/app.jar", 50 * 1024 * 1024));
}

#[test]
fn scan_text_reports_location() {
    let scanner = scanner();
    let sample = expand("NPM_TOKEN=npm_{a:36}", &mut Rng::for_rule("env"));
    let findings = scanner.scan_text("image config env[3]", sample.text.trim_end());
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].path, "image config env[3]");
    assert_eq!(findings[0].rule_id, "secret-npm-access-token");
}

#[test]
fn scanner_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
}
