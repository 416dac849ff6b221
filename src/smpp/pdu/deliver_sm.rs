//! deliver_sm (SMPP 3.4 §4.6.1): the SMSC delivers an MO message or a delivery receipt.
//!
//! Its body has exactly submit_sm's layout, so it reuses [`SubmitSm`]; what differs is the
//! meaning of `esm_class` (receipt bits, §5.2.12) and which TLVs appear
//! (receipted_message_id, message_state, network_error_code).

pub use super::submit_sm::SubmitSm as DeliverSm;

use super::values::{MessageState, esm_class};

impl DeliverSm {
    /// True when this deliver_sm is a delivery receipt or notification, not an MO message.
    pub fn is_receipt(&self) -> bool {
        esm_class::is_receipt(self.esm_class)
    }

    /// receipted_message_id as text (§5.3.2.12), the preferred receipt key.
    pub fn receipted_message_id(&self) -> Option<&str> {
        self.tlvs.receipted_message_id()?.as_str()
    }

    /// message_state (§5.3.2.35), preferred over the text receipt's `stat:`.
    pub fn message_state(&self) -> Option<MessageState> {
        self.tlvs.message_state()
    }
}
