//! `command_status` values (SMPP 3.4 §5.1.3, Table 5-2; SMPP 5.0 §4.7.6 additions).
//!
//! Every value keeps its `ESME_` name from the spec, because operators' logs, SMSC consoles and
//! our message history all speak in those names. Values nobody defined (vendor codes, the
//! reserved ranges) are kept as [`CommandStatus::Other`] rather than folded into one bucket.

macro_rules! statuses {
    ($( $(#[$doc:meta])* $var:ident = $val:literal => $name:literal, )*) => {
        /// An SMPP `command_status` (SMPP 3.4 §5.1.3). Unknown values are kept in `Other`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum CommandStatus {
            $( $(#[$doc])* $var, )*
            /// A value outside the tables (vendor-specific or reserved), kept as received.
            Other(u32),
        }

        impl CommandStatus {
            /// Maps a wire value; never fails (unknown values become `Other`).
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

            /// The spec's name (`"ESME_RTHROTTLED"`), or `None` for values no table defines.
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$var => Some($name), )*
                    Self::Other(_) => None,
                }
            }

            /// Looks a status up by its spec name (case-insensitive), for configuration and CLIs.
            pub fn from_name(name: &str) -> Option<Self> {
                $( if name.eq_ignore_ascii_case($name) { return Some(Self::$var); } )*
                None
            }
        }
    };
}

