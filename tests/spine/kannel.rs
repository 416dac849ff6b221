//! The Kannel-compatible `/cgi-bin/sendsms`: the requests Kannel's user guide shows (GET with
//! CGI variables, several receivers, charset and coding, POST with a plain-text body and
//! `X-Kannel-*` headers, `dlr-url` with escapes) get Kannel's answers, byte for byte.

use std::sync::Arc;
use std::time::Duration;

use crate::api_inprocess::{Api, ROUTE};
use crate::fake_route::FakeRoute;
use crate::webhook_receiver::Receiver;

const KANNEL: &str = "[kannel]\nenabled = true\ndlr_allow = [\"127.0.0.1\"]\n[[kannel.users]]\nusername = \"tester\"\npassword = \"foobar\"\n";

struct Answer {
    status: u16,
    body: String,
    ids: Vec<String>,
    content_type: String,
}

async fn call(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let ids = resp
        .headers()
        .get("x-smsgw-message-id")
        .map(|v| v.to_str().unwrap().split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let content_type = resp.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    Answer {
        status,
        body: resp.text().await.unwrap(),
        ids,
        content_type,
    }
}

async fn get(api: &Api, query: &str) -> Answer {
    call(reqwest::Client::new().get(format!("{}/cgi-bin/sendsms?{query}", api.base))).await
}

async fn with_route() -> Api {
    Api::start(
        &format!("{ROUTE}{KANNEL}"),
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await
}

#[tokio::test]
async fn the_user_guide_get_request_should_be_accepted_for_delivery_with_the_message_id() {
    let api = with_route().await;
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&text=Hello+world",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(a.content_type, "text/html");
    assert_eq!(a.ids.len(), 1);
    let (s, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(s, 200);
    assert_eq!(m["to"], "+358401234567");
    assert_eq!(m["text"], "Hello world");
    api.stop().await;
}

#[tokio::test]
async fn several_receivers_separated_by_spaces_should_each_get_a_message() {
    let api = with_route().await;
    let a = get(
        &api,
        "user=tester&pass=foobar&to=0401234567+%2B358401234568&text=hi",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(a.ids.len(), 2);
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[1])).await;
    assert_eq!(m["to"], "+358401234568");
    api.stop().await;
}

#[tokio::test]
async fn kannel_errors_should_come_with_kannels_texts_and_status_codes() {
    let api = with_route().await;
    let cases = [
        (
            "username=tester&password=wrong&to=0401234567&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "to=0401234567&text=x",
            403,
            "Authorization failed for sendsms",
        ),
        (
            "username=tester&password=foobar&text=x",
            400,
            "Missing receiver number, rejected",
        ),
        (
            "username=tester&password=foobar&to=&text=x",
            400,
            "Empty receiver number not allowed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=67",
            400,
            "DLR-Mask field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=1&dlr-url=ftp://h/x",
            400,
            "DLR-URL field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&coding=3",
            400,
            "Coding field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&validity=-5",
            400,
            "Validity field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&deferred=-2",
            400,
            "Deferred field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&priority=7",
            400,
            "Priority field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=%E4&charset=UTF-8",
            400,
            "Charset or body misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&smsc=nosuch",
            403,
            "Not routable. Do not try again.",
        ),
        (
            "username=tester&password=foobar&to=abc+def&text=x",
            400,
            "Number(s) has/have been denied by white- and/or black-lists.",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&mclass=0",
            400,
            "MClass field is not supported by smsgw, rejected",
        ),
        // Not numbers: Kannel ignores these silently, smsgw refuses them in Kannel's words.
        (
            "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=abc",
            400,
            "DLR-Mask field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&coding=x",
            400,
            "Coding field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&validity=abc",
            400,
            "Validity field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&deferred=abc",
            400,
            "Deferred field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&priority=abc",
            400,
            "Priority field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&mclass=abc",
            400,
            "MClass field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=3abc",
            400,
            "DLR-Mask field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=x&mclass=4",
            400,
            "MClass field misformed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&text=+%0A+",
            400,
            "Empty text not allowed, rejected",
        ),
        (
            "username=tester&password=foobar&to=0401234567&udh=%06%05%04%15%82%00%00&text=x",
            400,
            "UDH field is not supported by smsgw, rejected",
        ),
    ];
    for (query, status, text) in cases {
        let a = get(&api, query).await;
        assert_eq!((a.status, a.body.as_str()), (status, text), "{query}");
        assert!(a.ids.is_empty());
    }
    let (_, list) = api.get("/v1/messages").await;
    assert_eq!(
        list["messages"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
    api.stop().await;
}

#[tokio::test]
async fn without_a_ready_route_the_answer_should_be_queued_for_later_delivery() {
    let api = Api::start(KANNEL, vec![]).await;
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&text=later",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "3: Queued for later delivery")
    );
    api.stop().await;
}

#[tokio::test]
async fn charsets_and_unicode_coding_should_decode_the_text() {
    let api = with_route().await;
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&coding=2&charset=UTF-16BE&text=%00%E4%20%AC",
    )
    .await;
    assert_eq!(a.status, 202, "{}", a.body);
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "ä€");
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&charset=ISO-8859-1&text=%E4iti",
    )
    .await;
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "äiti");
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&text=later&deferred=10&validity=60",
    )
    .await;
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["status"], "scheduled");
    api.stop().await;
}

