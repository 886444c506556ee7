//! The built-in rule table.
//!
//! Every regex is compiled with Unicode off (see `rule::compile_regex`).
//! Group 1 contains the secret unless `secret_group` says otherwise. A group
//! named `name` contains the variable name of an assignment, and the scanner
//! drops matches whose name says the value is not a secret (see
//! `scanner::is_reference_name`). Each
//! rule's keywords are literals that every match contains (ASCII
//! case-insensitive), because the prefilter runs a rule only when one of
//! its keywords occurs in the content.

use crate::rule::{RuleSpec, Severity};

/// Builds a pattern for `NAME = VALUE` assignments in env files, YAML,
/// JSON, TOML and source code. `$name` is a case-insensitive pattern for
/// the variable name; `$value` is the case-sensitive secret pattern.
macro_rules! assignment {
    ($name:literal, $value:literal) => {
        concat!(
            "(?i:",
            $name,
            r#")[A-Za-z0-9_.\-]{0,25}["']?[ \t]*(?:=|:|=>|:=)[ \t]*["']?("#,
            $value,
            r#")(?:[^A-Za-z0-9_\-]|$)"#
        )
    };
}

/// Builds a PEM private-key pattern whose group 1 is the base64 body. The
/// separators also accept the literal `\n` escapes of keys embedded in
/// JSON strings.
macro_rules! pem_key {
    ($label:literal) => {
        concat!(
            "-----BEGIN ",
            $label,
            r#"-----(?:\s|\\[rn])*([A-Za-z0-9+/][A-Za-z0-9+/=\s\\]{63,}?)(?:\s|\\[rn])*-----END "#,
            $label,
            "-----"
        )
    };
}

const BASE: RuleSpec = RuleSpec {
    id: "",
    title: "",
    severity: Severity::High,
    keywords: &[],
    regex: "",
    secret_group: 1,
    entropy: None,
    allow: &[],
    generic: false,
    description: "",
};

use Severity::{Critical, High, Low, Medium};

