//! Value checks beyond the octet layout: reserved bits and values the spec forbids.
//!
//! Decoding keeps whatever one-octet values a peer sends (so an ESME never loses a receipt
//! over an odd flag); a receiver that must enforce the spec calls [`Body::check_values`] and
//! answers with the status it returns. hw-sim's SMSC does this for submits.

use super::body::Body;
use super::status::CommandStatus;
use super::submit_sm::SubmitSm;
use super::values::{esm_class, registered_delivery};

/// §5.2.17: bits 7..5 of registered_delivery are reserved.
fn check_registered_delivery(v: u8) -> Result<(), CommandStatus> {
    if v & registered_delivery::RESERVED_MASK != 0 {
        return Err(CommandStatus::InvalidRegisteredDeliveryFlag);
    }
    Ok(())
}

/// §5.2.14 (priority 0–3 in 3.4, 0–4 in 5.0) and §5.2.18 (replace_if_present 0 or 1).
fn check_priority_and_replace(priority: u8, replace: u8) -> Result<(), CommandStatus> {
    if priority > 4 {
        return Err(CommandStatus::InvalidPriorityFlag);
    }
    if replace > 1 {
        return Err(CommandStatus::InvalidReplaceIfPresentFlag);
    }
    Ok(())
}

/// §5.2.12: the message types an ESME may submit (default, delivery ack, manual ack).
fn check_submit_esm_class(v: u8) -> Result<(), CommandStatus> {
    match v & esm_class::TYPE_MASK {
        0 | esm_class::DELIVERY_ACK | esm_class::MANUAL_ACK => Ok(()),
        _ => Err(CommandStatus::InvalidEsmClass),
    }
}

/// §5.2.12: the message types an SMSC may deliver.
fn check_deliver_esm_class(v: u8) -> Result<(), CommandStatus> {
    match v & esm_class::TYPE_MASK {
        0
        | esm_class::DELIVERY_RECEIPT
        | esm_class::DELIVERY_ACK
        | esm_class::MANUAL_ACK
        | esm_class::CONVERSATION_ABORT
        | esm_class::INTERMEDIATE_NOTIFICATION => Ok(()),
        _ => Err(CommandStatus::InvalidEsmClass),
    }
}

/// §5.3.2.32: short_message and message_payload are exclusive.
fn check_payload(s: &SubmitSm) -> Result<(), CommandStatus> {
    if !s.short_message.as_bytes().is_empty() && s.tlvs.message_payload().is_some() {
        return Err(CommandStatus::InvalidMessageLength);
    }
    Ok(())
}

impl Body {
    /// Checks reserved bits and restricted values (SMPP 3.4 §5.2); `Err` holds the
    /// `command_status` to answer with. PDUs without such fields always pass.
    pub fn check_values(&self) -> Result<(), CommandStatus> {
        match self {
            Body::SubmitSm(s) => {
                check_submit_esm_class(s.esm_class)?;
                check_priority_and_replace(s.priority_flag, s.replace_if_present_flag)?;
                check_registered_delivery(s.registered_delivery)?;
                check_payload(s)
            }
            Body::DeliverSm(s) => {
                check_deliver_esm_class(s.esm_class)?;
                check_payload(s)
            }
            Body::SubmitMulti(m) => {
                check_submit_esm_class(m.esm_class)?;
                check_priority_and_replace(m.priority_flag, m.replace_if_present_flag)?;
                check_registered_delivery(m.registered_delivery)
            }
            Body::DataSm(d) => check_registered_delivery(d.registered_delivery),
            Body::ReplaceSm(r) => check_registered_delivery(r.registered_delivery),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm(f: impl FnOnce(&mut SubmitSm)) -> Body {
        let mut s = SubmitSm::default();
        f(&mut s);
        Body::SubmitSm(s)
    }

    #[test]
    fn reserved_registered_delivery_bits_should_be_refused() {
        assert_eq!(
            sm(|s| s.registered_delivery = 0x21).check_values(),
            Err(CommandStatus::InvalidRegisteredDeliveryFlag)
        );
        assert_eq!(sm(|s| s.registered_delivery = 0x11).check_values(), Ok(()));
    }

    #[test]
    fn restricted_flags_should_map_to_their_statuses() {
        assert_eq!(
            sm(|s| s.priority_flag = 5).check_values(),
            Err(CommandStatus::InvalidPriorityFlag)
        );
        assert_eq!(
            sm(|s| s.replace_if_present_flag = 2).check_values(),
            Err(CommandStatus::InvalidReplaceIfPresentFlag)
        );
        assert_eq!(
            sm(|s| s.esm_class = esm_class::DELIVERY_RECEIPT).check_values(),
            Err(CommandStatus::InvalidEsmClass)
        );
        assert_eq!(
            sm(|s| s.esm_class = esm_class::UDHI | 0x03).check_values(),
            Ok(())
        );
    }

    #[test]
    fn receipt_esm_class_should_pass_in_deliver_sm() {
        let d = Body::DeliverSm(SubmitSm {
            esm_class: esm_class::DELIVERY_RECEIPT,
            ..SubmitSm::default()
        });
        assert_eq!(d.check_values(), Ok(()));
    }

    #[test]
    fn short_message_with_message_payload_should_be_refused() {
        let b = sm(|s| {
            s.short_message = vec![1u8].into();
            s.tlvs
                .push(super::super::tlv::Tlv::message_payload(vec![2u8]));
        });
        assert_eq!(b.check_values(), Err(CommandStatus::InvalidMessageLength));
    }
}
