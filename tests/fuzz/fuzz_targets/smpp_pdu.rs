#![no_main]
//! Decodes arbitrary bytes as one SMPP frame and as a byte stream. Anything that decodes must
//! re-encode, and the re-encoding must decode to the same PDU (round-trip stability); a
//! failure must carry an offset inside the input and produce an encodable generic_nack.

use libfuzzer_sys::fuzz_target;
use smsgw::smpp::pdu::Pdu;

fuzz_target!(|data: &[u8]| {
    match Pdu::decode(data) {
        Ok(pdu) => {
            if let Ok(bytes) = pdu.to_vec() {
                let again = Pdu::decode(&bytes).expect("our own encoding must decode");
                assert_eq!(again, pdu);
            }
        }
        Err(e) => {
            assert!(e.offset <= data.len());
            Pdu::generic_nack_for(&e)
                .to_vec()
                .expect("a generic_nack always encodes");
        }
    }
    // The same octets as a stream: frame-by-frame with the length prefix of each frame.
    let mut rest = data;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        if !(16..=rest.len()).contains(&len) {
            break;
        }
        let _ = Pdu::decode(&rest[..len]);
        rest = &rest[len..];
    }
});
