//! Published vectors: every file under `tests/vectors/gsm/` names its source per vector.

use serde_json::Value;
use smsgw::gsm::{
    self, Address, DataCoding, Direction, Encoding, Gsm7Charset, GsmError, InformationElement,
    NationalLanguage, SegmentOptions, Submit, Tpdu, TypeOfNumber, UserData, count_parts, segment,
    septet,
};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/vectors/gsm/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn lang(name: &str) -> NationalLanguage {
    match name {
        "turkish" => NationalLanguage::Turkish,
        "spanish" => NationalLanguage::Spanish,
        "portuguese" => NationalLanguage::Portuguese,
        other => panic!("unknown language {other}"),
    }
}

#[test]
fn received_vectors_should_decode_to_what_their_sources_assert() {
    let vectors = load("received.json");
    let vectors = vectors.as_array().unwrap();
    assert!(vectors.len() >= 10);
    for v in vectors {
        let src = v["source"].as_str().unwrap();
        let result = gsm::decode_pdu_hex(v["pdu"].as_str().unwrap(), None);
        if let Some(err) = v["expect_error"].as_str() {
            assert_eq!(err, "truncated");
            assert!(
                matches!(result, Err(GsmError::Truncated { .. })),
                "{src}: {result:?}"
            );
            continue;
        }
        let r = result.unwrap_or_else(|e| panic!("{src}: {e}"));
        if let Some(smsc) = v.get("smsc") {
            assert_eq!(
                r.smsc.map(|a| a.display()),
                smsc.as_str().map(String::from),
                "{src}"
            );
        }
        match (&r.tpdu, v["type"].as_str().unwrap()) {
            (Tpdu::Deliver(d), "deliver") => {
                assert_eq!(
                    d.originator.display(),
                    v["sender"].as_str().unwrap(),
                    "{src}"
                );
                if let Some(ts) = v["timestamp"].as_str() {
                    assert_eq!(d.timestamp.to_rfc3339(), ts, "{src}");
                }
                if let Some(text) = v["text"].as_str() {
                    assert_eq!(d.user_data.as_text(), Some(text), "{src}");
                }
                if let Some(enc) = v["encoding"].as_str() {
                    let want = match enc {
                        "ucs2" => Encoding::Ucs2,
                        "binary" => Encoding::Binary,
                        _ => Encoding::Gsm7,
                    };
                    assert_eq!(d.dcs.encoding(), want, "{src}");
                }
                let header = d.user_data.header.as_ref();
                if let Some(c) = v["concat"].as_array() {
                    let concat = header.and_then(|h| h.concat()).expect(src);
                    let want: Vec<u64> = c.iter().map(|x| x.as_u64().unwrap()).collect();
                    assert_eq!(
                        vec![
                            u64::from(concat.reference),
                            u64::from(concat.total),
                            u64::from(concat.sequence)
                        ],
                        want,
                        "{src}"
                    );
                }
                if let Some(p) = v["ports"].as_array() {
                    let found = header.unwrap().elements.iter().any(|ie| {
                        matches!(ie, InformationElement::Ports { destination, source, .. }
                            if u64::from(*destination) == p[0].as_u64().unwrap()
                                && u64::from(*source) == p[1].as_u64().unwrap())
                    });
                    assert!(found, "{src}");
                }
                // What decodes re-encodes to the same value.
                let again = Tpdu::decode(&r.tpdu.encode().unwrap(), Direction::ToMobile).unwrap();
                assert_eq!(again, r.tpdu, "{src}");
            }
            (Tpdu::StatusReport(s), "status_report") => {
                assert_eq!(
                    s.recipient.display(),
                    v["recipient"].as_str().unwrap(),
                    "{src}"
                );
                assert_eq!(
                    u64::from(s.message_reference),
                    v["message_reference"].as_u64().unwrap()
                );
                assert_eq!(
                    u64::from(s.status.0),
                    v["status"].as_u64().unwrap(),
                    "{src}"
                );
                assert_eq!(
                    serde_json::to_value(s.status.state()).unwrap(),
                    v["state"],
                    "{src}"
                );
                if let Some(ts) = v["timestamp"].as_str() {
                    assert_eq!(s.timestamp.to_rfc3339(), ts, "{src}");
                    assert_eq!(
                        s.discharge_time.to_rfc3339(),
                        v["discharge_time"].as_str().unwrap()
                    );
                }
            }
            (other, want) => panic!("{src}: decoded {other:?}, expected {want}"),
        }
    }
}

