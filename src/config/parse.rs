//! Parsing that reports every problem of a file, not only the first.
//!
//! serde stops at the first error, so a file with three misspelt keys would need three runs of
//! `check-config` to fix. Instead the document is parsed once into toml's spanned tree, and
//! deserialised again and again: after each error the entry it points at is taken out of the
//! tree and the error is kept with its table path (`smpp[0].windoww`) and line. Removing an
//! unknown key changes nothing else, so once only unknown keys were removed, the rest of the
//! file is validated too; after a bad value was removed, its absence could
//! cause errors of its own, so only the problems found so far are reported.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Config;
use super::secrets::{self, SecretSources};
use super::validate::{ConfigError, ConfigErrors, line_of};

/// More problems than this in one file are not worth listing one by one.
const MAX_PROBLEMS: usize = 50;

/// One step of a table path, owned (the tree is edited while the path is kept).
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses `text` and checks it with `validate` ([`Config::validate`] or
/// [`Config::validate_for_run`]), collecting every problem.
/// `adjust` runs on the parsed configuration before it is checked (command-line overrides), so
/// nothing reaches the daemon unchecked.
pub(super) fn parse_all(
    text: &str,
    secrets: &SecretSources<'_>,
    adjust: &dyn Fn(&mut Config),
    validate: fn(&Config, &str) -> ConfigErrors,
) -> Result<Config, ConfigErrors> {
    let (mut root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(ConfigErrors(
            syntax
                .iter()
                .take(MAX_PROBLEMS)
                .map(|e| ConfigError {
                    key: String::new(),
                    line: e.span().map(|s| line_of(text, s.start)),
                    message: e.message().trim().to_string(),
                })
                .collect(),
        ));
    }
    // `*_file` / `*_env` secrets become plain values first; a secret that cannot be had would
    // only show up again below as a missing key.
    let unresolved = secrets::resolve(root.get_mut(), secrets, text);
    if !unresolved.is_empty() {
        return Err(by_line(unresolved));
    }
    let mut errors = Vec::new();
    let mut only_unknown_keys = true;
    while errors.len() < MAX_PROBLEMS {
        let e = match Config::deserialize(toml::de::Deserializer::from(root.clone())) {
            Ok(mut config) if errors.is_empty() => {
                adjust(&mut config);
                let found = validate(&config, text);
                return if found.is_empty() {
                    Ok(config)
                } else {
                    Err(by_line(found.0))
                };
            }
            Ok(mut config) => {
                adjust(&mut config);
                if only_unknown_keys {
                    errors.extend(validate(&config, text).0);
                }
                return Err(by_line(errors));
            }
            Err(e) => e,
        };
        let message = e.message().trim().to_string();
        let removed = e
            .span()
            .filter(|_| !message.starts_with("missing field"))
            .and_then(|span| remove_entry_at(root.get_mut(), span.start));
        match removed {
            Some(path) => {
                only_unknown_keys &= message.starts_with("unknown field");
                errors.push(ConfigError {
                    key: dotted(&path),
                    line: e.span().map(|s| line_of(text, s.start)),
                    message,
                });
            }
            None => {
                // A missing key, or an error without a place: nothing to take out, so the
                // next run would find the same error. Report it and stop.
                errors.push(ConfigError {
                    key: String::new(),
                    line: e.span().map(|s| line_of(text, s.start)),
                    message,
                });
                return Err(by_line(errors));
            }
        }
    }
    Err(by_line(errors))
}

/// The problems in file order (problems without a line last), as a person fixes them.
fn by_line(mut errors: Vec<ConfigError>) -> ConfigErrors {
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    ConfigErrors(errors)
}

/// Removes the entry of `table` (at any depth) that holds byte offset `at` (its key, its value,
/// or a scalar inside its list), and returns its path. A list with a bad element goes whole: a
/// list with a hole would be another list. Container spans are trusted last (an array of
/// tables is spread over the file), so the deepest entry wins.
fn remove_entry_at(table: &mut DeTable<'_>, at: usize) -> Option<Vec<Step>> {
    let mut hit = None;
    for (key, value) in table.iter_mut() {
        if key.span().contains(&at) || holds_directly(value, at) {
            hit = Some(key.get_ref().to_string());
            break;
        }
        if let Some(mut deeper) = remove_in_value(value, at) {
            deeper.insert(0, Step::Key(key.get_ref().to_string()));
            return Some(deeper);
        }
    }
    let name = hit.or_else(|| {
        table
            .iter()
            .find(|(_, v)| v.span().contains(&at))
            .map(|(k, _)| k.get_ref().to_string())
    })?;
    table.remove(name.as_str());
    Some(vec![Step::Key(name)])
}

/// Whether `value` is a scalar at `at`, or a list with such a scalar among its items.
fn holds_directly(value: &Spanned<DeValue<'_>>, at: usize) -> bool {
    match value.get_ref() {
        DeValue::Table(_) => false,
        DeValue::Array(items) => items.iter().any(|item| holds_directly(item, at)),
        _ => value.span().contains(&at),
    }
}

/// [`remove_entry_at`] inside the tables of `value` (a table, or a list holding tables).
fn remove_in_value(value: &mut Spanned<DeValue<'_>>, at: usize) -> Option<Vec<Step>> {
    match value.get_mut() {
        DeValue::Table(t) => remove_entry_at(t, at),
        DeValue::Array(items) => items.iter_mut().enumerate().find_map(|(i, item)| {
            let mut deeper = remove_in_value(item, at)?;
            deeper.insert(0, Step::Index(i));
            Some(deeper)
        }),
        _ => None,
    }
}

/// `smpp[0].window` from its steps.
fn dotted(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
