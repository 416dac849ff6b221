//! Secrets kept out of the configuration file.
//!
//! Every secret key (`secret`, `password`, `token`) may instead be given as `<key>_file` (a file
//! read at start; systemd's `LoadCredential=` puts one under `$CREDENTIALS_DIRECTORY`) or
//! `<key>_env` (the name of an environment variable). They are resolved in the parsed TOML
//! tree, before deserialisation, so every table that holds a secret takes both forms without a
//! field of its own, and a problem is reported with its table path and line like any other.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::validate::{ConfigError, line_of};

/// The keys whose values are secrets.
const SECRET_KEYS: [&str; 3] = ["secret", "password", "token"];

/// Where `*_file` and `*_env` values come from (injected so tests need no real environment).
pub(super) struct SecretSources<'a> {
    /// A relative `*_file` path is read from here.
    pub base_dir: PathBuf,
    /// Looks up an environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl SecretSources<'_> {
    /// The process environment; relative files under `$CREDENTIALS_DIRECTORY` when systemd set
    /// it, else next to the configuration file (`config_dir`).
    pub fn system(config_dir: &Path) -> SecretSources<'static> {
        let base_dir = std::env::var_os("CREDENTIALS_DIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(|| config_dir.to_path_buf());
        SecretSources {
            base_dir,
            env: &|name| std::env::var(name).ok(),
        }
    }
}

/// Replaces every `<secret>_file` / `<secret>_env` entry of `root` (at any depth) by the secret
/// it names; returns the problems (unreadable file, unset variable, both forms given).
pub(super) fn resolve(
    root: &mut DeTable<'_>,
    sources: &SecretSources<'_>,
    text: &str,
) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    resolve_table(root, sources, text, "", &mut errors);
    errors
}

fn resolve_table(
    table: &mut DeTable<'_>,
    sources: &SecretSources<'_>,
    text: &str,
    path: &str,
    errors: &mut Vec<ConfigError>,
) {
    let indirect: Vec<(String, &'static str, &'static str)> = table
        .keys()
        .filter_map(|k| {
            let k = k.get_ref();
            SECRET_KEYS.iter().find_map(|base| {
                ["_file", "_env"]
                    .into_iter()
                    .find(|suffix| k.strip_prefix(base) == Some(suffix))
                    .map(|suffix| (k.to_string(), *base, suffix))
            })
        })
        .collect();
    for (key, base, suffix) in indirect {
        let Some(value) = table.remove(key.as_str()) else {
            continue;
        };
        let span = value.span();
        let problem = |message: String| ConfigError {
            key: join(path, &key),
            line: Some(line_of(text, span.start)),
            message,
        };
        let DeValue::String(named) = value.get_ref() else {
            errors.push(problem(format!(
                "`{key}` is a {} here",
                if suffix == "_file" {
                    "file path"
                } else {
                    "variable name"
                }
            )));
            continue;
        };
        if table.contains_key(base) {
            errors.push(problem(format!("give `{base}` or `{key}`, not both")));
            continue;
        }
        let secret = if suffix == "_file" {
            read_secret_file(&sources.base_dir.join(named.as_ref()))
        } else {
            (sources.env)(named)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the environment variable {named} is not set"))
        };
        match secret {
            Ok(secret) => {
                table.insert(
                    Spanned::new(span.clone(), Cow::Borrowed(base)),
                    Spanned::new(span, DeValue::String(Cow::Owned(secret))),
                );
            }
            Err(message) => errors.push(problem(message)),
        }
    }
    for (key, value) in table.iter_mut() {
        let here = join(path, key.get_ref());
        resolve_value(value.get_mut(), sources, text, &here, errors);
    }
}

fn resolve_value(
    value: &mut DeValue<'_>,
    sources: &SecretSources<'_>,
    text: &str,
    path: &str,
    errors: &mut Vec<ConfigError>,
) {
    match value {
        DeValue::Table(t) => resolve_table(t, sources, text, path, errors),
        DeValue::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_value(
                    item.get_mut(),
                    sources,
                    text,
                    &format!("{path}[{i}]"),
                    errors,
                );
            }
        }
        _ => {}
    }
}