#[test]
fn submit_vectors_should_encode_byte_for_byte() {
    let vectors = load("submit.json");
    for v in vectors.as_array().unwrap() {
        let src = v["source"].as_str().unwrap();
        let digits = v["to"].as_str().unwrap();
        let to = match v["ton"].as_str().unwrap() {
            "national" => Address::national(digits),
            _ => Address::international(digits),
        };
        let text = v["text"].as_str().unwrap();
        let mr = v["mr"].as_u64().unwrap() as u8;
        let reference = v["reference"].as_u64().unwrap_or(0) as u16;
        let (dcs, parts) = if v["ucs2"].as_bool() == Some(true) {
            (DataCoding::UCS2, vec![UserData::text(text)])
        } else {
            let s = segment(text, &SegmentOptions::default(), reference).unwrap();
            (s.dcs, s.parts)
        };
        let want: Vec<&str> = v["pdus"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert_eq!(parts.len(), want.len(), "{src}");
        for (ud, want) in parts.into_iter().zip(want) {
            let submit = Submit {
                reject_duplicates: false,
                status_report_request: false,
                reply_path: false,
                message_reference: mr,
                destination: to.clone(),
                protocol_id: 0,
                dcs,
                validity: None,
                user_data: ud,
            };
            let pdu = gsm::encode_pdu_hex(None, &Tpdu::Submit(submit)).unwrap();
            assert_eq!(pdu.hex, want, "{src}");
            assert_eq!(pdu.tpdu_len, want.len() / 2 - 1, "{src}");
        }
    }
}

#[test]
fn packed_text_vectors_should_pack_and_unpack() {
    let v = load("alphabet.json");
    for p in v["packed"].as_array().unwrap() {
        let text = p["text"].as_str().unwrap();
        let hex = p["hex"].as_str().unwrap();
        let mut septets = Vec::new();
        Gsm7Charset::DEFAULT
            .encode_into(text, &mut septets)
            .unwrap();
        assert_eq!(
            hex::encode_upper(septet::pack(&septets, 0)),
            hex,
            "{}",
            p["source"]
        );
        let bytes = hex::decode(hex).unwrap();
        let back = septet::unpack(&bytes, 0, septets.len()).unwrap();
        assert_eq!(Gsm7Charset::DEFAULT.decode(&back), text);
    }
}

#[test]
fn address_vectors_should_decode_including_alphanumeric() {
    let v = load("alphabet.json");
    for a in v["addresses"].as_array().unwrap() {
        // An address alone: wrap it as the TP-RA of a minimal status report.
        const SCTS: &str = "11101171955140";
        let pdu = format!("0006D6{}{SCTS}{SCTS}00", a["hex"].as_str().unwrap());
        let r = gsm::decode_pdu_hex(&pdu, None).unwrap_or_else(|e| panic!("{}: {e}", a["source"]));
        let Tpdu::StatusReport(s) = r.tpdu else {
            panic!("not a report")
        };
        assert_eq!(s.recipient.display(), a["display"].as_str().unwrap());
        if a["display"].as_str().unwrap().starts_with('+') {
            assert_eq!(s.recipient.ton, TypeOfNumber::International);
        } else {
            assert_eq!(s.recipient.ton, TypeOfNumber::Alphanumeric);
        }
    }
}

#[test]
fn timestamp_vectors_should_give_the_same_utc_instant_east_and_west() {
    let v = load("alphabet.json");
    for t in v["timestamps"].as_array().unwrap() {
        let pdu = format!(
            "0006D60B911326880736F4{}1110117195714000",
            t["hex"].as_str().unwrap()
        );
        let r = gsm::decode_pdu_hex(&pdu, None).unwrap();
        let Tpdu::StatusReport(s) = r.tpdu else {
            panic!("not a report")
        };
        let local = time::OffsetDateTime::parse(
            &s.timestamp.to_rfc3339(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        let utc = local
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        assert_eq!(utc, t["utc"].as_str().unwrap(), "{}", t["source"]);
    }
}

#[test]
fn national_locking_tables_should_match_the_published_strings() {
    let v = load("alphabet.json");
    let t = &v["locking_tables"];
    for (name, locking) in [
        ("default", None),
        ("turkish", Some(NationalLanguage::Turkish)),
        ("portuguese", Some(NationalLanguage::Portuguese)),
    ] {
        let cs = Gsm7Charset {
            locking,
            single: None,
        };
        let decoded: String = (0u8..128)
            .map(|c| {
                if c == 0x1B {
                    "@".to_string()
                } else {
                    cs.decode(&[c])
                }
            })
            .collect();
        assert_eq!(decoded, t[name].as_str().unwrap(), "{name}");
    }
}

#[test]
fn national_single_shift_tables_should_match_the_published_strings() {
    let v = load("alphabet.json");
    let t = &v["single_shift_tables"];
    for (name, single) in [
        ("default", None),
        ("turkish", Some(NationalLanguage::Turkish)),
        ("spanish", Some(NationalLanguage::Spanish)),
        ("portuguese", Some(NationalLanguage::Portuguese)),
    ] {
        let cs = Gsm7Charset {
            locking: None,
            single,
        };
        let codes: Vec<u8> = t[name]["codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as u8)
            .collect();
        let septets: Vec<u8> = codes.iter().flat_map(|&c| [0x1B, c]).collect();
        assert_eq!(
            cs.decode(&septets),
            t[name]["chars"].as_str().unwrap(),
            "{name}"
        );
        // Re-encoding may prefer a one-septet locking code (Greek letters in Portuguese):
        // the decoded text, not the septets, must come back.
        let mut back = Vec::new();
        cs.encode_into(t[name]["chars"].as_str().unwrap(), &mut back)
            .unwrap();
        assert_eq!(
            cs.decode(&back),
            t[name]["chars"].as_str().unwrap(),
            "{name}"
        );
        assert!(back.len() <= septets.len(), "{name}");
    }
}

#[test]
fn segmentation_vectors_should_split_like_their_sources() {
    let vectors = load("segmentation.json");
    for v in vectors.as_array().unwrap() {
        let src = v["source"].as_str().unwrap();
        let text = match v["text"].as_str() {
            Some(t) => t.to_string(),
            None => {
                let r = &v["text_repeat"];
                let mut t = r[0]
                    .as_str()
                    .unwrap()
                    .repeat(r[1].as_u64().unwrap() as usize);
                t.push_str(v["suffix"].as_str().unwrap_or(""));
                t
            }
        };
        let opts = SegmentOptions {
            national_languages: v["national"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| lang(l.as_str().unwrap()))
                .collect(),
            ..SegmentOptions::default()
        };
        let count = count_parts(&text, &opts);
        let s = segment(&text, &opts, 1).unwrap();
        assert_eq!(count.parts, s.parts.len(), "{src}");
        if let Some(n) = v["part_count"].as_u64() {
            assert_eq!(count.parts as u64, n, "{src}");
        }
        if let Some(sizes) = v["parts"].as_array() {
            let got: Vec<u64> = s
                .parts
                .iter()
                .map(|p| p.as_text().unwrap().chars().count() as u64)
                .collect();
            let want: Vec<u64> = sizes.iter().map(|x| x.as_u64().unwrap()).collect();
            assert_eq!(got, want, "{src}");
        }
    }
}

#[test]
fn turkish_locking_shift_should_fit_what_single_shift_cannot() {
    // Same text as the 78-character Turkish vector: with the locking table it fits one part.
    let text = "ĞŞİğşı".repeat(13);
    let opts = SegmentOptions {
        national_languages: vec![NationalLanguage::Turkish],
        use_locking_shift: true,
        ..SegmentOptions::default()
    };
    let c = count_parts(&text, &opts);
    assert_eq!(c.parts, 1);
    assert_eq!(c.charset.locking, Some(NationalLanguage::Turkish));
}
