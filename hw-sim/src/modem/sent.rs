//! What the simulated network received from the modem: each submitted part, decoded, and the
//! parts grouped into messages (by recipient and concatenation reference).

use super::pdu::{Concat, SubmitInfo};

/// One SMS-SUBMIT the network accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SentPart {
    /// TP-MR the modem assigned (`+CMGS: <mr>`).
    pub mr: u8,
    /// The TPDU as upper-case hex, without the SMSC address.
    pub tpdu: String,
    /// The decoded submission; `None` when the codec could not decode it (the raw TPDU is
    /// still recorded, as a network would still carry it).
    pub decoded: Option<SubmitInfo>,
    /// Whether `+CMGS:` was (or will be) answered; false when a hang fault swallowed it.
    pub acknowledged: bool,
    /// When the network accepted it (RFC 3339, UTC).
    pub at: String,
}

/// Parts grouped into one message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SentMessage {
    /// Recipient.
    pub recipient: String,
    /// The text of the parts received so far, in sequence order.
    pub text: String,
    /// Parts expected (1 for a single message).
    pub total: u8,
    /// TP-MRs of the parts received, in sequence order.
    pub mrs: Vec<u8>,
    /// Whether every part was received.
    pub complete: bool,
    /// Whether any part asked for a status report.
    pub srr: bool,
}

/// (recipient, reference, total) of a concatenated message; `None` for a single part.
type GroupKey = Option<(String, u16, u8)>;
/// (sequence number, the part, its decoding).
type Member<'a> = (u8, &'a SentPart, &'a SubmitInfo);

/// Group decoded parts into messages, in order of their first part's arrival. Parts that could
/// not be decoded are left out (see [`SentPart::decoded`]).
pub fn group(parts: &[SentPart]) -> Vec<SentMessage> {
    let mut groups: Vec<(GroupKey, Vec<Member<'_>>)> = Vec::new();
    for part in parts {
        let Some(info) = &part.decoded else { continue };
        match info.concat {
            Some(Concat {
                reference,
                total,
                seq,
            }) => {
                let key = Some((info.recipient.clone(), reference, total));
                let open = groups
                    .iter_mut()
                    .find(|(k, ps)| *k == key && ps.iter().all(|(s, _, _)| *s != seq));
                match open {
                    Some((_, ps)) => ps.push((seq, part, info)),
                    None => groups.push((key, vec![(seq, part, info)])),
                }
            }
            None => groups.push((None, vec![(1, part, info)])),
        }
    }
    groups
        .into_iter()
        .map(|(key, mut ps)| {
            ps.sort_by_key(|(s, _, _)| *s);
            let total = key.as_ref().map_or(1, |k| k.2);
            SentMessage {
                recipient: ps
                    .first()
                    .map(|(_, _, i)| i.recipient.clone())
                    .unwrap_or_default(),
                text: ps
                    .iter()
                    .map(|(_, _, i)| i.text.clone().unwrap_or_default())
                    .collect(),
                total,
                mrs: ps.iter().map(|(_, p, _)| p.mr).collect(),
                complete: ps.len() == usize::from(total),
                srr: ps.iter().any(|(_, _, i)| i.srr),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(mr: u8, to: &str, text: &str, concat: Option<(u16, u8, u8)>) -> SentPart {
        SentPart {
            mr,
            tpdu: String::new(),
            decoded: Some(SubmitInfo {
                recipient: to.into(),
                srr: mr == 2,
                text: Some(text.into()),
                encoding: "gsm7".into(),
                concat: concat.map(|(reference, total, seq)| Concat {
                    reference,
                    total,
                    seq,
                }),
            }),
            acknowledged: true,
            at: String::new(),
        }
    }

    #[test]
    fn parts_should_group_by_recipient_and_reference_in_sequence_order() {
        let parts = vec![
            part(1, "+1", "world", Some((7, 2, 2))),
            part(2, "+2", "single", None),
            part(3, "+1", "hello ", Some((7, 2, 1))),
            part(4, "+1", "again", Some((7, 2, 1))),
        ];
        let msgs = group(&parts);
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].text, "hello world");
        assert_eq!(msgs[0].mrs, vec![3, 1]);
        assert!(msgs[0].complete);
        assert!(msgs[1].srr && msgs[1].complete);
        assert!(!msgs[2].complete);
    }
}