#[tokio::test]
async fn a_plain_text_post_with_x_kannel_headers_and_a_form_post_should_be_accepted() {
    let api = with_route().await;
    let http = reqwest::Client::new();
    let a = call(
        http.post(format!("{}/cgi-bin/sendsms", api.base))
            .header("content-type", "text/plain; charset=ISO-8859-1")
            .header("X-Kannel-Username", "tester")
            .header("X-Kannel-Password", "foobar")
            .header("X-Kannel-To", "0401234567")
            .header("X-Kannel-From", "Clinic")
            .body(b"Hyv\xe4\xe4 p\xe4iv\xe4\xe4".to_vec()),
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    let (_, m) = api.get(&format!("/v1/messages/{}", a.ids[0])).await;
    assert_eq!(m["text"], "Hyvää päivää");
    assert_eq!(m["from"], "Clinic");
    let a = call(http.post(format!("{}/cgi-bin/sendsms", api.base)).form(&[
        ("username", "tester"),
        ("password", "foobar"),
        ("to", "0401234567"),
        ("text", "form"),
    ]))
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    api.stop().await;
}

#[tokio::test]
async fn a_dlr_url_should_be_called_with_its_escapes_when_the_status_matches_the_mask() {
    let receiver = Receiver::start("unused-secret-0123456789", 0).await;
    let api = with_route().await;
    let dlr = format!(
        "{}/dlr?type=%d&to=%p&id=%I&smsc=%i&user=%n&a=%A",
        receiver.base
    );
    let query = format!(
        "username=tester&password=foobar&to=0401234567&text=dlr&dlr-mask=31&dlr-url={}",
        smsgw::webhook::kannel_dlr::url_encode(&dlr)
    );
    let a = get(&api, &query).await;
    assert_eq!(a.status, 202);
    receiver
        .wait_for(Duration::from_secs(30), |r| !r.acked().is_empty())
        .await;
    let hit = &receiver.acked()[0];
    assert_eq!(hit.path, "/dlr");
    assert_eq!(
        hit.query,
        format!(
            "type=8&to=%2B358401234567&id={}&smsc=r&user=tester&a=ACK%2F",
            a.ids[0]
        )
    );
    api.stop().await;
}

#[tokio::test]
async fn a_dlr_url_into_the_gateways_network_should_be_refused_unless_allowed() {
    let api = Api::start(
        &format!(
            "{ROUTE}\n[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"tester\"\npassword = \"foobar\"\n"
        ),
        vec![Arc::new(FakeRoute::accepting("r", 8))],
    )
    .await;
    for (url, why) in [
        ("http://127.0.0.1:8080/dlr?t=%d", "a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "a link-local address",
        ),
        ("http://192.168.1.1/cgi-bin/admin", "a private address"),
    ] {
        let query = format!(
            "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=31&dlr-url={}",
            smsgw::webhook::kannel_dlr::url_encode(url)
        );
        let a = get(&api, &query).await;
        assert_eq!(a.status, 400, "{url}: {}", a.body);
        assert!(
            a.body.starts_with("DLR-URL field not allowed"),
            "{}",
            a.body
        );
        assert!(a.body.contains(why), "{}", a.body);
    }
    let public = format!(
        "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=31&dlr-url={}",
        smsgw::webhook::kannel_dlr::url_encode("http://crm.example.com/dlr?t=%d")
    );
    assert_eq!(get(&api, &public).await.status, 202);
    api.stop().await;
}

#[tokio::test]
async fn the_kannel_interface_should_be_off_unless_enabled() {
    let api = Api::start("", vec![]).await;
    let a = get(&api, "username=tester&password=foobar&to=0401234567&text=x").await;
    assert_eq!(a.status, 404);
    api.stop().await;
}

#[tokio::test]
async fn empty_number_fields_should_count_as_absent_as_in_kannel() {
    let api = with_route().await;
    let a = get(
        &api,
        "username=tester&password=foobar&to=0401234567&text=x&dlr-mask=&coding=&validity=&deferred=&priority=+&mclass=",
    )
    .await;
    assert_eq!(
        (a.status, a.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    api.stop().await;
}

#[test]
fn kannels_example_user_should_load_and_check_config_should_only_warn_about_it() {
    // `tester`/`foobar` is the sendsms-user of Kannel's user guide: scripts migrated from
    // Kannel keep their passwords.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("smsgw.toml");
    std::fs::write(&path, KANNEL).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: `kannel.users[0].password` (user \"tester\") is shorter than 8"),
        "{err}"
    );
    // An empty password is still an error.
    std::fs::write(
        &path,
        "[kannel]\nenabled = true\n[[kannel.users]]\nusername = \"tester\"\npassword = \"\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smsgw"))
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The real Kannel 1.4.5 (Debian `kannel`): bearerbox with `smsc = fake` and smsbox, on free
/// loopback ports in a temporary directory. Dropping it kills both boxes (also when a test
/// fails half-way).
struct RealKannel {
    boxes: Vec<std::process::Child>,
    /// `http://127.0.0.1:PORT/cgi-bin/sendsms`.
    sendsms: String,
    /// Lines bearerbox wrote to its fake SMSC (one per message it sent).
    smsc_lines: Arc<parking_lot::Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

impl Drop for RealKannel {
    fn drop(&mut self) {
        for b in &mut self.boxes {
            let _ = b.kill();
            let _ = b.wait();
        }
    }
}

impl RealKannel {
    /// Starts both boxes and the fake SMSC's client, and waits (at most 10 s) until smsbox
    /// answers and bearerbox has an SMSC connected.
    async fn start() -> RealKannel {
        let ports: Vec<u16> = {
            let held: Vec<std::net::TcpListener> = (0..4)
                .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
                .collect();
            held.iter()
                .map(|l| l.local_addr().unwrap().port())
                .collect()
        };
        let (admin, boxes_port, smsc, sendsms) = (ports[0], ports[1], ports[2], ports[3]);
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let conf = dir.path().join("kannel.conf");
        std::fs::write(
            &conf,
            format!(
                "group = core\nadmin-port = {admin}\nadmin-password = secret\n\
                 admin-allow-ip = 127.0.0.1\nsmsbox-port = {boxes_port}\nbox-allow-ip = 127.0.0.1\n\
                 log-file = \"{d}/bearerbox.log\"\nlog-level = 1\ndlr-storage = internal\n\n\
                 group = smsc\nsmsc = fake\nsmsc-id = fake\nhost = 127.0.0.1\nport = {smsc}\n\n\
                 group = smsbox\nbearerbox-host = 127.0.0.1\nbearerbox-port = {boxes_port}\n\
                 sendsms-port = {sendsms}\nlog-file = \"{d}/smsbox.log\"\nlog-level = 1\n\n\
                 group = sendsms-user\nusername = tester\npassword = foobar\n"
            ),
        )
        .unwrap();
        let spawn = |program: &str, dir: &std::path::Path| {
            std::process::Command::new(program)
                .arg(&conf)
                .current_dir(dir)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{program}: {e}"))
        };
        let bearerbox = spawn("bearerbox", dir.path());
        let mut kannel = RealKannel {
            boxes: vec![bearerbox],
            sendsms: format!("http://127.0.0.1:{sendsms}/cgi-bin/sendsms"),
            smsc_lines: Arc::default(),
            dir,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        // The fake SMSC listens in bearerbox; Kannel's `fakesmsc` tool is its client, and so
        // is this: it reads what bearerbox sends.
        let client = loop {
            match std::net::TcpStream::connect(("127.0.0.1", smsc)) {
                Ok(s) => break s,
                Err(e) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "bearerbox's fake SMSC does not listen: {e}; {}",
                        kannel.log("bearerbox.log")
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let lines = kannel.smsc_lines.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            // Ends when bearerbox is killed and the connection closes.
            for line in std::io::BufReader::new(client).lines() {
                let Ok(line) = line else { break };
                lines.lock().push(line);
            }
        });
        let smsbox = spawn("smsbox", kannel.dir.path());
        kannel.boxes.push(smsbox);
        let http = reqwest::Client::new();
        loop {
            let probe = http
                .get(format!("{}?username=tester&password=wrong", kannel.sendsms))
                .send()
                .await;
            if probe.is_ok_and(|r| r.status() == 403) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "smsbox does not answer; {}",
                kannel.log("smsbox.log")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        kannel
    }

    fn log(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(20).collect();
        format!(
            "{name} ends: {:?}",
            tail.into_iter().rev().collect::<Vec<_>>()
        )
    }
}

/// The values of a delivery-report call, decoded.
fn report_values(query: &str) -> std::collections::BTreeMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Kannel 1.4.5 and smsgw get the same requests: where Kannel refuses a field, smsgw answers
/// with the same status and the same text; where Kannel silently ignores a value that is not
/// a number (`dlr-mask=abc`), smsgw refuses it with the text Kannel uses for that field (the
/// one documented difference). Then both fetch a `dlr-url` for a type 8 report (the network
/// took the message), and its escapes `%d %A %p %P %q %Q %n %b %%` must give the same values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sendsms_should_answer_as_the_real_kannel_does() {
    if !crate::peer::available("bearerbox", &["--version"], "Debian package kannel")
        || !crate::peer::available("smsbox", &["--version"], "Debian package kannel")
    {
        return;
    }
    let kannel = RealKannel::start().await;
    let api = with_route().await;
    let http = reqwest::Client::new();
    let ask = |base: String, query: String| {
        let http = http.clone();
        async move {
            let r = http.get(format!("{base}?{query}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let smsgw_sendsms = format!("{}/cgi-bin/sendsms", api.base);
    let base = "username=tester&password=foobar&from=Clinic&to=%2B358401234567&text=Hello";
    let same = [
        "",
        "&priority=9",
        "&priority=-2",
        "&mclass=5",
        "&mclass=-2",
        "&validity=-5",
        "&deferred=-2",
        "&coding=3",
        "&coding=-2",
        "&dlr-mask=255",
        "&dlr-mask=67",
        "&dlr-mask=66",
        "&dlr-mask=-2",
        "&pid=300",
        "&alt-dcs=2",
        "&mwi=8",
        "&rpi=3",
        "&compress=2",
        "&charset=EBCDIC",
        "&dlr-mask=1&dlr-url=abc",
        "&dlr-mask=&coding=&validity=&deferred=&priority=",
    ];
    for extra in same {
        let q = format!("{base}{extra}");
        let theirs = ask(kannel.sendsms.clone(), q.clone()).await;
        let ours = ask(smsgw_sendsms.clone(), q).await;
        assert_eq!(ours, theirs, "`{extra}`: smsgw answers as Kannel");
    }
    for q in [
        "username=tester&password=wrong&from=Clinic&to=%2B358401234567&text=x",
        "username=tester&password=foobar&from=Clinic&text=x",
        "username=tester&password=foobar&from=Clinic&to=&text=x",
    ] {
        let theirs = ask(kannel.sendsms.clone(), q.to_string()).await;
        let ours = ask(smsgw_sendsms.clone(), q.to_string()).await;
        assert_eq!(ours, theirs, "`{q}`: smsgw answers as Kannel");
    }
    // Not numbers: Kannel accepts and drops the value; smsgw refuses in Kannel's words for
    // the field (the text Kannel gives for that field out of range).
    for (junk, out_of_range) in [
        ("&dlr-mask=abc", "&dlr-mask=255"),
        ("&coding=x", "&coding=3"),
        ("&validity=abc", "&validity=-5"),
        ("&deferred=abc", "&deferred=-2"),
        ("&priority=abc", "&priority=9"),
        ("&mclass=abc", "&mclass=5"),
    ] {
        let theirs = ask(kannel.sendsms.clone(), format!("{base}{junk}")).await;
        assert_eq!(
            theirs,
            (202, "0: Accepted for delivery".to_string()),
            "Kannel 1.4.5 ignores `{junk}`"
        );
        let kannel_words = ask(kannel.sendsms.clone(), format!("{base}{out_of_range}")).await;
        let ours = ask(smsgw_sendsms.clone(), format!("{base}{junk}")).await;
        assert_eq!(ours, kannel_words, "`{junk}`: refused in Kannel's words");
    }

    // Delivery reports: the same dlr-url template on both, type 8 (the network took it).
    let theirs_rx = Receiver::start("unused-secret-0123456789", 0).await;
    let ours_rx = Receiver::start("unused-secret-0123456789", 0).await;
    let template = "/dlr?d=%d&A=%A&p=%p&P=%P&q=%q&Q=%Q&n=%n&b=%b&pct=%%";
    let dlr_query = |rx: &Receiver| {
        format!(
            "{base}&dlr-mask=8&dlr-url={}",
            smsgw::webhook::kannel_dlr::url_encode(&format!("{}{template}", rx.base))
        )
    };
    let theirs = ask(kannel.sendsms.clone(), dlr_query(&theirs_rx)).await;
    let ours = ask(smsgw_sendsms.clone(), dlr_query(&ours_rx)).await;
    assert_eq!(ours, theirs);
    for rx in [&theirs_rx, &ours_rx] {
        rx.wait_for(Duration::from_secs(10), |r| !r.acked().is_empty())
            .await;
    }
    let theirs = report_values(&theirs_rx.acked()[0].query);
    let ours = report_values(&ours_rx.acked()[0].query);
    assert_eq!(theirs["d"], "8", "{theirs:?}");
    assert_eq!(theirs["A"], "ACK/", "{theirs:?}");
    assert_eq!(
        theirs["p"], "+358401234567",
        "%p is the handset: {theirs:?}"
    );
    assert_eq!(
        theirs["P"], "Clinic",
        "%P is the original sender: {theirs:?}"
    );
    assert_eq!(ours, theirs);
    assert!(
        kannel.smsc_lines.lock().iter().any(|l| l.contains("Hello")),
        "bearerbox sent through its fake SMSC: {:?}",
        kannel.smsc_lines.lock()
    );
    api.stop().await;
}
