#![no_main]
//! Feeds arbitrary bytes to the AT digester in arbitrary chunks, switching the
//! command in flight, and drains every event. The first bytes choose the
//! maximum line length and the chunk sizes; the rest is the modem stream.

use libfuzzer_sys::fuzz_target;
use smsgw::at::{Digester, Expect};

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let max_line = 64 + usize::from(head) * 4;
    let expects = [
        Expect::new("AT+CSQ").prefix("+CSQ:"),
        Expect::new("AT+CMGL=4").prefix("+CMGL:").pdu_follows(),
        Expect::new("AT+CMGS=23").prefix("+CMGS:").prompt("0011"),
        Expect::new("AT+CREG?").prefix("+CREG:"),
    ];
    let mut d = Digester::new(max_line);
    d.set_numeric_results(head & 1 == 1);
    let mut input = rest;
    while let Some((&ctl, tail)) = input.split_first() {
        let n = usize::from(ctl % 32).min(tail.len());
        if ctl >= 0xF0 {
            d.expect(&expects[usize::from(ctl) % expects.len()]);
        } else if ctl == 0xEF {
            let _ = d.abandon();
        }
        d.feed(&tail[..n]);
        input = &tail[n..];
        let mut events = 0usize;
        while d.next_event().is_some() {
            events += 1;
            assert!(events <= n + 2, "digester did not make progress");
        }
        assert!(d.buffered() <= max_line);
    }
});