/// A secret file larger than this is a mistake (a certificate bundle, `/dev/zero`), not a
/// secret: refused instead of read whole.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// The file's content without the line end that editors and `echo` add.
fn read_secret_file(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("cannot read the secret file {}: {e}", file.display());
    let mut content = String::new();
    std::fs::File::open(file)
        .map_err(cannot)?
        .take(MAX_SECRET_FILE + 1)
        .read_to_string(&mut content)
        .map_err(cannot)?;
    if content.len() as u64 > MAX_SECRET_FILE {
        return Err(format!(
            "the secret file {} is larger than {MAX_SECRET_FILE} bytes: not a secret",
            file.display()
        ));
    }
    let secret = content.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(format!("the secret file {} is empty", file.display()));
    }
    Ok(secret.to_string())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Whether the configuration text itself holds a secret (a secret key with a value, or a
/// plain-string bearer token), rather than only `*_file` / `*_env` references.
pub(super) fn holds_secret(text: &str) -> bool {
    let (root, _) = DeTable::parse_recoverable(text);
    table_holds_secret(root.get_ref())
}

fn table_holds_secret(table: &DeTable<'_>) -> bool {
    table.iter().any(|(key, value)| {
        let key = key.get_ref();
        match value.get_ref() {
            DeValue::String(s) => SECRET_KEYS.contains(&key.as_ref()) && !s.is_empty(),
            // `server.tokens = ["…"]`: each string is a token.
            DeValue::Array(items) if key == "tokens" => items.iter().any(|i| match i.get_ref() {
                DeValue::String(_) => true,
                DeValue::Table(t) => table_holds_secret(t),
                _ => false,
            }),
            v => value_holds_secret(v),
        }
    })
}

fn value_holds_secret(value: &DeValue<'_>) -> bool {
    match value {
        DeValue::Table(t) => table_holds_secret(t),
        DeValue::Array(items) => items.iter().any(|i| value_holds_secret(i.get_ref())),
        _ => false,
    }
}

/// A warning when `path` holds a secret and other users of the machine may read it.
pub fn exposure_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let text = std::fs::read_to_string(path).ok()?;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o004 != 0 && holds_secret(&text)).then(|| {
        format!(
            "{} holds secrets and is readable by every user of this machine (mode {:o}): \
             `chmod o-r` it, or move the secrets to `*_file` / `*_env` (README, Security)",
            path.display(),
            mode & 0o777
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn sources<'a>(dir: &Path, env: &'a dyn Fn(&str) -> Option<String>) -> SecretSources<'a> {
        SecretSources {
            base_dir: dir.to_path_buf(),
            env,
        }
    }

    const NO_ENV: &dyn Fn(&str) -> Option<String> = &|_| None;

    fn parse(text: &str, sources: &SecretSources<'_>) -> Result<Config, Vec<ConfigError>> {
        super::super::parse::parse_all(text, sources, &|_| {}, Config::validate).map_err(|e| e.0)
    }

    #[test]
    fn a_secret_file_should_be_read_relative_to_the_base_directory_without_its_newline() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hook"), "a-webhook-secret-of-some-length\n").unwrap();
        let text = "[[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/\"\n\
                    secret_file = \"hook\"\n";
        let config = parse(text, &sources(dir.path(), NO_ENV)).unwrap();
        assert_eq!(
            config.webhooks[0].secret.0,
            "a-webhook-secret-of-some-length"
        );
    }

    #[test]
    fn a_secret_from_the_environment_should_fill_a_token_table() {
        let env = |name: &str| (name == "CRM_TOKEN").then(|| "crm-token-from-env".to_string());
        let text = "[server]\ntokens = [{ name = \"crm\", token_env = \"CRM_TOKEN\", \
                    scopes = [\"send\"] }]\n";
        let dir = tempfile::tempdir().unwrap();
        let config = parse(text, &sources(dir.path(), &env)).unwrap();
        assert_eq!(config.server.tokens[0].secret.0, "crm-token-from-env");
    }

    #[test]
    fn a_missing_file_an_unset_variable_and_both_forms_should_each_be_reported_with_their_place() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[server]\ntokens = [{ name = \"a\", token_env = \"UNSET\", scopes = [\"send\"] }]\n\
                    [[webhooks]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/\"\n\
                    secret_file = \"nowhere\"\n\
                    [callbacks]\nsecret = \"x\"\nsecret_env = \"UNSET\"\n";
        let errors = parse(text, &sources(dir.path(), NO_ENV)).unwrap_err();
        let found: Vec<(String, Option<usize>)> =
            errors.iter().map(|e| (e.key.clone(), e.line)).collect();
        assert!(
            found.contains(&("server.tokens[0].token_env".into(), Some(2))),
            "{errors:?}"
        );
        assert!(
            found.contains(&("webhooks[0].secret_file".into(), Some(6))),
            "{errors:?}"
        );
        assert!(
            found.contains(&("callbacks.secret_env".into(), Some(9))),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.message.contains("not both")),
            "{errors:?}"
        );
    }

    #[test]
    fn an_endless_file_should_be_refused_not_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[callbacks]\nsecret_file = \"/dev/zero\"\n";
        let errors = parse(text, &sources(dir.path(), NO_ENV)).unwrap_err();
        assert!(errors[0].message.contains("larger than"), "{errors:?}");
    }

    #[test]
    fn only_a_file_holding_a_secret_itself_should_count_as_holding_one() {
        assert!(holds_secret("[server]\ntokens = [\"plain\"]\n"));
        assert!(holds_secret("[[smpp]]\npassword = \"pw\"\n"));
        assert!(!holds_secret(
            "[[smpp]]\npassword_file = \"/run/credentials/x/smpp\"\n"
        ));
        assert!(!holds_secret("[server]\nlisten = \"127.0.0.1:8080\"\n"));
    }

    #[test]
    fn a_world_readable_file_with_a_secret_should_be_warned_about_and_a_private_one_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("smsgw.toml");
        std::fs::write(&path, "[server]\ntokens = [\"a-token-in-the-file\"]\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let warning = exposure_warning(&path).expect("a warning");
        assert!(warning.contains("mode 644"), "{warning}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(exposure_warning(&path), None);
    }
}
