//! Replays modem transcripts from `tests/vectors/at/*.txt` through the digester,
//! fed whole, byte by byte and in pseudo-random chunks, and compares the events.
//!
//! File format (one directive per line):
//! - `# …` comment (the header names the source of the transcript);
//! - `! expect <command> [prefix=<p>]… [pdu] [prompt=<body>]` — announce a command;
//! - `! abandon` — the driver times out; renders as `ABANDONED | lines…`;
//! - `! numeric` — enable V0 numeric result codes; `! max_line <n>` — first line only;
//! - `< bytes` — modem output; escapes `\r`, `\n`, `\xNN`, `\\`; the file's own newline is not data;
//! - `= event` — expected event, rendered as by [`render`].

use smsgw::at::cme_error::CmeError;
use smsgw::at::cms_error::CmsError;
use smsgw::at::{Digester, Event, Expect, FinalResult};

#[derive(Debug)]
enum Step {
    Expect(Expect),
    Abandon,
    Numeric,
    Bytes(Vec<u8>),
}

struct Vector {
    name: String,
    max_line: usize,
    steps: Vec<Step>,
    expected: Vec<String>,
}

fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'r' => out.push(b'\r'),
                b'n' => out.push(b'\n'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = &s[i + 2..i + 4];
                    out.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn parse(name: &str, text: &str) -> Vector {
    let mut v = Vector {
        name: name.to_owned(),
        max_line: smsgw::at::DEFAULT_MAX_LINE,
        steps: vec![],
        expected: vec![],
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("< ") {
            v.steps.push(Step::Bytes(unescape(rest)));
        } else if let Some(rest) = line.strip_prefix("= ") {
            v.expected.push(rest.to_owned());
        } else if let Some(rest) = line.strip_prefix("! ") {
            let mut words = rest.split_whitespace();
            match words.next() {
                Some("expect") => {
                    let mut e = Expect::new(words.next().expect("command"));
                    for w in words {
                        if let Some(p) = w.strip_prefix("prefix=") {
                            e = e.prefix(p);
                        } else if let Some(b) = w.strip_prefix("prompt=") {
                            e = e.prompt(b);
                        } else if w == "pdu" {
                            e = e.pdu_follows();
                        } else {
                            panic!("{name}: unknown expect option {w}");
                        }
                    }
                    v.steps.push(Step::Expect(e));
                }
                Some("abandon") => v.steps.push(Step::Abandon),
                Some("numeric") => v.steps.push(Step::Numeric),
                Some("max_line") => {
                    v.max_line = words.next().and_then(|n| n.parse().ok()).expect("n")
                }
                other => panic!("{name}: unknown directive {other:?}"),
            }
        } else if !(line.starts_with('#') || line.trim().is_empty()) {
            panic!("{name}: cannot parse line {line:?}");
        }
    }
    v
}

fn error_text(code: Option<u16>, text: &Option<String>) -> String {
    match (code, text) {
        (Some(c), None) => c.to_string(),
        (Some(c), Some(t)) => format!("{c} {t:?}"),
        (None, Some(t)) => format!("? {t:?}"),
        (None, None) => "?".into(),
    }
}

fn render_result(r: &FinalResult) -> String {
    match r {
        FinalResult::Ok => "OK".into(),
        FinalResult::Error => "ERROR".into(),
        FinalResult::Cme(CmeError { code, text }) => format!("CME {}", error_text(*code, text)),
        FinalResult::Cms(CmsError { code, text }) => format!("CMS {}", error_text(*code, text)),
        FinalResult::NoCarrier => "NO CARRIER".into(),
        FinalResult::Busy => "BUSY".into(),
        FinalResult::NoAnswer => "NO ANSWER".into(),
        FinalResult::NoDialtone => "NO DIALTONE".into(),
        FinalResult::VendorError(t) => format!("VENDOR {t}"),
        FinalResult::Abandoned => "ABANDONED".into(),
        other => format!("{other:?}"),
    }
}

/// Compact, stable rendering of an event for the vector files.
fn render(e: &Event) -> String {
    match e {
        Event::Prompt => "PROMPT".into(),
        Event::Response(r) => {
            let mut s = format!("RESPONSE {}", render_result(&r.result));
            for l in &r.lines {
                s.push_str(" | ");
                s.push_str(l);
            }
            s
        }
        Event::Urc(u) => format!("URC {u:?}"),
        Event::Garbage { bytes } => format!("GARBAGE {bytes}"),
        Event::LineTooLong { discarded } => format!("TOOLONG {discarded}"),
        Event::Stray(l) => format!("STRAY {l}"),
        other => format!("{other:?}"),
    }
}

/// Run the vector, splitting each byte step with `chunk(len) -> size`.
fn run(v: &Vector, mut chunk: impl FnMut(usize) -> usize) -> Vec<String> {
    let mut d = Digester::new(v.max_line);
    let mut out = Vec::new();
    for step in &v.steps {
        match step {
            Step::Expect(e) => d.expect(e),
            Step::Numeric => d.set_numeric_results(true),
            Step::Abandon => {
                if let Some(r) = d.abandon() {
                    out.push(render(&Event::Response(r)));
                }
            }
            Step::Bytes(b) => {
                let mut rest = &b[..];
                while !rest.is_empty() {
                    let n = chunk(rest.len()).clamp(1, rest.len());
                    d.feed(&rest[..n]);
                    rest = &rest[n..];
                    while let Some(e) = d.next_event() {
                        out.push(render(&e));
                    }
                }
            }
        }
    }
    out
}

fn vectors() -> Vec<Vector> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/at");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("vector dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 8,
        "expected the transcript set, found {}",
        files.len()
    );
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("read vector");
            parse(&p.file_name().expect("name").to_string_lossy(), &text)
        })
        .collect()
}

fn check(v: &Vector, got: Vec<String>, how: &str) {
    assert_eq!(got, v.expected, "{} fed {how}", v.name);
}

#[test]
fn transcripts_fed_whole_should_yield_expected_events() {
    for v in vectors() {
        let got = run(&v, |n| n);
        check(&v, got, "whole");
    }
}

#[test]
fn transcripts_fed_byte_by_byte_should_yield_expected_events() {
    for v in vectors() {
        let got = run(&v, |_| 1);
        check(&v, got, "byte by byte");
    }
}

#[test]
fn transcripts_fed_in_random_chunks_should_yield_expected_events() {
    for v in vectors() {
        for seed in 1..=32u64 {
            let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let got = run(&v, |n| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                1 + (state % 23) as usize % n.max(1)
            });
            check(&v, got, &format!("in random chunks (seed {seed})"));
        }
    }
}