statuses! {
    /// No error.
    Ok = 0x0000_0000 => "ESME_ROK",
    /// Message length is invalid.
    InvalidMessageLength = 0x0000_0001 => "ESME_RINVMSGLEN",
    /// Command length is invalid.
    InvalidCommandLength = 0x0000_0002 => "ESME_RINVCMDLEN",
    /// Invalid command ID.
    InvalidCommandId = 0x0000_0003 => "ESME_RINVCMDID",
    /// Incorrect bind status for the given command.
    InvalidBindStatus = 0x0000_0004 => "ESME_RINVBNDSTS",
    /// ESME already in bound state.
    AlreadyBound = 0x0000_0005 => "ESME_RALYBND",
    /// Invalid priority flag.
    InvalidPriorityFlag = 0x0000_0006 => "ESME_RINVPRTFLG",
    /// Invalid registered delivery flag.
    InvalidRegisteredDeliveryFlag = 0x0000_0007 => "ESME_RINVREGDLVFLG",
    /// System error.
    SystemError = 0x0000_0008 => "ESME_RSYSERR",
    /// Invalid source address.
    InvalidSourceAddress = 0x0000_000A => "ESME_RINVSRCADR",
    /// Invalid destination address.
    InvalidDestinationAddress = 0x0000_000B => "ESME_RINVDSTADR",
    /// Message ID is invalid.
    InvalidMessageId = 0x0000_000C => "ESME_RINVMSGID",
    /// Bind failed.
    BindFailed = 0x0000_000D => "ESME_RBINDFAIL",
    /// Invalid password.
    InvalidPassword = 0x0000_000E => "ESME_RINVPASWD",
    /// Invalid system ID.
    InvalidSystemId = 0x0000_000F => "ESME_RINVSYSID",
    /// cancel_sm failed.
    CancelFailed = 0x0000_0011 => "ESME_RCANCELFAIL",
    /// replace_sm failed.
    ReplaceFailed = 0x0000_0013 => "ESME_RREPLACEFAIL",
    /// Message queue full.
    MessageQueueFull = 0x0000_0014 => "ESME_RMSGQFUL",
    /// Invalid service type.
    InvalidServiceType = 0x0000_0015 => "ESME_RINVSERTYP",
    /// Invalid number of destinations.
    InvalidNumberOfDestinations = 0x0000_0033 => "ESME_RINVNUMDESTS",
    /// Invalid distribution list name.
    InvalidDistributionListName = 0x0000_0034 => "ESME_RINVDLNAME",
    /// Destination flag is invalid (submit_multi).
    InvalidDestFlag = 0x0000_0040 => "ESME_RINVDESTFLAG",
    /// Invalid "submit with replace" request.
    InvalidSubmitWithReplace = 0x0000_0042 => "ESME_RINVSUBREP",
    /// Invalid esm_class field data.
    InvalidEsmClass = 0x0000_0043 => "ESME_RINVESMCLASS",
    /// Cannot submit to distribution list.
    CannotSubmitToDistributionList = 0x0000_0044 => "ESME_RCNTSUBDL",
    /// submit_sm or submit_multi failed.
    SubmitFailed = 0x0000_0045 => "ESME_RSUBMITFAIL",
    /// Invalid source address TON.
    InvalidSourceTon = 0x0000_0048 => "ESME_RINVSRCTON",
    /// Invalid source address NPI.
    InvalidSourceNpi = 0x0000_0049 => "ESME_RINVSRCNPI",
    /// Invalid destination address TON.
    InvalidDestinationTon = 0x0000_0050 => "ESME_RINVDSTTON",
    /// Invalid destination address NPI.
    InvalidDestinationNpi = 0x0000_0051 => "ESME_RINVDSTNPI",
    /// Invalid system_type field.
    InvalidSystemType = 0x0000_0053 => "ESME_RINVSYSTYP",
    /// Invalid replace_if_present flag.
    InvalidReplaceIfPresentFlag = 0x0000_0054 => "ESME_RINVREPFLAG",
    /// Invalid number of messages.
    InvalidNumberOfMessages = 0x0000_0055 => "ESME_RINVNUMMSGS",
    /// Throttling error (ESME has exceeded allowed message limits).
    Throttled = 0x0000_0058 => "ESME_RTHROTTLED",
    /// Invalid scheduled delivery time.
    InvalidScheduledDeliveryTime = 0x0000_0061 => "ESME_RINVSCHED",
    /// Invalid message validity period (expiry time).
    InvalidExpiry = 0x0000_0062 => "ESME_RINVEXPIRY",
    /// Predefined message invalid or not found.
    InvalidDefaultMessageId = 0x0000_0063 => "ESME_RINVDFTMSGID",
    /// ESME receiver temporary application error code.
    ReceiverTemporaryAppError = 0x0000_0064 => "ESME_RX_T_APPN",
    /// ESME receiver permanent application error code.
    ReceiverPermanentAppError = 0x0000_0065 => "ESME_RX_P_APPN",
    /// ESME receiver reject message error code.
    ReceiverRejectMessage = 0x0000_0066 => "ESME_RX_R_APPN",
    /// query_sm request failed.
    QueryFailed = 0x0000_0067 => "ESME_RQUERYFAIL",
    /// Error in the optional part of the PDU body.
    InvalidOptionalParameterStream = 0x0000_00C0 => "ESME_RINVOPTPARSTREAM",
    /// Optional parameter not allowed.
    OptionalParameterNotAllowed = 0x0000_00C1 => "ESME_ROPTPARNOTALLWD",
    /// Invalid parameter length.
    InvalidParameterLength = 0x0000_00C2 => "ESME_RINVPARLEN",
    /// Expected optional parameter missing.
    MissingOptionalParameter = 0x0000_00C3 => "ESME_RMISSINGOPTPARAM",
    /// Invalid optional parameter value.
    InvalidOptionalParameterValue = 0x0000_00C4 => "ESME_RINVOPTPARAMVAL",
    /// Delivery failure (used for data_sm_resp).
    DeliveryFailure = 0x0000_00FE => "ESME_RDELIVERYFAILURE",
    /// Unknown error.
    UnknownError = 0x0000_00FF => "ESME_RUNKNOWNERR",
    /// SMPP 5.0: ESME not authorised to use the specified service_type.
    ServiceTypeUnauthorised = 0x0000_0100 => "ESME_RSERTYPUNAUTH",
    /// SMPP 5.0: ESME prohibited from using the specified operation.
    Prohibited = 0x0000_0101 => "ESME_RPROHIBITED",
    /// SMPP 5.0: specified service_type is unavailable.
    ServiceTypeUnavailable = 0x0000_0102 => "ESME_RSERTYPUNAVAIL",
    /// SMPP 5.0: specified service_type is denied.
    ServiceTypeDenied = 0x0000_0103 => "ESME_RSERTYPDENIED",
    /// SMPP 5.0: invalid data coding scheme.
    InvalidDataCoding = 0x0000_0104 => "ESME_RINVDCS",
    /// SMPP 5.0: source address subunit is invalid.
    InvalidSourceAddrSubunit = 0x0000_0105 => "ESME_RINVSRCADDRSUBUNIT",
    /// SMPP 5.0: destination address subunit is invalid.
    InvalidDestAddrSubunit = 0x0000_0106 => "ESME_RINVDSTADDRSUBUNIT",
    /// SMPP 5.0: broadcast frequency interval is invalid.
    InvalidBroadcastFrequency = 0x0000_0107 => "ESME_RINVBCASTFREQINT",
    /// SMPP 5.0: broadcast alias name is invalid.
    InvalidBroadcastAliasName = 0x0000_0108 => "ESME_RINVBCASTALIAS_NAME",
    /// SMPP 5.0: broadcast area format is invalid.
    InvalidBroadcastAreaFormat = 0x0000_0109 => "ESME_RINVBCASTAREAFMT",
    /// SMPP 5.0: number of broadcast areas is invalid.
    InvalidNumberOfBroadcastAreas = 0x0000_010A => "ESME_RINVNUMBCAST_AREAS",
    /// SMPP 5.0: broadcast content type is invalid.
    InvalidBroadcastContentType = 0x0000_010B => "ESME_RINVBCASTCNTTYPE",
    /// SMPP 5.0: broadcast message class is invalid.
    InvalidBroadcastMessageClass = 0x0000_010C => "ESME_RINVBCASTMSGCLASS",
    /// SMPP 5.0: broadcast_sm operation failed.
    BroadcastFailed = 0x0000_010D => "ESME_RBCASTFAIL",
    /// SMPP 5.0: query_broadcast_sm operation failed.
    BroadcastQueryFailed = 0x0000_010E => "ESME_RBCASTQUERYFAIL",
    /// SMPP 5.0: cancel_broadcast_sm operation failed.
    BroadcastCancelFailed = 0x0000_010F => "ESME_RBCASTCANCELFAIL",
    /// SMPP 5.0: number of repeated broadcasts is invalid.
    InvalidBroadcastRepetition = 0x0000_0110 => "ESME_RINVBCAST_REP",
    /// SMPP 5.0: broadcast service group is invalid.
    InvalidBroadcastServiceGroup = 0x0000_0111 => "ESME_RINVBCASTSRVGRP",
    /// SMPP 5.0: broadcast channel indicator is invalid.
    InvalidBroadcastChannelIndicator = 0x0000_0112 => "ESME_RINVBCASTCHANIND",
}