pub(crate) static BUILTIN_RULES: &[RuleSpec] = &[
    // Amazon Web Services.
    RuleSpec {
        id: "secret-aws-access-key-id",
        title: "AWS access key ID",
        severity: High,
        keywords: &["akia", "asia", "abia", "acca"],
        regex: r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
        allow: &["AKIAIOSFODNN7EXAMPLE"],
        description: "Finds AWS access key IDs (AKIA for long-term IAM user keys, ASIA for temporary STS keys). The ID alone does not authenticate, but it names the account and is almost always stored next to its secret access key. Deactivate the key in IAM, create a new one and update every consumer.",
        ..BASE
    },
    RuleSpec {
        id: "secret-aws-secret-access-key",
        title: "AWS secret access key",
        severity: Critical,
        keywords: &[
            "aws_secret",
            "awssecret",
            "aws-secret",
            "secret_access",
            "secretaccess",
        ],
        regex: r#"(?i:aws_?secret_?access_?key|aws_?secret_?key|aws-secret-access-key|secret_?access_?key)[A-Za-z0-9_\-]{0,10}["']?[ \t]*(?:=|:|=>|:=)[ \t]*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        entropy: Some(3.5),
        allow: &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
        description: "Finds a 40-character AWS secret access key assigned to a variable or key named like aws_secret_access_key. Together with its key ID it signs API requests with the full permissions of the IAM user or role. Deactivate and delete the access key in IAM, create a new one, and check CloudTrail for use of the old key.",
        ..BASE
    },
    RuleSpec {
        id: "secret-aws-session-token",
        title: "AWS session token",
        severity: High,
        keywords: &["aws_session", "awssession", "aws-session"],
        regex: r#"(?i:aws_?session_?token|aws-session-token)[A-Za-z0-9_\-]{0,10}["']?[ \t]*(?:=|:|=>)[ \t]*["']?([A-Za-z0-9/+=]{100,2048})"#,
        entropy: Some(4.0),
        description: "Finds an AWS STS session token assigned to aws_session_token. Session tokens expire, but until then they grant the role's permissions to whoever holds them. Revoke active sessions of the role (IAM 'Revoke active sessions') and find out why temporary credentials were written to a file.",
        ..BASE
    },
    RuleSpec {
        id: "secret-aws-mws-auth-token",
        title: "Amazon MWS auth token",
        severity: High,
        keywords: &["amzn.mws."],
        regex: r"\b(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        description: "Finds Amazon Marketplace Web Service auth tokens (amzn.mws. followed by a UUID). They let a developer application act on a seller account. Revoke the developer's access in Seller Central and authorize the application again.",
        ..BASE
    },
    // Google Cloud.
    RuleSpec {
        id: "secret-gcp-service-account-key",
        title: "GCP service account key file",
        severity: Critical,
        keywords: &["service_account"],
        regex: r#"(?s)"type"\s*:\s*"service_account".{0,3000}?"private_key"\s*:\s*"(-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\\\s]{64,}?-----END [A-Z ]*PRIVATE KEY-----(?:\\n)?)""#,
        description: "Finds Google Cloud service account key files (JSON with \"type\": \"service_account\" and a \"private_key\"). The key signs tokens for the service account and grants all of its IAM roles. Delete the key under IAM > Service accounts > Keys, create a new one or switch to workload identity, and review the audit logs.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gcp-api-key",
        title: "Google API key",
        severity: High,
        keywords: &["aiza"],
        regex: r"\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        description: "Finds Google API keys (AIza followed by 35 characters), used by Google Maps, Firebase and other Google Cloud APIs. An unrestricted key lets others spend the project's quota and read data of the enabled APIs. Restrict or delete the key under APIs & Services > Credentials and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gcp-oauth-client-secret",
        title: "Google OAuth client secret",
        severity: High,
        keywords: &["gocspx-"],
        regex: r"\b(GOCSPX-[0-9A-Za-z_\-]{28})(?:[^0-9A-Za-z_\-]|$)",
        description: "Finds Google OAuth 2.0 client secrets (GOCSPX- prefix). With the client ID, the secret lets others impersonate the application in OAuth flows. Reset the secret of the OAuth client under APIs & Services > Credentials.",
        ..BASE
    },
    RuleSpec {
        id: "secret-google-oauth-access-token",
        title: "Google OAuth access token",
        severity: Medium,
        keywords: &["ya29."],
        regex: r"\b(ya29\.[0-9A-Za-z_\-]{50,})",
        description: "Finds Google OAuth 2.0 access tokens (ya29. prefix). They are short-lived but grant the granted scopes until they expire. Revoke the token through Google's OAuth revocation endpoint and remove it from the file.",
        ..BASE
    },
    RuleSpec {
        id: "secret-firebase-cloud-messaging-key",
        title: "Firebase Cloud Messaging server key",
        severity: High,
        keywords: &[":apa91b"],
        regex: r"\b(AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{134})",
        description: "Finds legacy Firebase Cloud Messaging server keys. Anyone with the key can send push notifications to every user of the application. Delete the key in the Firebase console and move to the HTTP v1 API with service account credentials.",
        ..BASE
    },
    // Microsoft Azure.
    RuleSpec {
        id: "secret-azure-storage-connection-string",
        title: "Azure storage or Cosmos DB connection string key",
        severity: Critical,
        keywords: &["accountkey"],
        regex: r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)",
        description: "Finds the AccountKey of Azure Storage and Cosmos DB connection strings. An account key grants full control over every container, queue, table or database of the account. Rotate the key under Access keys, update the consumers, then rotate the second key too.",
        ..BASE
    },
    RuleSpec {
        id: "secret-azure-storage-account-key",
        title: "Azure storage account key",
        severity: Critical,
        keywords: &["azure_storage", "azurestorage", "azure-storage"],
        regex: assignment!(
            r"azure[_\-]?storage[_\-]?(?:account[_\-]?)?(?:access[_\-]?)?key",
            r"[A-Za-z0-9+/]{86}=="
        ),
        description: "Finds an 88-character Azure Storage account key assigned to a variable named like AZURE_STORAGE_KEY. The key grants full control over the storage account. Rotate it under Access keys and prefer Entra ID or SAS tokens with short expiry.",
        ..BASE
    },
    RuleSpec {
        id: "secret-azure-ad-client-secret",
        title: "Microsoft Entra ID client secret",
        severity: High,
        keywords: &["q~"],
        regex: r"(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)",
        entropy: Some(3.5),
        description: "Finds Microsoft Entra ID (Azure AD) application client secrets, recognised by the Q~ marker at the fifth character. The secret authenticates as the application with all its API permissions. Delete it under App registrations > Certificates & secrets and add a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-azure-sas-token",
        title: "Azure shared access signature",
        severity: Medium,
        keywords: &["sig="],
        regex: r#"[?&]sv=[0-9]{4}-[0-9]{2}-[0-9]{2}&[^\s"'<>]{0,400}?\bsig=([A-Za-z0-9%+/]{43,120})"#,
        description: "Finds Azure shared access signature (SAS) URLs with a signature. A SAS grants its permissions to anyone who has the URL until it expires. Rotate the account key that signed it, or revoke the stored access policy the SAS refers to.",
        ..BASE
    },
    // GitHub.
    RuleSpec {
        id: "secret-github-pat",
        title: "GitHub personal access token (classic)",
        severity: Critical,
        keywords: &["ghp_"],
        regex: r"\b(ghp_[A-Za-z0-9]{36})\b",
        description: "Finds classic GitHub personal access tokens (ghp_). They act as the user with every scope the token was given, often including private repositories and packages. Delete the token under Settings > Developer settings and create a fine-grained token with fewer permissions.",
        ..BASE
    },
    RuleSpec {
        id: "secret-github-fine-grained-pat",
        title: "GitHub fine-grained personal access token",
        severity: Critical,
        keywords: &["github_pat_"],
        regex: r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        description: "Finds GitHub fine-grained personal access tokens (github_pat_). They act as the user on the repositories and permissions the token was granted. Delete the token under Settings > Developer settings > Fine-grained tokens and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-github-oauth-token",
        title: "GitHub OAuth access token",
        severity: Critical,
        keywords: &["gho_"],
        regex: r"\b(gho_[A-Za-z0-9]{36})\b",
        description: "Finds GitHub OAuth access tokens (gho_), issued to OAuth apps on behalf of a user. They grant the app's scopes as that user. Revoke the authorization under Settings > Applications, or have the app owner reset its tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-github-user-to-server-token",
        title: "GitHub App user-to-server token",
        severity: High,
        keywords: &["ghu_"],
        regex: r"\b(ghu_[A-Za-z0-9]{36})\b",
        description: "Finds GitHub App user-to-server tokens (ghu_), which let a GitHub App act as a user. Revoke the app's authorization for that user and make sure the app stores tokens outside the image.",
        ..BASE
    },
    RuleSpec {
        id: "secret-github-server-to-server-token",
        title: "GitHub App installation token",
        severity: High,
        keywords: &["ghs_"],
        regex: r"\b(ghs_[A-Za-z0-9]{36})\b",
        description: "Finds GitHub App installation (server-to-server) tokens and Actions GITHUB_TOKEN values (ghs_). They expire after an hour but grant the installation's permissions until then. Revoke the token through the REST API and rotate the app's private key if it was exposed too.",
        ..BASE
    },
    RuleSpec {
        id: "secret-github-refresh-token",
        title: "GitHub refresh token",
        severity: High,
        keywords: &["ghr_"],
        regex: r"\b(ghr_[A-Za-z0-9]{36,76})\b",
        description: "Finds GitHub App refresh tokens (ghr_), which mint new user-to-server tokens for months. Revoke the user's authorization of the app so that the refresh token stops working.",
        ..BASE
    },
    // GitLab.
    RuleSpec {
        id: "secret-gitlab-pat",
        title: "GitLab personal access token",
        severity: Critical,
        keywords: &["glpat-"],
        regex: r"\b(glpat-[A-Za-z0-9_\-]{20,64}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?:[^A-Za-z0-9_\-.]|$)",
        description: "Finds GitLab personal, project and group access tokens (glpat-). They act as the user or bot with the token's scopes, often api. Revoke the token under Access tokens and create a new one with a short expiry.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-deploy-token",
        title: "GitLab deploy token",
        severity: High,
        keywords: &["gldt-"],
        regex: r"\b(gldt-[A-Za-z0-9_\-]{20,64})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds GitLab deploy tokens (gldt-), which read repositories, packages or container registries. Revoke the token under Settings > Repository > Deploy tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-runner-token",
        title: "GitLab runner authentication token",
        severity: High,
        keywords: &["glrt-"],
        regex: r"\b(glrt-[A-Za-z0-9_\-]{20,64}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?:[^A-Za-z0-9_\-.]|$)",
        description: "Finds GitLab runner authentication tokens (glrt-). Whoever holds one can register a runner that picks up CI jobs, including their secrets. Reset the runner's token or delete the runner in GitLab.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-runner-registration-token",
        title: "GitLab runner registration token",
        severity: Medium,
        keywords: &["gr1348941"],
        regex: r"\b(GR1348941[A-Za-z0-9_\-]{20})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds legacy GitLab runner registration tokens (GR1348941 prefix), which register new runners for a project, group or instance. Reset the registration token and move to runner authentication tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-pipeline-trigger-token",
        title: "GitLab pipeline trigger token",
        severity: Medium,
        keywords: &["glptt-"],
        regex: r"\b(glptt-[0-9a-f]{40})\b",
        description: "Finds GitLab pipeline trigger tokens (glptt-), which start pipelines with the owner's permissions. Revoke the trigger under Settings > CI/CD > Pipeline trigger tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-ci-job-token",
        title: "GitLab CI job token",
        severity: Medium,
        keywords: &["glcbt-"],
        regex: r"\b(glcbt-(?:[0-9a-f]{1,5}_)?[A-Za-z0-9_\-]{20})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds GitLab CI/CD job tokens (glcbt-). A job token is valid while its job runs and reaches the projects on the job token allow-list. Cancel the job if it still runs, and keep job logs and artifacts from storing the token.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-oauth-app-secret",
        title: "GitLab OAuth application secret",
        severity: High,
        keywords: &["gloas-"],
        regex: r"\b(gloas-[A-Za-z0-9_\-]{64})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds GitLab OAuth application secrets (gloas-), which let others impersonate the application in OAuth flows. Renew the secret of the application under Applications.",
        ..BASE
    },
    RuleSpec {
        id: "secret-gitlab-agent-token",
        title: "GitLab agent for Kubernetes token",
        severity: High,
        keywords: &["glagent-"],
        regex: r"\b(glagent-[A-Za-z0-9_\-]{50,})",
        description: "Finds tokens of the GitLab agent for Kubernetes (glagent-), which connect a cluster to GitLab and can deploy to it. Revoke the token under Operate > Kubernetes clusters and create a new one.",
        ..BASE
    },
    // Atlassian and Bitbucket.
    RuleSpec {
        id: "secret-bitbucket-app-password",
        title: "Bitbucket app password",
        severity: High,
        keywords: &["atbb"],
        regex: r"\b(ATBB[A-Za-z0-9]{32})\b",
        entropy: Some(3.5),
        description: "Finds Bitbucket Cloud app passwords (ATBB prefix). With the username they give API and Git access with the password's permissions. Revoke the app password under Personal settings and use an access token with fewer scopes.",
        ..BASE
    },
    RuleSpec {
        id: "secret-bitbucket-access-token",
        title: "Bitbucket repository or workspace access token",
        severity: High,
        keywords: &["atctt3xffgn0"],
        regex: r"\b(ATCTT3xFfGN0[A-Za-z0-9_\-=]{100,})",
        description: "Finds Bitbucket Cloud repository, project and workspace access tokens (ATCTT3xFfGN0 prefix). Revoke the token in the repository or workspace settings under Access tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-atlassian-api-token",
        title: "Atlassian API token",
        severity: High,
        keywords: &["atatt3xffgf0"],
        regex: r"\b(ATATT3xFfGF0[A-Za-z0-9_\-=]{100,})",
        description: "Finds Atlassian account API tokens (ATATT3xFfGF0 prefix) for Jira, Confluence and Bitbucket. They act as the user in the REST APIs. Revoke the token in the Atlassian account security settings.",
        ..BASE
    },
    // Slack.
    RuleSpec {
        id: "secret-slack-bot-token",
        title: "Slack bot token",
        severity: High,
        keywords: &["xoxb-"],
        regex: r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24})\b",
        description: "Finds Slack bot user tokens (xoxb-). They read and post messages in every channel the bot joined. Rotate the token under OAuth & Permissions of the Slack app, or reinstall the app.",
        ..BASE
    },
    RuleSpec {
        id: "secret-slack-user-token",
        title: "Slack user token",
        severity: High,
        keywords: &["xoxp-"],
        regex: r"\b(xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32})\b",
        description: "Finds Slack user tokens (xoxp-), which act as the installing user, including private channels and direct messages within the granted scopes. Revoke the token through auth.revoke or by removing the app.",
        ..BASE
    },
    RuleSpec {
        id: "secret-slack-app-token",
        title: "Slack app-level token",
        severity: High,
        keywords: &["xapp-"],
        regex: r"\b(xapp-[0-9]-[A-Z0-9]{9,11}-[0-9]{10,13}-[a-f0-9]{64})\b",
        description: "Finds Slack app-level tokens (xapp-), used for Socket Mode connections. Regenerate the token under Basic Information > App-Level Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-slack-legacy-token",
        title: "Slack legacy or workspace token",
        severity: High,
        keywords: &["xoxa-", "xoxr-", "xoxs-"],
        regex: r"\b(xox[ars]-(?:[0-9]+-){1,4}[A-Za-z0-9]{24,64})\b",
        description: "Finds older Slack token types (xoxa- workspace app, xoxr- refresh, xoxs- session tokens). They grant broad access to a workspace. Revoke them through auth.revoke and migrate to current app tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-slack-config-token",
        title: "Slack configuration token",
        severity: High,
        keywords: &["xoxe"],
        regex: r"\b(xoxe(?:\.xox[bp])?-[0-9]-[A-Za-z0-9]{140,170})\b",
        description: "Finds Slack app configuration access and refresh tokens (xoxe-, xoxe.xoxp-), which create and change apps of a workspace. Revoke them under Your Apps > configuration tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-slack-webhook-url",
        title: "Slack incoming webhook URL",
        severity: High,
        keywords: &["hooks.slack.com"],
        regex: r"hooks\.slack\.com/(?:services|workflows|triggers)/(T[A-Z0-9]{8,11}/[A-Z0-9]{9,12}/[A-Za-z0-9]{20,90})",
        description: "Finds Slack incoming webhook and workflow trigger URLs. Anyone with the URL can post messages into the channel, which makes phishing easy. Delete the webhook in the app's Incoming Webhooks page and create a new one.",
        ..BASE
    },
    // Payments.
    RuleSpec {
        id: "secret-stripe-secret-key",
        title: "Stripe live secret key",
        severity: Critical,
        keywords: &["sk_live_"],
        regex: r"\b(sk_live_[A-Za-z0-9]{24,247})\b",
        description: "Finds Stripe live-mode secret keys (sk_live_). They can create charges, refunds and payouts and read customer data. Roll the key in the Stripe dashboard under Developers > API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-stripe-restricted-key",
        title: "Stripe live restricted key",
        severity: High,
        keywords: &["rk_live_"],
        regex: r"\b(rk_live_[A-Za-z0-9]{24,247})\b",
        description: "Finds Stripe live-mode restricted keys (rk_live_), which carry a subset of the secret key's permissions. Roll or delete the key under Developers > API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-stripe-test-key",
        title: "Stripe test-mode key",
        severity: Low,
        keywords: &["sk_test_", "rk_test_"],
        regex: r"\b([sr]k_test_[A-Za-z0-9]{24,247})\b",
        description: "Finds Stripe test-mode secret and restricted keys. They cannot move money, but they expose test data and account configuration. Roll the key in test mode if the file is public.",
        ..BASE
    },
    RuleSpec {
        id: "secret-stripe-webhook-secret",
        title: "Stripe webhook signing secret",
        severity: Medium,
        keywords: &["whsec_"],
        regex: r"\b(whsec_[A-Za-z0-9]{32,64})\b",
        description: "Finds Stripe webhook signing secrets (whsec_). With it, others can forge webhook events that the application trusts. Roll the secret of the endpoint under Developers > Webhooks.",
        ..BASE
    },
    RuleSpec {
        id: "secret-square-access-token",
        title: "Square access token",
        severity: Critical,
        keywords: &["sq0atp-", "eaaa"],
        regex: r"\b(sq0atp-[A-Za-z0-9_\-]{22}|EAAA[A-Za-z0-9_\-+=]{60})(?:[^A-Za-z0-9_\-+=]|$)",
        entropy: Some(3.5),
        description: "Finds Square access tokens (EAAA or legacy sq0atp- prefix), which take payments and read merchant data. Revoke the token in the Square Developer Dashboard and issue a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-square-oauth-secret",
        title: "Square OAuth application secret",
        severity: Critical,
        keywords: &["sq0csp-"],
        regex: r"\b(sq0csp-[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Square OAuth application secrets (sq0csp-), which let others obtain tokens for merchants of the application. Replace the secret in the Square Developer Dashboard.",
        ..BASE
    },
    RuleSpec {
        id: "secret-braintree-access-token",
        title: "PayPal Braintree access token",
        severity: Critical,
        keywords: &["access_token$production$"],
        regex: r"\b(access_token\$production\$[a-z0-9]{16}\$[a-f0-9]{32})\b",
        description: "Finds PayPal Braintree production access tokens (access_token$production$...). They take payments and read transactions of the merchant. Revoke the token in the PayPal developer dashboard or Braintree control panel.",
        ..BASE
    },
    RuleSpec {
        id: "secret-plaid-access-token",
        title: "Plaid access token",
        severity: High,
        keywords: &[
            "access-sandbox-",
            "access-development-",
            "access-production-",
        ],
        regex: r"\b(access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        description: "Finds Plaid access tokens, which read a user's linked bank accounts. Rotate the token with /item/access_token/invalidate.",
        ..BASE
    },
    RuleSpec {
        id: "secret-shippo-api-token",
        title: "Shippo API token",
        severity: High,
        keywords: &["shippo_"],
        regex: r"\b(shippo_(?:live|test)_[a-f0-9]{40})\b",
        description: "Finds Shippo API tokens, which buy shipping labels on the account. Regenerate the token in the Shippo API settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-easypost-api-key",
        title: "EasyPost API key",
        severity: High,
        keywords: &["ezak"],
        regex: r"\b(EZ[AT]K[A-Za-z0-9]{54})\b",
        description: "Finds EasyPost production (EZAK) and test (EZTK) API keys, which buy postage on the account. Disable the key in the EasyPost dashboard and create a new one.",
        ..BASE
    },
    // Messaging and email.
    RuleSpec {
        id: "secret-twilio-api-key",
        title: "Twilio API key SID",
        severity: High,
        keywords: &["sk"],
        regex: r"\b(SK[0-9a-f]{32})\b",
        description: "Finds Twilio API key SIDs (SK followed by 32 hex digits), which are stored next to the key's secret. Delete the API key in the Twilio console and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-twilio-auth-token",
        title: "Twilio auth token",
        severity: High,
        keywords: &["twilio"],
        regex: assignment!(
            r"twilio[A-Za-z0-9_\-]{0,20}(?:auth|token|secret)",
            r"[0-9a-f]{32}"
        ),
        description: "Finds a Twilio account auth token assigned to a variable named like TWILIO_AUTH_TOKEN. The token controls the whole account, including phone numbers and billing. Rotate it in the Twilio console (promote the secondary token).",
        ..BASE
    },
    RuleSpec {
        id: "secret-sendgrid-api-key",
        title: "SendGrid API key",
        severity: High,
        keywords: &["sg."],
        regex: r"\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Twilio SendGrid API keys (SG. prefix), which send mail as the account's verified domains. Delete the key under Settings > API Keys and create a new one with restricted scopes.",
        ..BASE
    },
    RuleSpec {
        id: "secret-mailgun-api-key",
        title: "Mailgun API key",
        severity: High,
        keywords: &["mailgun"],
        regex: assignment!(
            "mailgun",
            r"key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}"
        ),
        description: "Finds a Mailgun API key assigned to a variable named like MAILGUN_API_KEY. It sends mail from the account's domains and reads stored messages. Delete the key under API Security and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-mailchimp-api-key",
        title: "Mailchimp API key",
        severity: High,
        keywords: &["-us"],
        regex: r"\b([0-9a-f]{32}-us[0-9]{1,2})\b",
        description: "Finds Mailchimp marketing API keys (32 hex digits and a data-centre suffix such as -us6). They read and change audiences and send campaigns. Revoke the key under Account > Extras > API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-brevo-api-key",
        title: "Brevo (Sendinblue) API key",
        severity: High,
        keywords: &["xkeysib-"],
        regex: r"\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b",
        description: "Finds Brevo (formerly Sendinblue) API keys (xkeysib-), which send mail and read contacts. Delete the key under SMTP & API and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-discord-bot-token",
        title: "Discord bot token",
        severity: High,
        keywords: &["discord"],
        regex: assignment!(
            "discord",
            r"[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}"
        ),
        description: "Finds a Discord bot token assigned to a variable named like DISCORD_TOKEN. It logs in as the bot in every server that added it. Reset the token on the Bot page of the Discord developer portal.",
        ..BASE
    },
    RuleSpec {
        id: "secret-discord-webhook-url",
        title: "Discord webhook URL",
        severity: Medium,
        keywords: &["/api/webhooks/"],
        regex: r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/([0-9]{17,20}/[A-Za-z0-9_\-]{60,68})",
        description: "Finds Discord webhook URLs. Anyone with the URL can post into the channel as the webhook. Delete the webhook under the channel's Integrations settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-telegram-bot-token",
        title: "Telegram bot token",
        severity: High,
        keywords: &[":aa"],
        regex: r"\b([0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Telegram Bot API tokens (numeric bot ID, a colon, then 35 characters starting with AA). Whoever holds it controls the bot and reads its messages. Revoke the token with /revoke in a chat with @BotFather.",
        ..BASE
    },
    // Package registries.
    RuleSpec {
        id: "secret-npm-access-token",
        title: "npm access token",
        severity: Critical,
        keywords: &["npm_"],
        regex: r"\b(npm_[A-Za-z0-9]{36})\b",
        description: "Finds npm access tokens (npm_). A publish token lets others release malicious versions of every package the user maintains. Revoke the token with `npm token revoke` or on npmjs.com and create a granular token.",
        ..BASE
    },
    RuleSpec {
        id: "secret-npmrc-auth",
        title: "npm registry credential in .npmrc",
        severity: High,
        keywords: &["_auth", "_password"],
        regex: r#"(?m)^[ \t]*(?://[^\s=]+/:)?_(?:authToken|auth|password)[ \t]*=[ \t]*["']?([A-Za-z0-9+/=_.\-]{16,})["']?[ \t]*\r?$"#,
        entropy: Some(3.0),
        description: "Finds _authToken, _auth and _password entries of .npmrc files, which authenticate to npm or a private registry. Revoke the token in the registry, and pass it at build time through an environment variable or a build secret instead of writing it into the image.",
        ..BASE
    },
    RuleSpec {
        id: "secret-pypi-token",
        title: "PyPI API token",
        severity: Critical,
        keywords: &["pypi-ageichlwas5vcmc"],
        regex: r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
        description: "Finds PyPI API tokens (pypi-AgEIcHlwaS5vcmc...). They upload releases of the user's or project's packages. Remove the token under Account settings > API tokens on pypi.org and prefer trusted publishing.",
        ..BASE
    },
    RuleSpec {
        id: "secret-testpypi-token",
        title: "TestPyPI API token",
        severity: Low,
        keywords: &["pypi-agendgvzdc5wexbplm9yzw"],
        regex: r"\b(pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_\-]{50,})",
        description: "Finds TestPyPI API tokens. They only reach the test index, but they often sit next to production credentials. Remove the token in the TestPyPI account settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-rubygems-api-key",
        title: "RubyGems API key",
        severity: High,
        keywords: &["rubygems_"],
        regex: r"\b(rubygems_[a-f0-9]{48})\b",
        description: "Finds RubyGems.org API keys (rubygems_), which push and yank gems. Delete the key in the RubyGems.org API keys settings and create a scoped one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-nuget-api-key",
        title: "NuGet API key",
        severity: High,
        keywords: &["oy2"],
        regex: r"\b(oy2[a-z0-9]{43})\b",
        entropy: Some(3.5),
        description: "Finds nuget.org API keys (oy2 prefix, 46 characters), which push packages. Regenerate or delete the key under API Keys on nuget.org.",
        ..BASE
    },
    RuleSpec {
        id: "secret-crates-io-token",
        title: "crates.io API token",
        severity: High,
        keywords: &["cio"],
        regex: r"\b(cio[A-Za-z0-9]{32})\b",
        entropy: Some(3.8),
        description: "Finds crates.io API tokens (cio followed by 32 characters), which publish and yank crates. Revoke the token under Account Settings > API Tokens on crates.io and prefer trusted publishing.",
        ..BASE
    },
    RuleSpec {
        id: "secret-docker-hub-pat",
        title: "Docker Hub personal access token",
        severity: High,
        keywords: &["dckr_pat_"],
        regex: r"\b(dckr_pat_[A-Za-z0-9_\-]{27})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Docker Hub personal access tokens (dckr_pat_). With write scope they push images to the user's repositories. Delete the token under Account settings > Personal access tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-docker-hub-org-token",
        title: "Docker Hub organization access token",
        severity: High,
        keywords: &["dckr_oat_"],
        regex: r"\b(dckr_oat_[A-Za-z0-9_\-]{32})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Docker Hub organization access tokens (dckr_oat_), which reach the organization's repositories. Delete the token in the organization's access token settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-docker-config-auth",
        title: "Registry credential in Docker config.json",
        severity: High,
        keywords: &["\"auth\""],
        regex: r#""auth"\s*:\s*"([A-Za-z0-9+/]{12,}={0,2})""#,
        description: "Finds the base64 user:password value of \"auth\" entries in Docker and Podman config.json files. Images built with a copied ~/.docker directory leak registry logins this way. Change the registry password or token, and use a credential helper or build secrets.",
        ..BASE
    },
    RuleSpec {
        id: "secret-jfrog-api-key",
        title: "JFrog Artifactory API key",
        severity: High,
        keywords: &["akcp"],
        regex: r"\b(AKCp[A-Za-z0-9]{69})\b",
        description: "Finds JFrog Artifactory API keys (AKCp prefix), which read and deploy artifacts as the user. Revoke the API key in the user profile and switch to access tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-jfrog-reference-token",
        title: "JFrog reference token",
        severity: High,
        keywords: &["cmvmdgtu"],
        regex: r"\b(cmVmdGtu[A-Za-z0-9]{56})\b",
        description: "Finds JFrog identity reference tokens (base64 of reftkn), which act as the token's user on the JFrog platform. Revoke the token under Administration > Identity and Access > Access Tokens.",
        ..BASE
    },
    // HashiCorp.
    RuleSpec {
        id: "secret-vault-service-token",
        title: "HashiCorp Vault service token",
        severity: Critical,
        keywords: &["hvs."],
        regex: r"\b(hvs\.[A-Za-z0-9_\-]{90,120})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds HashiCorp Vault service tokens (hvs.), which read the secrets their policies allow. Revoke the token with `vault token revoke` and check the audit log for its use.",
        ..BASE
    },
    RuleSpec {
        id: "secret-vault-batch-token",
        title: "HashiCorp Vault batch token",
        severity: High,
        keywords: &["hvb."],
        regex: r"\b(hvb\.[A-Za-z0-9_\-]{138,300})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds HashiCorp Vault batch tokens (hvb.). They cannot be revoked one by one and stay valid until their TTL ends, so rotate the secrets they could read and revoke the parent token or lease.",
        ..BASE
    },
    RuleSpec {
        id: "secret-terraform-cloud-token",
        title: "Terraform Cloud API token",
        severity: Critical,
        keywords: &[".atlasv1."],
        regex: r"\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_\-=]{60,70})(?:[^A-Za-z0-9_\-=]|$)",
        description: "Finds Terraform Cloud and Terraform Enterprise API tokens (.atlasv1.), which run plans and applies and read state with all its secrets. Delete the token under User or Organization settings > Tokens.",
        ..BASE
    },
    // Private keys.
    RuleSpec {
        id: "secret-private-key-rsa",
        title: "RSA private key (PKCS#1)",
        severity: Critical,
        keywords: &["begin rsa private key"],
        regex: pem_key!("RSA PRIVATE KEY"),
        description: "Finds unencrypted PEM RSA private keys (BEGIN RSA PRIVATE KEY). A private key in an image lets anyone impersonate the server, user or signer it belongs to. Replace the key pair, revoke certificates issued for it, and mount keys at run time instead of baking them into images.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-ec",
        title: "EC private key (SEC 1)",
        severity: Critical,
        keywords: &["begin ec private key"],
        regex: pem_key!("EC PRIVATE KEY"),
        description: "Finds unencrypted PEM elliptic-curve private keys (BEGIN EC PRIVATE KEY). Replace the key pair, revoke certificates issued for it, and mount keys at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-dsa",
        title: "DSA private key",
        severity: High,
        keywords: &["begin dsa private key"],
        regex: pem_key!("DSA PRIVATE KEY"),
        description: "Finds unencrypted PEM DSA private keys (BEGIN DSA PRIVATE KEY). DSA is obsolete. Replace the key pair with an Ed25519 or ECDSA key and remove the old public key from authorized_keys files.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-openssh",
        title: "OpenSSH private key",
        severity: Critical,
        keywords: &["begin openssh private key"],
        regex: r#"-----BEGIN OPENSSH PRIVATE KEY-----(?:\s|\\[rn])*(b3BlbnNzaC1rZXktdjE[A-Za-z0-9+/=\s\\]{40,}?)(?:\s|\\[rn])*-----END OPENSSH PRIVATE KEY-----"#,
        description: "Finds OpenSSH-format private keys (BEGIN OPENSSH PRIVATE KEY). The format does not show whether a passphrase protects the key, so every such key is reported. Remove the public key from authorized_keys on every host, create a new key pair, and use SSH agent forwarding or build secrets.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-pkcs8",
        title: "Private key (PKCS#8)",
        severity: Critical,
        keywords: &["begin private key"],
        regex: pem_key!("PRIVATE KEY"),
        description: "Finds unencrypted PKCS#8 private keys (BEGIN PRIVATE KEY) of any algorithm, the default output of current OpenSSL. Replace the key pair, revoke certificates issued for it, and mount keys at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-pgp",
        title: "PGP private key block",
        severity: Critical,
        keywords: &["begin pgp private key block"],
        regex: r#"-----BEGIN PGP PRIVATE KEY BLOCK-----(?:\s|\\[rn])*(?:[A-Za-z][A-Za-z\-]*: [^\r\n\\]*(?:\r?\n|\\r?\\n))*(?:\s|\\[rn])*([A-Za-z0-9+/][A-Za-z0-9+/=\s\\]{63,}?)(?:\s|\\[rn])*-----END PGP PRIVATE KEY BLOCK-----"#,
        description: "Finds armored OpenPGP secret key blocks, which sign packages, commits and mail as their owner. Revoke the key with a revocation certificate, publish the revocation, and create a new key.",
        ..BASE
    },
    RuleSpec {
        id: "secret-private-key-encrypted",
        title: "Encrypted private key",
        severity: Medium,
        keywords: &["begin encrypted private key", "4,encrypted"],
        regex: r#"(?:-----BEGIN ENCRYPTED PRIVATE KEY-----(?:\s|\\[rn])*|-----BEGIN (?:RSA|EC|DSA) PRIVATE KEY-----(?:\s|\\[rn])*Proc-Type:[ \t]*4,ENCRYPTED(?:\s|\\[rn])*DEK-Info:[^\r\n\\]*(?:\s|\\[rn])*)([A-Za-z0-9+/][A-Za-z0-9+/=\s\\]{63,}?)(?:\s|\\[rn])*-----END (?:ENCRYPTED |RSA |EC |DSA )?PRIVATE KEY-----"#,
        description: "Finds passphrase-protected private keys (BEGIN ENCRYPTED PRIVATE KEY, or a PEM key with Proc-Type: 4,ENCRYPTED). The passphrase slows an attacker down, but weak passphrases fall to offline guessing, and the passphrase often sits in the same image. Treat the key as exposed if the passphrase is weak or stored nearby.",
        ..BASE
    },
    RuleSpec {
        id: "secret-putty-private-key",
        title: "PuTTY private key",
        severity: High,
        keywords: &["putty-user-key-file-"],
        regex: r"PuTTY-User-Key-File-[23]: [^\r\n]+\r?\nEncryption: none\r?\n(?:[^\r\n]*\r?\n){0,8}?Private-Lines: [0-9]+\r?\n([A-Za-z0-9+/=\r\n]{64,}?)\r?\nPrivate-(?:MAC|Hash): ",
        description: "Finds unencrypted PuTTY .ppk private keys (Encryption: none). Remove the public key from authorized_keys on every host and create a new key pair.",
        ..BASE
    },
    RuleSpec {
        id: "secret-kubeconfig-client-key",
        title: "Kubernetes client key in kubeconfig",
        severity: Critical,
        keywords: &["client-key-data"],
        regex: r#"client-key-data:[ \t]*["']?(LS0tLS1CRUdJTi[A-Za-z0-9+/=]{100,})"#,
        description: "Finds base64-encoded client private keys (client-key-data) in kubeconfig files. They authenticate to the cluster as the certificate's user, often cluster-admin. Client certificates cannot be revoked in Kubernetes, so rotate the cluster CA or remove the user's role bindings.",
        ..BASE
    },
    // Tokens and credentials in common formats.
    RuleSpec {
        id: "secret-jwt",
        title: "JSON Web Token",
        severity: Medium,
        keywords: &["eyj"],
        regex: r"\b(eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})",
        description: "Finds signed JSON Web Tokens (three base64url parts, header and payload starting with eyJ). A bearer token grants its claims to whoever presents it until it expires, and long-lived service tokens are common. Revoke the token or rotate the signing key, and issue short-lived tokens at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-url-password",
        title: "Password in URL",
        severity: High,
        keywords: &["://"],
        regex: r#"\b[A-Za-z][A-Za-z0-9+.\-]{1,30}://[^\s:/@'"<>\[\]{}$]{1,64}:([^\s/@'"<>\[\]{}]{3,128})@[A-Za-z0-9\-_]+(?:\.[A-Za-z0-9\-_]+)*"#,
        // "pässword" percent-encoded, from the uri_to_iri and iri_to_uri
        // doctests in werkzeug/urls.py (Werkzeug 0.14.1, a Flask
        // dependency). Its percent-escapes supply the digits that the
        // generic letters-and-digits check requires, so only this exact
        // value is allowed.
        allow: &["p%C3%A4ssword"],
        generic: true,
        description: "Finds URLs with an embedded password (scheme://user:password@host), typical of database, broker and Git remote URLs. The password often works elsewhere too. Change the password and pass the URL through an environment variable or secret store at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-http-basic-auth",
        title: "HTTP basic authentication header",
        severity: Medium,
        keywords: &["authorization"],
        regex: r#"(?i:authorization)["']?[ \t]*[:=][ \t]*["']?(?i:basic)[ \t]+([A-Za-z0-9+/]{12,}={0,2})"#,
        entropy: Some(3.0),
        description: "Finds hard-coded HTTP Authorization: Basic headers, whose value is the base64 of user:password. Change the password and read it from configuration at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-http-bearer-token",
        title: "HTTP bearer token header",
        severity: Medium,
        keywords: &["authorization"],
        regex: r#"(?i:authorization)["']?[ \t]*[:=][ \t]*["']?(?i:bearer)[ \t]+([A-Za-z0-9_\-.~+/]{20,}=*)"#,
        entropy: Some(3.5),
        generic: true,
        description: "Finds hard-coded HTTP Authorization: Bearer headers with a literal token. Revoke the token at its issuer and read it from configuration at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-shadow-password-hash",
        title: "Password hash in shadow file",
        severity: Medium,
        keywords: &[
            "$1$", "$2a$", "$2b$", "$2y$", "$5$", "$6$", "$y$", "$gy$", "$7$",
        ],
        regex: r"(?m)^[a-z_][a-z0-9_\-]{0,31}:(\$(?:1|2[aby]|5|6|y|gy|7)\$[^:\s]{8,}):[0-9]*:",
        description: "Finds crypt(3) password hashes in /etc/shadow-style lines. Base images lock every account, so a hash means someone set a password at build time, and weak passwords fall to offline guessing. Lock the account (passwd -l) or remove the password, and use keys or run-time secrets.",
        ..BASE
    },
    RuleSpec {
        id: "secret-generic-assignment",
        title: "Generic secret assignment",
        severity: Medium,
        keywords: &[
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "apikey",
            "api_key",
            "api-key",
            "accesskey",
            "access_key",
            "access-key",
            "authkey",
            "auth_key",
            "auth-key",
            "privatekey",
            "private_key",
            "private-key",
            "credential",
        ],
        regex: r#"(?P<name>(?i:[A-Za-z0-9_.\-]{0,20}(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key|private[_\-]?key|credential)[A-Za-z0-9_.\-]{0,20}))["']?[ \t]*(?:=|:|=>|:=)[ \t]*["']([^"'\s]{10,128})["']"#,
        secret_group: 2,
        entropy: Some(3.5),
        generic: true,
        description: "Finds a quoted high-entropy value (Shannon entropy of at least 3.5 bits per character, with letters and digits) assigned to a name containing password, secret, token, api_key, access_key, private_key or credential. This catches credentials of services without a recognisable token format. Change the credential at its service and load it from a secret store at run time.",
        ..BASE
    },
    RuleSpec {
        id: "secret-generic-env-assignment",
        title: "Generic secret in environment file",
        severity: Medium,
        keywords: &[
            "password",
            "passwd",
            "secret",
            "token",
            "apikey",
            "api_key",
            "accesskey",
            "access_key",
            "authkey",
            "auth_key",
            "privatekey",
            "private_key",
            "credential",
        ],
        regex: r#"(?m)^[ \t]*(?:export[ \t]+|ENV[ \t]+|ARG[ \t]+)?(?P<name>(?i:[A-Za-z0-9_]{0,30}(?:password|passwd|secret|token|api_?key|access_?key|auth_?key|private_?key|credential)[A-Za-z0-9_]{0,30}))=([^\s"'$#;`]{10,128})[ \t]*\r?$"#,
        secret_group: 2,
        entropy: Some(3.5),
        generic: true,
        description: "Finds an unquoted high-entropy value (at least 3.5 bits per character, with letters and digits) in a NAME=value line of an env file, shell script or Dockerfile ENV/ARG, where the name contains PASSWORD, SECRET, TOKEN, API_KEY, ACCESS_KEY, PRIVATE_KEY or CREDENTIAL. Change the credential and inject it at run time instead of building it into the image.",
        ..BASE
    },
    // SaaS and developer platforms.
    RuleSpec {
        id: "secret-shopify-access-token",
        title: "Shopify access token",
        severity: High,
        keywords: &["shpat_"],
        regex: r"\b(shpat_[a-fA-F0-9]{32})\b",
        description: "Finds Shopify Admin API access tokens (shpat_), which read and change the store's products, orders and customers. Uninstall and reinstall the app, or rotate the token in the app settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-shopify-custom-app-token",
        title: "Shopify custom app access token",
        severity: High,
        keywords: &["shpca_"],
        regex: r"\b(shpca_[a-fA-F0-9]{32})\b",
        description: "Finds Shopify custom app access tokens (shpca_). Rotate the token by reinstalling the custom app in the store admin.",
        ..BASE
    },
    RuleSpec {
        id: "secret-shopify-private-app-token",
        title: "Shopify private app password",
        severity: High,
        keywords: &["shppa_"],
        regex: r"\b(shppa_[a-fA-F0-9]{32})\b",
        description: "Finds Shopify private app passwords (shppa_). Delete the private app in the store admin and create a custom app instead.",
        ..BASE
    },
    RuleSpec {
        id: "secret-shopify-shared-secret",
        title: "Shopify app shared secret",
        severity: High,
        keywords: &["shpss_"],
        regex: r"\b(shpss_[a-fA-F0-9]{32})\b",
        description: "Finds Shopify app shared secrets (shpss_), which verify webhooks and OAuth requests. Rotate the client secret in the Partner Dashboard.",
        ..BASE
    },
    RuleSpec {
        id: "secret-heroku-api-key",
        title: "Heroku API key",
        severity: High,
        keywords: &["hrku-aa"],
        regex: r"\b(HRKU-AA[A-Za-z0-9_\-]{58})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Heroku platform API keys and OAuth tokens (HRKU-AA prefix), which deploy and configure the user's apps. Regenerate the API key in Account settings or revoke the authorization.",
        ..BASE
    },
    RuleSpec {
        id: "secret-heroku-api-key-legacy",
        title: "Heroku API key (UUID format)",
        severity: High,
        keywords: &["heroku"],
        regex: assignment!(
            "heroku",
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
        ),
        description: "Finds a UUID-format Heroku API key assigned to a variable named like HEROKU_API_KEY. Regenerate the API key in the Heroku account settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-datadog-api-key",
        title: "Datadog API key",
        severity: High,
        keywords: &["datadog", "dd_api", "dd-api", "ddapi"],
        regex: assignment!(r"(?:datadog|dd)[_\-]?api[_\-]?key", r"[0-9a-f]{32}"),
        description: "Finds a Datadog API key assigned to a variable named like DD_API_KEY. It submits metrics, logs and events to the organization. Revoke the key under Organization Settings > API Keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-datadog-app-key",
        title: "Datadog application key",
        severity: High,
        keywords: &["datadog", "dd_app", "dd-app", "ddapp"],
        regex: assignment!(
            r"(?:datadog|dd)[_\-]?app(?:lication)?[_\-]?key",
            r"[0-9a-f]{40}"
        ),
        description: "Finds a Datadog application key assigned to a variable named like DD_APP_KEY. Together with an API key it reads and changes dashboards, monitors and data as its user. Revoke the key under Organization Settings > Application Keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-newrelic-user-api-key",
        title: "New Relic user API key",
        severity: High,
        keywords: &["nrak-"],
        regex: r"\b(NRAK-[A-Z0-9]{27})\b",
        description: "Finds New Relic user API keys (NRAK-), which query data and change configuration as the user through NerdGraph. Delete the key in the API keys UI.",
        ..BASE
    },
    RuleSpec {
        id: "secret-newrelic-insert-key",
        title: "New Relic insert key",
        severity: Medium,
        keywords: &["nrii-"],
        regex: r"\b(NRII-[A-Za-z0-9_\-]{32})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds New Relic Insights insert keys (NRII-), which write events into the account. Delete the key and create a license key for ingestion instead.",
        ..BASE
    },
    RuleSpec {
        id: "secret-newrelic-license-key",
        title: "New Relic license key",
        severity: Medium,
        keywords: &["nral"],
        regex: r"\b([a-f0-9]{36}NRAL)\b",
        description: "Finds New Relic ingest license keys (40 characters ending in NRAL), which send telemetry into the account. Create a new license key and delete the old one in the API keys UI.",
        ..BASE
    },
    RuleSpec {
        id: "secret-sentry-org-token",
        title: "Sentry organization auth token",
        severity: High,
        keywords: &["sntrys_"],
        regex: r"\b(sntrys_eyJ[A-Za-z0-9+/=_\-]{60,})",
        description: "Finds Sentry organization auth tokens (sntrys_), used to upload source maps and create releases. Revoke the token under Settings > Auth Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-sentry-user-token",
        title: "Sentry user auth token",
        severity: High,
        keywords: &["sntryu_"],
        regex: r"\b(sntryu_[a-f0-9]{64})\b",
        description: "Finds Sentry user auth tokens (sntryu_), which call the Sentry API as the user with the token's scopes. Revoke the token under User settings > Auth Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-openai-api-key",
        title: "OpenAI API key",
        severity: Critical,
        keywords: &["t3blbkfj"],
        regex: r"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,160}T3BlbkFJ[A-Za-z0-9_\-]{20,160})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds OpenAI API keys (sk-, sk-proj-, sk-svcacct- and sk-admin- keys, which contain the T3BlbkFJ marker). They spend the organization's credit and read its files and fine-tuned models. Revoke the key on the API keys page of the OpenAI platform.",
        ..BASE
    },
    RuleSpec {
        id: "secret-anthropic-api-key",
        title: "Anthropic API key",
        severity: Critical,
        keywords: &["sk-ant-api03-"],
        regex: r"\b(sk-ant-api03-[A-Za-z0-9_\-]{93}AA)(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Anthropic API keys (sk-ant-api03-), which spend the workspace's credit. Delete the key in the Claude Console under API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-anthropic-admin-key",
        title: "Anthropic admin API key",
        severity: Critical,
        keywords: &["sk-ant-admin01-"],
        regex: r"\b(sk-ant-admin01-[A-Za-z0-9_\-]{93}AA)(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Anthropic Admin API keys (sk-ant-admin01-), which manage members, workspaces and API keys of the organization. Delete the key in the Claude Console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-huggingface-token",
        title: "Hugging Face access token",
        severity: High,
        keywords: &["hf_"],
        regex: r"\b(hf_[A-Za-z]{34})\b",
        entropy: Some(3.5),
        description: "Finds Hugging Face user access tokens (hf_), which read private models and datasets and, with write role, push to them. Invalidate the token under Settings > Access Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-groq-api-key",
        title: "Groq API key",
        severity: High,
        keywords: &["gsk_"],
        regex: r"\b(gsk_[A-Za-z0-9]{52})\b",
        description: "Finds Groq API keys (gsk_), which spend the account's inference credit. Delete the key in the GroqCloud console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-replicate-api-token",
        title: "Replicate API token",
        severity: High,
        keywords: &["r8_"],
        regex: r"\b(r8_[A-Za-z0-9]{37})\b",
        description: "Finds Replicate API tokens (r8_), which run models billed to the account. Disable the token under Account > API tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-perplexity-api-key",
        title: "Perplexity API key",
        severity: High,
        keywords: &["pplx-"],
        regex: r"\b(pplx-[A-Za-z0-9]{48})\b",
        description: "Finds Perplexity API keys (pplx-), which spend the account's API credit. Revoke the key in the API settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-xai-api-key",
        title: "xAI API key",
        severity: High,
        keywords: &["xai-"],
        regex: r"\b(xai-[A-Za-z0-9]{80})\b",
        description: "Finds xAI API keys (xai-), which spend the team's API credit. Delete the key in the xAI console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-langsmith-api-key",
        title: "LangSmith API key",
        severity: High,
        keywords: &["lsv2_"],
        regex: r"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
        description: "Finds LangSmith personal (lsv2_pt_) and service (lsv2_sk_) keys, which read traces that often contain prompts and user data. Delete the key in the LangSmith settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-databricks-token",
        title: "Databricks personal access token",
        severity: High,
        keywords: &["dapi"],
        regex: r"\b(dapi[a-f0-9]{32}(?:-[0-9])?)\b",
        description: "Finds Databricks personal access tokens (dapi followed by 32 hex digits), which run jobs and read data in the workspace as the user. Revoke the token under User Settings > Developer > Access tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-digitalocean-pat",
        title: "DigitalOcean personal access token",
        severity: High,
        keywords: &["dop_v1_"],
        regex: r"\b(dop_v1_[a-f0-9]{64})\b",
        description: "Finds DigitalOcean personal access tokens (dop_v1_), which create and delete droplets, volumes and other resources. Delete the token under API > Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-digitalocean-oauth-token",
        title: "DigitalOcean OAuth token",
        severity: High,
        keywords: &["doo_v1_", "dor_v1_"],
        regex: r"\b(do[or]_v1_[a-f0-9]{64})\b",
        description: "Finds DigitalOcean OAuth access (doo_v1_) and refresh (dor_v1_) tokens issued to applications. Revoke the application's access under API > OAuth Applications.",
        ..BASE
    },
    RuleSpec {
        id: "secret-linear-api-key",
        title: "Linear API key",
        severity: High,
        keywords: &["lin_api_"],
        regex: r"\b(lin_api_[A-Za-z0-9]{40})\b",
        description: "Finds Linear personal API keys (lin_api_), which read and change issues as the user. Revoke the key under Settings > API.",
        ..BASE
    },
    RuleSpec {
        id: "secret-okta-api-token",
        title: "Okta API token",
        severity: High,
        keywords: &["okta"],
        regex: assignment!("okta", r"00[A-Za-z0-9_\-]{40}"),
        entropy: Some(3.5),
        description: "Finds an Okta API token (42 characters starting with 00) assigned to a variable named like OKTA_API_TOKEN. It acts as the admin who created it. Revoke the token under Security > API > Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-postman-api-key",
        title: "Postman API key",
        severity: High,
        keywords: &["pmak-"],
        regex: r"\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
        description: "Finds Postman API keys (PMAK-), which read collections and environments that often hold further credentials. Revoke the key under Settings > API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-pulumi-access-token",
        title: "Pulumi access token",
        severity: High,
        keywords: &["pul-"],
        regex: r"\b(pul-[a-f0-9]{40})\b",
        description: "Finds Pulumi Cloud access tokens (pul-), which read stack state with its secrets and run deployments. Delete the token under Settings > Access Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-grafana-cloud-token",
        title: "Grafana Cloud access policy token",
        severity: High,
        keywords: &["glc_"],
        regex: r"\b(glc_[A-Za-z0-9+/]{32,400}={0,2})",
        description: "Finds Grafana Cloud access policy tokens (glc_), which read or write metrics, logs and traces of the stack. Delete the token in the Cloud Portal under Access Policies.",
        ..BASE
    },
    RuleSpec {
        id: "secret-grafana-service-account-token",
        title: "Grafana service account token",
        severity: High,
        keywords: &["glsa_"],
        regex: r"\b(glsa_[A-Za-z0-9]{32}_[a-f0-9]{8})\b",
        description: "Finds Grafana service account tokens (glsa_), which call the Grafana API with the service account's role. Delete the token under Administration > Service accounts.",
        ..BASE
    },
    RuleSpec {
        id: "secret-grafana-api-key",
        title: "Grafana API key (legacy)",
        severity: Medium,
        keywords: &["eyjrijoi"],
        regex: r"\b(eyJrIjoi[A-Za-z0-9]{60,400}={0,2})",
        description: "Finds legacy Grafana API keys (base64 JSON starting eyJrIjoi). Delete the key and migrate to service account tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-doppler-token",
        title: "Doppler token",
        severity: High,
        keywords: &[
            "dp.pt.",
            "dp.st.",
            "dp.sa.",
            "dp.ct.",
            "dp.scim.",
            "dp.audit.",
        ],
        regex: r"\b(dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})\b",
        description: "Finds Doppler personal, service, service account, CLI, SCIM and audit tokens (dp.pt., dp.st. and so on). Service tokens read every secret of their config. Revoke the token in the Doppler dashboard.",
        ..BASE
    },
    RuleSpec {
        id: "secret-dynatrace-token",
        title: "Dynatrace API token",
        severity: High,
        keywords: &["dt0c01."],
        regex: r"\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b",
        description: "Finds Dynatrace access tokens (dt0c01.), which ingest data or change the environment depending on their scopes. Revoke the token under Access tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-fastly-api-token",
        title: "Fastly API token",
        severity: High,
        keywords: &["fastly"],
        regex: assignment!("fastly", r"[A-Za-z0-9_\-]{32}"),
        entropy: Some(3.5),
        description: "Finds a Fastly API token assigned to a variable named like FASTLY_API_TOKEN. It purges caches and changes service configuration. Delete the token under Account > API tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-netlify-token",
        title: "Netlify access token",
        severity: High,
        keywords: &["nfp_"],
        regex: r"\b(nfp_[A-Za-z0-9]{36})\b",
        description: "Finds Netlify personal access tokens (nfp_), which deploy sites and read their environment variables. Revoke the token under User settings > Applications.",
        ..BASE
    },
    RuleSpec {
        id: "secret-cloudflare-api-token",
        title: "Cloudflare API token",
        severity: High,
        keywords: &["cloudflare", "cf_api"],
        regex: assignment!(r"cloudflare|cf_api", r"[A-Za-z0-9_\-]{40}"),
        entropy: Some(3.5),
        description: "Finds a 40-character Cloudflare API token assigned to a variable named like CLOUDFLARE_API_TOKEN or CF_API_TOKEN. It changes DNS, firewall and Workers settings within its permissions. Roll or delete the token under My Profile > API Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-cloudflare-origin-ca-key",
        title: "Cloudflare Origin CA key",
        severity: High,
        keywords: &["v1.0-"],
        regex: r"\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        description: "Finds Cloudflare Origin CA keys (v1.0-), which issue and revoke origin certificates for the account's zones. Change the key under My Profile > API Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-flyio-token",
        title: "Fly.io access token",
        severity: High,
        keywords: &["flyv1 fm"],
        regex: r"\b(FlyV1 fm[12]_[A-Za-z0-9+/=_,\-]{100,})",
        description: "Finds Fly.io macaroon tokens (FlyV1 fm1_/fm2_), which deploy and manage the organization's apps. Revoke the token with `fly tokens revoke`.",
        ..BASE
    },
    RuleSpec {
        id: "secret-render-api-key",
        title: "Render API key",
        severity: High,
        keywords: &["rnd_"],
        regex: r"\b(rnd_[A-Za-z0-9]{32})\b",
        description: "Finds Render API keys (rnd_), which manage every service of the account. Revoke the key under Account Settings > API Keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-supabase-token",
        title: "Supabase access token",
        severity: High,
        keywords: &["sbp_"],
        regex: r"\b(sbp_[a-f0-9]{40})\b",
        description: "Finds Supabase personal access tokens (sbp_), which manage the user's projects through the Management API. Revoke the token under Account > Access Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-planetscale-token",
        title: "PlanetScale token or password",
        severity: High,
        keywords: &["pscale_"],
        regex: r"\b(pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_\-.]{32,64})",
        description: "Finds PlanetScale service tokens, database passwords and OAuth tokens (pscale_tkn_, pscale_pw_, pscale_oauth_). Delete the token or password in the database or organization settings.",
        ..BASE
    },
    RuleSpec {
        id: "secret-airtable-pat",
        title: "Airtable personal access token",
        severity: High,
        keywords: &["pat"],
        regex: r"\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b",
        description: "Finds Airtable personal access tokens (pat, 14 characters, a dot and 64 hex digits), which read and write the bases within their scopes. Delete the token in the developer hub.",
        ..BASE
    },
    RuleSpec {
        id: "secret-notion-token",
        title: "Notion integration token",
        severity: High,
        keywords: &["ntn_"],
        regex: r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b",
        description: "Finds Notion integration tokens (ntn_), which read and edit the pages shared with the integration. Refresh the secret on the integration's settings page.",
        ..BASE
    },
    RuleSpec {
        id: "secret-figma-pat",
        title: "Figma personal access token",
        severity: Medium,
        keywords: &["figd_"],
        regex: r"\b(figd_[A-Za-z0-9_\-]{40})(?:[^A-Za-z0-9_\-]|$)",
        description: "Finds Figma personal access tokens (figd_), which read the user's files and comments. Revoke the token under Settings > Security.",
        ..BASE
    },
    RuleSpec {
        id: "secret-mapbox-secret-token",
        title: "Mapbox secret token",
        severity: Medium,
        keywords: &["sk.eyj1ijoi"],
        regex: r"\b(sk\.eyJ1Ijoi[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{22})\b",
        description: "Finds Mapbox secret access tokens (sk.eyJ1Ijoi...), which upload data and manage styles and tokens. Delete the token on the Mapbox account's Access tokens page.",
        ..BASE
    },
    RuleSpec {
        id: "secret-sonarqube-token",
        title: "SonarQube token",
        severity: Medium,
        keywords: &["sqp_", "squ_", "sqa_"],
        regex: r"\b(sq[pua]_[a-f0-9]{40})\b",
        description: "Finds SonarQube project, user and global analysis tokens (sqp_, squ_, sqa_), which submit analyses and read source code. Revoke the token under My Account > Security.",
        ..BASE
    },
    RuleSpec {
        id: "secret-buildkite-token",
        title: "Buildkite API access token",
        severity: High,
        keywords: &["bkua_"],
        regex: r"\b(bkua_[a-f0-9]{40})\b",
        description: "Finds Buildkite user API access tokens (bkua_), which trigger builds and read pipelines. Revoke the token under Personal Settings > API Access Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-circleci-pat",
        title: "CircleCI personal API token",
        severity: High,
        keywords: &["ccipat_"],
        regex: r"\b(CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b",
        description: "Finds CircleCI personal API tokens (CCIPAT_), which trigger pipelines and read project environment variables. Delete the token under User Settings > Personal API Tokens.",
        ..BASE
    },
    RuleSpec {
        id: "secret-alibaba-access-key-id",
        title: "Alibaba Cloud AccessKey ID",
        severity: High,
        keywords: &["ltai"],
        regex: r"\b(LTAI[A-Za-z0-9]{12,20})\b",
        entropy: Some(3.0),
        description: "Finds Alibaba Cloud AccessKey IDs (LTAI prefix), which are stored next to their AccessKey secret. Disable and delete the AccessKey pair in the RAM console and create a new one.",
        ..BASE
    },
    RuleSpec {
        id: "secret-alibaba-access-key-secret",
        title: "Alibaba Cloud AccessKey secret",
        severity: Critical,
        keywords: &["alibaba", "aliyun", "alicloud"],
        regex: assignment!(
            r"(?:alibaba|aliyun|alicloud)[A-Za-z0-9_\-]{0,20}secret",
            r"[A-Za-z0-9]{30}"
        ),
        entropy: Some(3.5),
        description: "Finds a 30-character Alibaba Cloud AccessKey secret assigned to a variable named like ALIBABA_CLOUD_ACCESS_KEY_SECRET. With the ID it signs API calls as the RAM user. Disable and delete the AccessKey pair in the RAM console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-tencent-secret-id",
        title: "Tencent Cloud SecretId",
        severity: High,
        keywords: &["akid"],
        regex: r"\b(AKID[A-Za-z0-9]{32})\b",
        entropy: Some(3.5),
        description: "Finds Tencent Cloud API SecretIds (AKID prefix), which are stored next to their SecretKey. Disable and delete the key pair in the CAM console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-tencent-secret-key",
        title: "Tencent Cloud SecretKey",
        severity: Critical,
        keywords: &["tencent", "qcloud"],
        regex: assignment!(
            r"(?:tencent|qcloud)[A-Za-z0-9_\-]{0,20}secret[_\-]?key",
            r"[A-Za-z0-9]{32}"
        ),
        entropy: Some(3.5),
        description: "Finds a Tencent Cloud SecretKey assigned to a variable named like TENCENTCLOUD_SECRET_KEY. With the SecretId it signs API calls. Disable and delete the key pair in the CAM console.",
        ..BASE
    },
    RuleSpec {
        id: "secret-age-secret-key",
        title: "age secret key",
        severity: Critical,
        keywords: &["age-secret-key-1"],
        regex: r"\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        description: "Finds age encryption identities (AGE-SECRET-KEY-1 in Bech32), which decrypt every file encrypted to the matching recipient, including SOPS files. Create a new identity, re-encrypt the files to it, and remove the old recipient.",
        ..BASE
    },
    RuleSpec {
        id: "secret-onepassword-service-account-token",
        title: "1Password service account token",
        severity: Critical,
        keywords: &["ops_eyj"],
        regex: r"\b(ops_eyJ[A-Za-z0-9+/]{250,}={0,3})",
        description: "Finds 1Password service account tokens (ops_eyJ...), which read the vaults granted to the service account. Revoke the token in the 1Password admin console under Developer > Service Accounts.",
        ..BASE
    },
    RuleSpec {
        id: "secret-onepassword-secret-key",
        title: "1Password account Secret Key",
        severity: Critical,
        keywords: &["a3-"],
        regex: r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        description: "Finds 1Password account Secret Keys (A3-...), half of what decrypts a user's vaults. Change the account password and regenerate the Secret Key in the account's profile.",
        ..BASE
    },
    RuleSpec {
        id: "secret-octopus-deploy-api-key",
        title: "Octopus Deploy API key",
        severity: High,
        keywords: &["api-"],
        regex: r"\b(API-[A-Z0-9]{26})\b",
        entropy: Some(3.0),
        description: "Finds Octopus Deploy API keys (API- followed by 26 characters), which deploy releases as the user. Revoke the key under Profile > My API Keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-prefect-api-key",
        title: "Prefect API key",
        severity: High,
        keywords: &["pnu_"],
        regex: r"\b(pnu_[A-Za-z0-9]{36})\b",
        description: "Finds Prefect Cloud API keys (pnu_), which run flows and read blocks with stored credentials. Delete the key under Profile > API keys.",
        ..BASE
    },
    RuleSpec {
        id: "secret-dropbox-token",
        title: "Dropbox access token",
        severity: High,
        keywords: &["sl."],
        regex: r"\b(sl\.[A-Za-z0-9_\-]{130,152})(?:[^A-Za-z0-9_\-]|$)",
        entropy: Some(4.0),
        description: "Finds Dropbox short-lived access tokens (sl.), which read and write the user's files within the app's permission. Revoke the token through /2/auth/token/revoke and keep refresh tokens out of images.",
        ..BASE
    },
];
