//! Configuration of the integration surface: webhooks, callbacks (and their validation).

use smsgw::config::Config;

#[test]
fn webhook_problems_should_all_be_reported_with_key_and_line() {
    let text = r#"
[[webhooks]]
name = "callback"
url = "ftp://example"
secret = "short"
events = []
max_in_flight = 0

[[webhooks]]
name = "ok"
url = "http://127.0.0.1:9000/x"
secret = "0123456789abcdef"
retry_base = "1h"
retry_max = "1m"
"#;
    let err = Config::from_toml(text).unwrap_err().to_string();
    for needle in [
        "line 3: `webhooks[0].name`",
        "line 4: `webhooks[0].url`",
        "line 5: `webhooks[0].secret`",
        "line 6: `webhooks[0].events`",
        "line 7: `webhooks[0].max_in_flight`",
        "line 13: `webhooks[1].retry_base`",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn a_template_that_is_not_json_should_be_refused_at_its_line() {
    let text = "[[webhooks]]\nname = \"chat\"\nurl = \"http://127.0.0.1:1/\"\nsecret = \"0123456789abcdef\"\ntemplate = '{\"text\": {{data.to}}}'\n";
    let err = Config::from_toml(text).unwrap_err().to_string();
    assert!(err.contains("line 5"), "{err}");
    assert!(err.contains("not JSON"), "{err}");
}
