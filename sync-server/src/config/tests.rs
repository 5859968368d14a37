//! Tests of the relay's configuration: sources and precedence, validation, secrets kept out
//! of logs.

use std::collections::HashMap;

use super::*;

fn load(
    dir: &Path,
    file: Option<&str>,
    env: &[(&str, &str)],
    bind: Option<&str>,
) -> Result<Config, ConfigError> {
    let config_file = file.map(|text| {
        let path = dir.join("custom.toml");
        std::fs::write(&path, text).unwrap();
        path
    });
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |k: &str| env.get(k).cloned();
    Config::load(&ConfigSources {
        data_dir: dir.to_owned(),
        config_file,
        bind: bind.map(str::to_owned),
        env: &lookup,
    })
}

#[test]
fn defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let c = load(tmp.path(), None, &[], None).unwrap();
    assert_eq!(c.bind, "127.0.0.1:8080");
    assert_eq!(c.session_ttl, Duration::from_secs(720 * 3600));
    assert_eq!(c.max_body_bytes, 1024 * 1024);
    assert!(c.allowed_origins.is_empty());
    assert_eq!(c.login_rate_limit, RateLimit::default());
}

#[test]
fn layers_override_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let file = r#"
        bind = "0.0.0.0:1"
        allowed_origins = ["https://File.example"]
        session_ttl_hours = 2
        [login_rate_limit]
        burst = 3
    "#;
    let c = load(tmp.path(), Some(file), &[], None).unwrap();
    assert_eq!(c.bind, "0.0.0.0:1");
    assert_eq!(c.allowed_origins, vec!["https://file.example"]);
    assert_eq!(c.session_ttl, Duration::from_secs(7200));
    assert_eq!(c.login_rate_limit.burst, 3);
    assert_eq!(c.login_rate_limit.failures_per_minute, 5);

    let env = [
        ("LARDER_BIND", "0.0.0.0:2"),
        (
            "LARDER_ALLOWED_ORIGINS",
            "https://a.example, http://b.example:8000",
        ),
        ("LARDER_SESSION_TTL_HOURS", "5"),
    ];
    let c = load(tmp.path(), Some(file), &env, None).unwrap();
    assert_eq!(c.bind, "0.0.0.0:2");
    assert_eq!(
        c.allowed_origins,
        vec!["https://a.example", "http://b.example:8000"]
    );
    assert_eq!(c.session_ttl, Duration::from_secs(5 * 3600));

    let c = load(tmp.path(), Some(file), &env, Some("127.0.0.1:3")).unwrap();
    assert_eq!(c.bind, "127.0.0.1:3");
}

#[test]
fn webhook_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let c = load(tmp.path(), None, &[], None).unwrap();
    assert_eq!(c.webhook.url, None);
    let file = "webhook_url = \"https://hook.example/in\"\nwebhook_secret = \"0123456789abcdef\"\nwebhook_retry_max_secs = 30\n";
    let c = load(tmp.path(), Some(file), &[], None).unwrap();
    assert_eq!(c.webhook.url.as_deref(), Some("https://hook.example/in"));
    assert_eq!(c.webhook.retry_max, Duration::from_secs(30));
    assert!(
        !format!("{c:?}").contains("0123456789abcdef"),
        "secret redacted"
    );
    let env = [
        ("LARDER_WEBHOOK_URL", "http://127.0.0.1:9/x"),
        ("LARDER_WEBHOOK_SECRET", "fedcba9876543210"),
    ];
    let c = load(tmp.path(), Some(file), &env, None).unwrap();
    assert_eq!(c.webhook.url.as_deref(), Some("http://127.0.0.1:9/x"));
    assert_eq!(c.webhook.secret, Some(Secret("fedcba9876543210".into())));

    let err = load(
        tmp.path(),
        None,
        &[("LARDER_WEBHOOK_URL", "http://h/x")],
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("webhook_secret"), "{err}");
    let env = [
        ("LARDER_WEBHOOK_URL", "ftp://h/x"),
        ("LARDER_WEBHOOK_SECRET", "fedcba9876543210"),
    ];
    let err = load(tmp.path(), None, &env, None).unwrap_err();
    assert!(err.to_string().contains("http://"), "{err}");
}

#[test]
fn file_in_data_dir_is_read_when_no_flag() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join(crate::data_dir::CONFIG_FILE),
        "bind = \"0.0.0.0:9\"\n",
    )
    .unwrap();
    let c = load(tmp.path(), None, &[], None).unwrap();
    assert_eq!(c.bind, "0.0.0.0:9");
}

#[test]
fn unknown_keys_and_bad_values_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load(tmp.path(), Some("bindd = \"x\"\n"), &[], None).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("custom.toml") && msg.contains("unknown field `bindd`"),
        "{msg}"
    );

    let err = load(
        tmp.path(),
        Some("[login_rate_limit]\nbrust = 1\n"),
        &[],
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `brust`"), "{err}");

    let err = load(
        tmp.path(),
        None,
        &[("LARDER_SESSION_TTL_HOURS", "soon")],
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("LARDER_SESSION_TTL_HOURS"),
        "{err}"
    );

    let err = load(
        tmp.path(),
        None,
        &[("LARDER_ALLOWED_ORIGINS", "https://a.example/")],
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("allowed origin"), "{err}");

    let err = load(tmp.path(), Some("session_ttl_hours = 0\n"), &[], None).unwrap_err();
    assert!(err.to_string().contains("session_ttl_hours"), "{err}");

    let err = load(tmp.path(), Some("sync_idle_unload_secs = 0\n"), &[], None).unwrap_err();
    assert!(err.to_string().contains("sync_idle_unload_secs"), "{err}");
    let c = load(tmp.path(), Some("sync_idle_unload_secs = 90\n"), &[], None).unwrap();
    assert_eq!(c.sync_idle_unload, Duration::from_secs(90));

    let missing = tmp.path().join("nope.toml");
    let err = Config::load(&ConfigSources {
        data_dir: tmp.path().to_owned(),
        config_file: Some(missing),
        bind: None,
        env: &|_| None,
    })
    .unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
}

#[test]
fn tls_needs_both_files_and_the_metrics_token_is_long_and_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load(tmp.path(), Some("tls_cert = \"/c.pem\"\n"), &[], None).unwrap_err();
    assert!(
        err.to_string().contains("both a certificate and a key"),
        "{err}"
    );
    let c = load(
        tmp.path(),
        Some("tls_cert = \"/c.pem\"\ntls_key = \"/k.pem\"\n"),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(
        c.tls,
        Some(TlsFiles {
            cert: "/c.pem".into(),
            key: "/k.pem".into()
        })
    );
    // A flag overrides one half and keeps the other.
    let mut c = c;
    c.set_tls(None, Some("/flag-key.pem".into()));
    assert_eq!(c.tls.as_ref().unwrap().cert, PathBuf::from("/c.pem"));
    assert_eq!(c.tls.as_ref().unwrap().key, PathBuf::from("/flag-key.pem"));

    let err = load(tmp.path(), Some("metrics_token = \"short\"\n"), &[], None).unwrap_err();
    assert!(err.to_string().contains("metrics_token"), "{err}");
    let c = load(
        tmp.path(),
        None,
        &[("LARDER_METRICS_TOKEN", "a-long-enough-scrape-token")],
        None,
    )
    .unwrap();
    assert_eq!(
        c.metrics_token,
        Some(Secret("a-long-enough-scrape-token".into()))
    );
    assert!(!format!("{c:?}").contains("a-long-enough-scrape-token"));
}