impl CommandStatus {
    /// True for statuses that mean "slow down and try the same message again later"
    /// (`ESME_RTHROTTLED`, `ESME_RMSGQFUL`): the session cuts its rate and window.
    pub const fn is_throttle(self) -> bool {
        matches!(self, Self::Throttled | Self::MessageQueueFull)
    }

    /// True for statuses after which resubmitting the same message may succeed: throttling,
    /// SMSC-side system/temporary errors. Everything else (bad address, bad coding, bind errors)
    /// fails the message. SMPP 3.4 does not classify statuses; this is the mapping Kannel and
    /// most SMSC vendors' guides agree on, and vendor codes (`Other`) count as temporary so a
    /// message is retried within its validity rather than lost.
    pub const fn is_temporary(self) -> bool {
        matches!(
            self,
            Self::Throttled
                | Self::MessageQueueFull
                | Self::SystemError
                | Self::ReceiverTemporaryAppError
                | Self::DeliveryFailure
                | Self::UnknownError
                | Self::SubmitFailed
                | Self::Other(_)
        )
    }
}

impl Default for CommandStatus {
    /// `ESME_ROK`: what requests carry (§3.2).
    fn default() -> Self {
        CommandStatus::Ok
    }
}

impl std::fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{:#010x}", self.as_u32()),
        }
    }
}

impl serde::Serialize for CommandStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_value_should_round_trip_through_u32_and_name() {
        for v in 0u32..0x200 {
            let s = CommandStatus::from_u32(v);
            assert_eq!(s.as_u32(), v);
            if let Some(n) = s.name() {
                assert_eq!(CommandStatus::from_name(n), Some(s));
                assert!(n.starts_with("ESME_R"));
            }
        }
    }

    #[test]
    fn vendor_value_should_be_kept_and_printed_in_hex() {
        let s = CommandStatus::from_u32(0x0400);
        assert_eq!(s, CommandStatus::Other(0x400));
        assert_eq!(s.to_string(), "0x00000400");
        assert_eq!(CommandStatus::Throttled.to_string(), "ESME_RTHROTTLED");
    }
}
