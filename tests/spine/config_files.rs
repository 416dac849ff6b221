//! Every shipped configuration loads, and an unknown key in any table of any of them is refused.

use std::path::PathBuf;

use smsgw::config::Config;

fn shipped() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "expected demo.toml and smsgw.toml in {dir:?}"
    );
    files
}

#[test]
fn every_shipped_configuration_should_load() {
    for f in shipped() {
        let config = Config::load(&f).unwrap_or_else(|e| panic!("{e}"));
        // What check-config accepts, `run` must start: its route drivers all exist.
        smsgw::daemon::build_routes(&config).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

/// Every table (and every table inside an array of tables) of a document, as paths.
fn table_paths(v: &toml::Value, path: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        toml::Value::Table(t) => {
            out.push(path.clone());
            for (k, v) in t {
                let mut p = path.clone();
                p.push(k.clone());
                table_paths(v, p, out);
            }
        }
        toml::Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let mut p = path.clone();
                p.push(i.to_string());
                table_paths(v, p, out);
            }
        }
        _ => {}
    }
}

fn table_at<'a>(v: &'a mut toml::Value, path: &[String]) -> &'a mut toml::Table {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            toml::Value::Table(t) => t.get_mut(seg).unwrap(),
            toml::Value::Array(a) => &mut a[seg.parse::<usize>().unwrap()],
            _ => unreachable!(),
        };
    }
    cur.as_table_mut().unwrap()
}

#[test]
fn an_unknown_key_in_any_table_of_any_shipped_file_should_be_refused() {
    for f in shipped() {
        let text = std::fs::read_to_string(&f).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let mut paths = Vec::new();
        table_paths(&doc, Vec::new(), &mut paths);
        // Tables the file does not write out are checked too, by adding them empty.
        for section in ["server", "store", "log", "messages"] {
            let mut with = doc.clone();
            let t = with.as_table_mut().unwrap();
            t.entry(section)
                .or_insert(toml::Value::Table(Default::default()));
            table_at(&mut with, &[section.to_string()]).insert("no_such_key".into(), 1.into());
            let err = Config::from_toml(&toml::to_string(&with).unwrap()).unwrap_err();
            assert!(
                err.to_string().contains("no_such_key"),
                "{f:?} [{section}]: {err}"
            );
        }
        for p in paths {
            let mut with = doc.clone();
            table_at(&mut with, &p).insert("no_such_key".into(), 1.into());
            let err = Config::from_toml(&toml::to_string(&with).unwrap());
            assert!(err.is_err(), "{f:?}: unknown key accepted in table {p:?}");
        }
    }
}

#[test]
fn validation_should_report_every_problem_with_key_and_line() {
    let text = r#"
[server]
listen = "0.0.0.0:8080"

[messages]
default_country = "+358"
max_parts = 0

[[routes]]
name = "sims"
type = "modem_pool"
daily_limit = 0

[[rules]]
prefix = "+358"
routes = ["sims", "nope"]

[store]
retention = "1h"
"#;
    let errors = Config::from_toml(text).unwrap_err();
    let found: Vec<(String, Option<usize>)> =
        errors.0.iter().map(|e| (e.key.clone(), e.line)).collect();
    for expected in [
        ("server.listen", 3),
        ("messages.default_country", 6),
        ("messages.max_parts", 7),
        ("routes[0].daily_limit", 12),
        ("rules[0].routes[1]", 16),
        ("store.retention", 19),
    ] {
        assert!(
            found.contains(&(expected.0.to_string(), Some(expected.1))),
            "missing {expected:?} in {found:?}"
        );
    }
}

#[test]
fn a_bad_unit_should_be_reported_at_its_line() {
    let text = "[[routes]]\nname = \"r\"\ntype = \"smpp\"\nrate = \"fast\"\n";
    let errors = Config::from_toml(text).unwrap_err();
    assert_eq!(errors.0[0].line, Some(4), "{errors}");
    assert!(errors.to_string().contains("6/min"), "{errors}");
}

#[test]
fn a_retention_shorter_than_the_reply_window_should_be_refused() {
    let text = "[store]\nretention = \"2d\"\n[conversations]\nwindow = \"7d\"\n";
    let errors = Config::from_toml(text).unwrap_err();
    assert_eq!(errors.0[0].key, "store.retention", "{errors}");
    assert!(errors.to_string().contains("reply window"), "{errors}");
    // Long enough, or for ever: fine.
    for retention in ["7d", "0s"] {
        let text =
            format!("[store]\nretention = \"{retention}\"\n[conversations]\nwindow = \"7d\"\n");
        assert!(Config::from_toml(&text).is_ok(), "{retention}");
    }
}

#[test]
fn every_unknown_key_should_be_reported_with_its_table_path() {
    // Three misspelt keys in three tables used to give "1 problem": one run of check-config
    // per typo. Each is named with its table path and line, in file order, and the
    // cross-key checks of the rest of the file still run.
    let text = "[server]\nlistn = \"127.0.0.1:8080\"\n[messages]\ndefault_countryy = \"358\"\n\
                [[routes]]\nname = \"r\"\ntype = \"smpp\"\nratee = \"5/s\"\n\
                [[rules]]\nprefix = \"\"\nroutes = [\"r\", \"nope\"]\n";
    let errors = Config::from_toml(text).unwrap_err();
    let found: Vec<_> = errors.0.iter().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(
        found,
        [
            ("server.listn", Some(2)),
            ("messages.default_countryy", Some(4)),
            ("routes[0].ratee", Some(8)),
            ("rules[0].routes[1]", Some(11)),
        ],
        "{errors}"
    );
    assert!(errors.to_string().starts_with("4 problems"), "{errors}");
}

#[test]
fn every_bad_value_should_be_reported_not_only_the_first() {
    let text = "[[routes]]\nname = \"r\"\ntype = \"smpp\"\nrate = \"fast\"\n\
                [[routes]]\nname = \"s\"\ntype = \"smpp\"\nburst = \"many\"\n\
                [[modems]]\nname = \"m\"\ndevice = \"/dev/ttyUSB0\"\nroute = \"s\"\nrate = 3\n";
    let errors = Config::from_toml(text).unwrap_err();
    let found: Vec<_> = errors.0.iter().map(|e| (e.key.as_str(), e.line)).collect();
    assert_eq!(
        found,
        [
            ("routes[0].rate", Some(4)),
            ("routes[1].burst", Some(8)),
            ("modems[0].rate", Some(13)),
        ],
        "{errors}"
    );
}

#[test]
fn a_syntax_error_should_be_reported_at_its_line() {
    let errors = Config::from_toml("[server]\nlisten = \n").unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].line, Some(2), "{errors}");
}

#[test]
fn an_smpp_route_without_its_link_should_be_refused_by_load() {
    // `run` cannot start a route of type smpp without its [[smpp]] account, so the file that
    // `run` and `check-config` load must be refused, naming the route and what to add.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gw.toml");
    let route = "[[routes]]\nname = \"operator\"\ntype = \"smpp\"\n\
                 [[rules]]\nprefix = \"\"\nroutes = [\"operator\"]\n";
    std::fs::write(&path, route).unwrap();
    let err = Config::load(&path).unwrap_err().to_string();
    assert!(err.contains("routes[0].type"), "{err}");
    assert!(err.contains("no [[smpp]] table serves it"), "{err}");
    let link = "[[smpp]]\nroute = \"operator\"\nhost = \"127.0.0.1\"\nsystem_id = \"a\"\npassword = \"b\"\n";
    std::fs::write(&path, format!("{route}{link}")).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
}
