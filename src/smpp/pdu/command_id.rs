//! `command_id` values (SMPP 3.4 §5.1.2.1, Table 5-1).
//!
//! A response's id is its request's id with bit 31 set. Ids this codec does not decode
//! (SMPP 5.0 broadcast operations, vendor ids) are kept in [`CommandId::Other`] so a session can
//! answer `generic_nack` with `ESME_RINVCMDID`.

macro_rules! command_ids {
    ($( $(#[$doc:meta])* $var:ident = $val:literal => $name:literal, )*) => {
        /// An SMPP `command_id` (SMPP 3.4 §5.1.2.1).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CommandId {
            $( $(#[$doc])* $var, )*
            /// Any other value, kept as received.
            Other(u32),
        }

        impl CommandId {
            /// Maps a wire value; never fails.
            pub const fn from_u32(v: u32) -> Self {
                match v {
                    $( $val => Self::$var, )*
                    o => Self::Other(o),
                }
            }

            /// The wire value.
            pub const fn as_u32(self) -> u32 {
                match self {
                    $( Self::$var => $val, )*
                    Self::Other(o) => o,
                }
            }

            /// The spec's name (`"submit_sm_resp"`), `None` for unknown ids.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$var => Some($name), )*
                    Self::Other(_) => None,
                }
            }
        }
    };
}

command_ids! {
    /// §4.3.1: negative acknowledgement of an unparseable PDU.
    GenericNack = 0x8000_0000 => "generic_nack",
    /// §4.1.3: bind as a receiver.
    BindReceiver = 0x0000_0001 => "bind_receiver",
    /// §4.1.4.
    BindReceiverResp = 0x8000_0001 => "bind_receiver_resp",
    /// §4.1.1: bind as a transmitter.
    BindTransmitter = 0x0000_0002 => "bind_transmitter",
    /// §4.1.2.
    BindTransmitterResp = 0x8000_0002 => "bind_transmitter_resp",
    /// §4.8.1: query the state of a message.
    QuerySm = 0x0000_0003 => "query_sm",
    /// §4.8.2.
    QuerySmResp = 0x8000_0003 => "query_sm_resp",
    /// §4.4.1: submit one short message.
    SubmitSm = 0x0000_0004 => "submit_sm",
    /// §4.4.2.
    SubmitSmResp = 0x8000_0004 => "submit_sm_resp",
    /// §4.6.1: SMSC → ESME message or receipt.
    DeliverSm = 0x0000_0005 => "deliver_sm",
    /// §4.6.2.
    DeliverSmResp = 0x8000_0005 => "deliver_sm_resp",
    /// §4.2.1: end the session.
    Unbind = 0x0000_0006 => "unbind",
    /// §4.2.2.
    UnbindResp = 0x8000_0006 => "unbind_resp",
    /// §4.10.1: replace a previously submitted message.
    ReplaceSm = 0x0000_0007 => "replace_sm",
    /// §4.10.2.
    ReplaceSmResp = 0x8000_0007 => "replace_sm_resp",
    /// §4.9.1: cancel a previously submitted message.
    CancelSm = 0x0000_0008 => "cancel_sm",
    /// §4.9.2.
    CancelSmResp = 0x8000_0008 => "cancel_sm_resp",
    /// §4.1.5: bind as a transceiver.
    BindTransceiver = 0x0000_0009 => "bind_transceiver",
    /// §4.1.6.
    BindTransceiverResp = 0x8000_0009 => "bind_transceiver_resp",
    /// §4.1.7: SMSC asks the ESME to bind as receiver.
    Outbind = 0x0000_000B => "outbind",
    /// §4.11.1: link keep-alive.
    EnquireLink = 0x0000_0015 => "enquire_link",
    /// §4.11.2.
    EnquireLinkResp = 0x8000_0015 => "enquire_link_resp",
    /// §4.5.1: submit to several destinations.
    SubmitMulti = 0x0000_0021 => "submit_multi",
    /// §4.5.2.
    SubmitMultiResp = 0x8000_0021 => "submit_multi_resp",
    /// §4.12.1: an MS became available.
    AlertNotification = 0x0000_0102 => "alert_notification",
    /// §4.7.1: message transfer without the short_message field.
    DataSm = 0x0000_0103 => "data_sm",
    /// §4.7.2.
    DataSmResp = 0x8000_0103 => "data_sm_resp",
}

impl CommandId {
    /// Bit 31 marks a response (SMPP 3.4 §5.1.2.1).
    pub const fn is_response(self) -> bool {
        self.as_u32() & 0x8000_0000 != 0
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#010x}", self.as_u32()),
        }
    }
}

impl serde::Serialize for CommandId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
