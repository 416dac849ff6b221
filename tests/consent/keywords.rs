//! Keyword replies through the store's receive path (the call the modem driver makes) and
//! their effect on the next submission.

use serde_json::json;
use smsgw::model::{KeywordAction, Status};

use crate::harness::{Env, T0, code, config, open};

const LANGUAGES: &str = r#"
[consent.keywords.en]
opt_out = ["STOP"]
opt_in = ["START"]
opt_out_reply = "You will get no more messages. Reply START to subscribe again."
[consent.keywords.sv]
opt_out = ["STOPP"]
[consent.keywords.ru]
opt_out = ["СТОП"]
[consent.keywords.pl]
opt_out = ["NIE"]
[consent.keywords.pt]
opt_out = ["PARE"]
[consent.keywords.fi]
opt_out = ["LOPETA"]
opt_in = ["ALOITA"]
"#;

#[test]
fn opt_out_in_several_languages_should_refuse_the_next_submit() {
    let env = Env::new(&config(LANGUAGES));
    let replies = [
        ("+358401000001", "STOP", "en"),
        ("+46701000002", "Stopp!", "sv"),
        ("+79161000003", "стоп", "ru"),
        ("+48601000004", " Nie. ", "pl"),
        ("+351911000005", "PÁRE", "pt"),
        ("+358401000006", "lopeta", "fi"),
    ];
    for (number, text, language) in replies {
        let stored = env.receive(number, Some("+358409999999"), text, T0);
        let hit = stored
            .keyword
            .clone()
            .unwrap_or_else(|| panic!("{text}: no keyword"));
        assert_eq!(
            (hit.action, hit.language.as_str(), hit.scope.as_str()),
            (KeywordAction::OptOut, language, "global"),
            "{text}"
        );
        // The inbox entry (what webhooks and /v1/inbox read) carries the hit.
        let inbox = env.store.get_inbound(stored.id).unwrap().unwrap();
        assert_eq!(inbox.keyword, Some(hit));
        let r = env.submit(json!({"to": number, "text": "Offer!"}), T0);
        assert_eq!(code(&r), Some((422, "recipient_opted_out")), "{text}");
    }
}

#[test]
fn a_sentence_with_a_keyword_should_not_opt_out() {
    let env = Env::new(&config(LANGUAGES));
    let stored = env.receive("+358401000001", None, "stop by tomorrow, ok?", T0);
    assert_eq!(stored.keyword, None);
    assert!(
        env.submit(json!({"to": "+358401000001", "text": "See you"}), T0)
            .is_ok()
    );
}

#[test]
fn an_opt_out_should_queue_its_confirmation_as_transactional() {
    let env = Env::new(&config(LANGUAGES));
    env.receive("+358401000001", None, "STOP", T0);
    let mine = env
        .store
        .list(&smsgw::store::ListFilter {
            to: Some("+358401000001".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .items;
    assert_eq!(mine.len(), 1);
    assert!(mine[0].transactional);
    assert_eq!(mine[0].status, Status::Queued);
    assert!(mine[0].text.starts_with("You will get no more messages"));
    // Languages without a reply text answer nothing.
    env.receive("+46701000002", None, "STOPP", T0);
    let theirs = env
        .store
        .list(&smsgw::store::ListFilter {
            to: Some("+46701000002".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap()
        .items;
    assert!(theirs.is_empty());
}

#[test]
fn transactional_messages_should_pass_only_where_allowed() {
    for (allow, expect_ok) in [(false, false), (true, true)] {
        let env = Env::new(&config(&format!(
            "[consent]\nallow_transactional_to_opted_out = {allow}\n{}",
            LANGUAGES
        )));
        env.receive("+358401000001", None, "STOP", T0);
        let r = env.submit(
            json!({"to": "+358401000001", "text": "Your code is 1234", "transactional": true}),
            T0,
        );
        assert_eq!(r.is_ok(), expect_ok, "allow = {allow}: {:?}", code(&r));
        // Non-transactional stays refused either way.
        let r = env.submit(json!({"to": "+358401000001", "text": "Sale!"}), T0);
        assert_eq!(code(&r), Some((422, "recipient_opted_out")));
    }
}

#[test]
fn an_opt_in_should_lift_the_opt_out() {
    let env = Env::new(&config(LANGUAGES));
    env.receive("+358401000006", None, "LOPETA", T0);
    assert!(
        env.submit(json!({"to": "+358401000006", "text": "x"}), T0)
            .is_err()
    );
    let back = env.receive("+358401000006", None, "Aloita!", T0);
    assert_eq!(back.keyword.map(|k| k.action), Some(KeywordAction::OptIn));
    assert!(
        env.submit(json!({"to": "+358401000006", "text": "x"}), T0)
            .is_ok()
    );
}

#[test]
fn a_sender_scoped_opt_out_should_stop_only_that_sender() {
    let env = Env::new(&config(&format!(
        "[consent]\nscope = \"sender\"\n{LANGUAGES}"
    )));
    let hit = env
        .receive("+358401000001", Some("+358409999999"), "STOP", T0)
        .keyword
        .unwrap();
    assert_eq!(hit.scope, "+358409999999");
    let from_that = env.submit(
        json!({"to": "+358401000001", "text": "x", "from": "+358409999999"}),
        T0,
    );
    assert_eq!(code(&from_that), Some((422, "recipient_opted_out")));
    assert!(
        env.submit(
            json!({"to": "+358401000001", "text": "x", "from": "Clinic"}),
            T0
        )
        .is_ok()
    );
}

#[test]
fn keywords_should_do_nothing_when_disabled() {
    let env = Env::new(&config("[consent]\nkeywords_enabled = false\n"));
    assert_eq!(env.receive("+358401000001", None, "STOP", T0).keyword, None);
    assert!(
        env.submit(json!({"to": "+358401000001", "text": "x"}), T0)
            .is_ok()
    );
}

#[test]
fn the_suppression_list_should_survive_a_restart() {
    let cfg = config(LANGUAGES);
    let env = Env::new(&cfg);
    env.receive("+358401000001", None, "STOP", T0);
    env.store.flush_blocking().unwrap();
    let Env { dir, store, .. } = env;
    drop(store);
    let again = open(&dir, &cfg);
    let s = again.suppressed("+358401000001", None).unwrap().unwrap();
    assert_eq!(s.word.as_deref(), Some("STOP"));
}
