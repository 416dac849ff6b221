//! TLV tags of SMPP 3.4 (§5.3.2, Table 5-3) and SMPP 5.0 (§4.8.4), with the value shape each
//! definition prescribes. Unknown tags (vendor-specific 0x1400–0x3FFF and anything else) are
//! kept as [`TlvTag::Other`] with their raw value.

/// The shape of a TLV's value, from its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvKind {
    /// 1-octet integer.
    U8,
    /// 2-octet integer.
    U16,
    /// 4-octet integer.
    U32,
    /// C-Octet String of at most this many octets including the NUL.
    Text(usize),
    /// Octets, with a length between `min` and `max`.
    Octets {
        /// Smallest length.
        min: usize,
        /// Largest length.
        max: usize,
    },
    /// network_error_code: network type (1) + error code (2) (SMPP 3.4 §5.3.2.31).
    NetworkErrorCode,
}

const ANY: TlvKind = TlvKind::Octets { min: 0, max: 65535 };

macro_rules! tags {
    ($( $(#[$doc:meta])* $var:ident = $val:literal => $name:literal, $kind:expr; )*) => {
        /// A TLV tag. Known tags are named; others are kept as `Other`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TlvTag {
            $( $(#[$doc])* $var, )*
            /// A tag no table here defines, kept as received.
            Other(u16),
        }

        impl TlvTag {
            /// Maps a wire value; never fails.
            pub const fn from_u16(v: u16) -> Self {
                match v {
                    $( $val => Self::$var, )*
                    o => Self::Other(o),
                }
            }

            /// The wire value.
            pub const fn as_u16(self) -> u16 {
                match self {
                    $( Self::$var => $val, )*
                    Self::Other(o) => o,
                }
            }

            /// The spec's name (`"receipted_message_id"`), `None` for unknown tags.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$var => Some($name), )*
                    Self::Other(_) => None,
                }
            }

            /// The value shape the definition prescribes; unknown tags take any octets.
            pub const fn kind(self) -> TlvKind {
                match self {
                    $( Self::$var => $kind, )*
                    Self::Other(_) => ANY,
                }
            }
        }
    };
}

tags! {
    /// §5.3.2.1.
    DestAddrSubunit = 0x0005 => "dest_addr_subunit", TlvKind::U8;
    /// §5.3.2.3.
    DestNetworkType = 0x0006 => "dest_network_type", TlvKind::U8;
    /// §5.3.2.5.
    DestBearerType = 0x0007 => "dest_bearer_type", TlvKind::U8;
    /// §5.3.2.7 (2 octets in 3.4's table; kept raw because peers disagree on its size).
    DestTelematicsId = 0x0008 => "dest_telematics_id", ANY;
    /// §5.3.2.2.
    SourceAddrSubunit = 0x000D => "source_addr_subunit", TlvKind::U8;
    /// §5.3.2.4.
    SourceNetworkType = 0x000E => "source_network_type", TlvKind::U8;
    /// §5.3.2.6.
    SourceBearerType = 0x000F => "source_bearer_type", TlvKind::U8;
    /// §5.3.2.8 (1 octet in 3.4, 2 in 5.0: kept raw).
    SourceTelematicsId = 0x0010 => "source_telematics_id", ANY;
    /// §5.3.2.9: seconds the message stays valid.
    QosTimeToLive = 0x0017 => "qos_time_to_live", TlvKind::U32;
    /// §5.3.2.10.
    PayloadType = 0x0019 => "payload_type", TlvKind::U8;
    /// §5.3.2.11: free text about an error.
    AdditionalStatusInfoText = 0x001D => "additional_status_info_text", TlvKind::Text(256);
    /// §5.3.2.12: the SMSC message id a receipt is about.
    ReceiptedMessageId = 0x001E => "receipted_message_id", TlvKind::Text(65);
    /// §5.3.2.13.
    MsMsgWaitFacilities = 0x0030 => "ms_msg_wait_facilities", TlvKind::U8;
    /// §5.3.2.14.
    PrivacyIndicator = 0x0201 => "privacy_indicator", TlvKind::U8;
    /// §5.3.2.15.
    SourceSubaddress = 0x0202 => "source_subaddress", TlvKind::Octets { min: 2, max: 23 };
    /// §5.3.2.16.
    DestSubaddress = 0x0203 => "dest_subaddress", TlvKind::Octets { min: 2, max: 23 };
    /// §5.3.2.17.
    UserMessageReference = 0x0204 => "user_message_reference", TlvKind::U16;
    /// §5.3.2.18.
    UserResponseCode = 0x0205 => "user_response_code", TlvKind::U8;
    /// §5.3.2.20.
    SourcePort = 0x020A => "source_port", TlvKind::U16;
    /// §5.3.2.21.
    DestinationPort = 0x020B => "destination_port", TlvKind::U16;
    /// §5.3.2.22: concatenation reference.
    SarMsgRefNum = 0x020C => "sar_msg_ref_num", TlvKind::U16;
    /// §5.3.2.19.
    LanguageIndicator = 0x020D => "language_indicator", TlvKind::U8;
    /// §5.3.2.23: number of segments.
    SarTotalSegments = 0x020E => "sar_total_segments", TlvKind::U8;
    /// §5.3.2.24: this segment's number, from 1.
    SarSegmentSeqnum = 0x020F => "sar_segment_seqnum", TlvKind::U8;
    /// §5.3.2.25: the SMPP version the SMSC supports (bind responses).
    ScInterfaceVersion = 0x0210 => "sc_interface_version", TlvKind::U8;
    /// §5.3.2.37.
    CallbackNumPresInd = 0x0302 => "callback_num_pres_ind", TlvKind::U8;
    /// §5.3.2.38.
    CallbackNumAtag = 0x0303 => "callback_num_atag", TlvKind::Octets { min: 0, max: 65 };
    /// §5.3.2.39.
    NumberOfMessages = 0x0304 => "number_of_messages", TlvKind::U8;
    /// §5.3.2.36.
    CallbackNum = 0x0381 => "callback_num", TlvKind::Octets { min: 4, max: 19 };
    /// §5.3.2.28.
    DpfResult = 0x0420 => "dpf_result", TlvKind::U8;
    /// §5.3.2.29.
    SetDpf = 0x0421 => "set_dpf", TlvKind::U8;
    /// §5.3.2.30.
    MsAvailabilityStatus = 0x0422 => "ms_availability_status", TlvKind::U8;
    /// §5.3.2.31: network type + network-specific error code.
    NetworkErrorCode = 0x0423 => "network_error_code", TlvKind::NetworkErrorCode;
    /// §5.3.2.32: the message body when longer than `short_message` allows.
    MessagePayload = 0x0424 => "message_payload", ANY;
    /// §5.3.2.33.
    DeliveryFailureReason = 0x0425 => "delivery_failure_reason", TlvKind::U8;
    /// §5.3.2.34.
    MoreMessagesToSend = 0x0426 => "more_messages_to_send", TlvKind::U8;
    /// §5.3.2.35: final state of a message (receipts).
    MessageState = 0x0427 => "message_state", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.19: SMSC load, 0–100.
    CongestionState = 0x0428 => "congestion_state", TlvKind::U8;
    /// §5.3.2.44.
    UssdServiceOp = 0x0501 => "ussd_service_op", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.7.
    BroadcastChannelIndicator = 0x0600 => "broadcast_channel_indicator", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.8.
    BroadcastContentType = 0x0601 => "broadcast_content_type", TlvKind::Octets { min: 3, max: 3 };
    /// SMPP 5.0 §4.8.4.9.
    BroadcastContentTypeInfo = 0x0602 => "broadcast_content_type_info", ANY;
    /// SMPP 5.0 §4.8.4.12.
    BroadcastMessageClass = 0x0603 => "broadcast_message_class", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.13.
    BroadcastRepNum = 0x0604 => "broadcast_rep_num", TlvKind::U16;
    /// SMPP 5.0 §4.8.4.11.
    BroadcastFrequencyInterval = 0x0605 => "broadcast_frequency_interval", TlvKind::Octets { min: 3, max: 3 };
    /// SMPP 5.0 §4.8.4.4.
    BroadcastAreaIdentifier = 0x0606 => "broadcast_area_identifier", ANY;
    /// SMPP 5.0 §4.8.4.10.
    BroadcastErrorStatus = 0x0607 => "broadcast_error_status", TlvKind::U32;
    /// SMPP 5.0 §4.8.4.5.
    BroadcastAreaSuccess = 0x0608 => "broadcast_area_success", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.6.
    BroadcastEndTime = 0x0609 => "broadcast_end_time", TlvKind::Text(17);
    /// SMPP 5.0 §4.8.4.14.
    BroadcastServiceGroup = 0x060A => "broadcast_service_group", ANY;
    /// SMPP 5.0 §4.8.4.3.
    BillingIdentification = 0x060B => "billing_identification", TlvKind::Octets { min: 0, max: 1024 };
    /// SMPP 5.0 §4.8.4.53.
    SourceNetworkId = 0x060D => "source_network_id", TlvKind::Text(65);
    /// SMPP 5.0 §4.8.4.24.
    DestNetworkId = 0x060E => "dest_network_id", TlvKind::Text(65);
    /// SMPP 5.0 §4.8.4.55.
    SourceNodeId = 0x060F => "source_node_id", TlvKind::Octets { min: 6, max: 6 };
    /// SMPP 5.0 §4.8.4.26.
    DestNodeId = 0x0610 => "dest_node_id", TlvKind::Octets { min: 6, max: 6 };
    /// SMPP 5.0 §4.8.4.22.
    DestAddrNpResolution = 0x0611 => "dest_addr_np_resolution", TlvKind::U8;
    /// SMPP 5.0 §4.8.4.21.
    DestAddrNpInformation = 0x0612 => "dest_addr_np_information", TlvKind::Octets { min: 10, max: 10 };
    /// SMPP 5.0 §4.8.4.20.
    DestAddrNpCountry = 0x0613 => "dest_addr_np_country", TlvKind::Octets { min: 1, max: 5 };
    /// §5.3.2.26.
    DisplayTime = 0x1201 => "display_time", TlvKind::U8;
    /// §5.3.2.40.
    SmsSignal = 0x1203 => "sms_signal", TlvKind::U16;
    /// §5.3.2.27 (1 octet in 3.4; up to 4 in 5.0).
    MsValidity = 0x1204 => "ms_validity", TlvKind::Octets { min: 1, max: 4 };
    /// §5.3.2.41 (empty in 3.4; 1 octet in 5.0).
    AlertOnMessageDelivery = 0x130C => "alert_on_message_delivery", TlvKind::Octets { min: 0, max: 1 };
    /// §5.3.2.42.
    ItsReplyType = 0x1380 => "its_reply_type", TlvKind::U8;
    /// §5.3.2.43.
    ItsSessionInfo = 0x1383 => "its_session_info", TlvKind::U16;
}

impl std::fmt::Display for TlvTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#06x}", self.as_u16()),
        }
    }
}

impl serde::Serialize for TlvTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
