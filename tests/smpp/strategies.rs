//! proptest generators for every PDU type, with field values inside the spec's limits.
//!
//! `Profile::Interop` restricts TLVs and text to what an SMPP 5.0 peer (rusmpp) models, so the
//! same generators drive both our round trips and the interop tests.

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use smsgw::smpp::pdu::*;

/// Which peer the values must suit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Anything our codec accepts (vendor TLVs, arbitrary non-NUL octets in strings).
    Ours,
    /// Values a strict third-party SMPP implementation also models.
    Interop,
}

/// A C-Octet String of at most `max` octets including the NUL.
pub fn cstr(max: usize, p: Profile) -> BoxedStrategy<COctetString> {
    let octet = match p {
        Profile::Ours => (1u8..=255).boxed(),
        Profile::Interop => (0x20u8..0x7f).boxed(),
    };
    vec(octet, 0..max)
        .prop_map(|v| COctetString::new(v).unwrap())
        .boxed()
}

/// An SMPP time: empty or 16 characters (§7.1).
pub fn time() -> BoxedStrategy<COctetString> {
    prop_oneof![
        Just(COctetString::EMPTY),
        "[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])([01][0-9])[0-5][0-9][0-5][0-9][0-9]0[0-9][+-]"
            .prop_map(|s| COctetString::try_from(s.as_str()).unwrap()),
        "[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])([01][0-9])[0-5][0-9][0-5][0-9]000R"
            .prop_map(|s| COctetString::try_from(s.as_str()).unwrap()),
    ]
    .boxed()
}

pub fn address(max: usize, p: Profile) -> BoxedStrategy<Address> {
    (any::<u8>(), any::<u8>(), cstr(max, p))
        .prop_map(|(ton, npi, addr)| Address { ton, npi, addr })
        .boxed()
}

/// ton/npi restricted to the values the spec names (strict peers type these).
pub fn address_known(max: usize, p: Profile) -> BoxedStrategy<Address> {
    if p == Profile::Ours {
        return address(max, p);
    }
    (
        prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 6]),
        prop::sample::select(vec![0u8, 1, 3, 4, 6, 8, 9, 10, 14, 18]),
        cstr(max, p),
    )
        .prop_map(|(ton, npi, addr)| Address { ton, npi, addr })
        .boxed()
}

fn octets(max: usize) -> impl Strategy<Value = OctetString> {
    vec(any::<u8>(), 0..=max).prop_map(OctetString::from)
}

/// One TLV. Interop: tags both specs define with unambiguous shapes.
pub fn tlv(p: Profile) -> BoxedStrategy<Tlv> {
    let common = prop_oneof![
        cstr(65, Profile::Interop).prop_map(Tlv::receipted_message_id),
        (0u8..=9).prop_map(|s| Tlv::message_state(MessageState::from_u8(s))),
        any::<u16>().prop_map(|v| Tlv::u16(TlvTag::SarMsgRefNum, v)),
        any::<u8>().prop_map(|v| Tlv::u8(TlvTag::SarTotalSegments, v)),
        any::<u8>().prop_map(|v| Tlv::u8(TlvTag::SarSegmentSeqnum, v)),
        any::<u16>().prop_map(|v| Tlv::u16(TlvTag::SourcePort, v)),
        any::<u16>().prop_map(|v| Tlv::u16(TlvTag::DestinationPort, v)),
        any::<u16>().prop_map(|v| Tlv::u16(TlvTag::UserMessageReference, v)),
        vec(any::<u8>(), 0..300).prop_map(Tlv::message_payload),
        (1u8..=3, any::<u16>()).prop_map(|(network_type, error_code)| Tlv {
            tag: TlvTag::NetworkErrorCode,
            value: TlvValue::NetworkErrorCode {
                network_type,
                error_code
            },
        }),
    ];
    match p {
        Profile::Interop => common.boxed(),
        Profile::Ours => prop_oneof![
            common,
            any::<u32>().prop_map(|v| Tlv {
                tag: TlvTag::QosTimeToLive,
                value: TlvValue::U32(v)
            }),
            cstr(256, Profile::Ours).prop_map(|s| Tlv {
                tag: TlvTag::AdditionalStatusInfoText,
                value: TlvValue::Text(s)
            }),
            // Vendor-specific range 0x1400–0x3FFF, kept raw.
            (0x1400u16..=0x3fff, vec(any::<u8>(), 0..40))
                .prop_map(|(t, v)| Tlv::raw(t, Bytes::from(v))),
            vec(any::<u8>(), 4..=19).prop_map(|v| Tlv {
                tag: TlvTag::CallbackNum,
                value: TlvValue::Octets(v.into())
            }),
        ]
        .boxed(),
    }
}

pub fn tlvs(p: Profile, max: usize) -> BoxedStrategy<Tlvs> {
    vec(tlv(p), 0..=max)
        .prop_map(|mut v| {
            // Each tag at most once (§3.2.4 lets a peer reject repeats).
            let mut seen = std::collections::HashSet::new();
            v.retain(|t| seen.insert(t.tag));
            Tlvs(v)
        })
        .boxed()
}

fn bind(p: Profile) -> impl Strategy<Value = Bind> {
    (
        cstr(16, p),
        cstr(9, p),
        cstr(13, p),
        prop::sample::select(vec![0x33u8, 0x34, 0x50]),
        address_known(41, p),
    )
        .prop_map(
            |(system_id, password, system_type, interface_version, a)| Bind {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton: a.ton,
                addr_npi: a.npi,
                address_range: a.addr,
            },
        )
}

fn bind_resp(p: Profile) -> impl Strategy<Value = BindResp> {
    (
        cstr(16, p),
        proptest::option::of(prop::sample::select(vec![0x34u8, 0x50])),
    )
        .prop_map(|(system_id, v)| BindResp {
            system_id,
            tlvs: v
                .map(|v| Tlvs(vec![Tlv::u8(TlvTag::ScInterfaceVersion, v)]))
                .unwrap_or_default(),
        })
}

/// Flag octets: anything for our codec; the spec's defined values for strict peers.
fn flags(p: Profile) -> BoxedStrategy<(u8, u8, u8, u8, u8, u8)> {
    match p {
        Profile::Ours => any::<(u8, u8, u8, u8, u8, u8)>().boxed(),
        Profile::Interop => (
            prop::sample::select(vec![0u8, 0x03, 0x04, 0x40, 0x43, 0x80]),
            any::<u8>(),
            0u8..=4,
            prop::sample::select(vec![0u8, 1, 2, 0x11]),
            0u8..=1,
            prop::sample::select(vec![0u8, 1, 2, 3, 4, 8]),
        )
            .boxed(),
    }
}

pub fn submit_sm(p: Profile) -> impl Strategy<Value = SubmitSm> {
    (
        cstr(6, p),
        address_known(21, p),
        address_known(21, p),
        flags(p),
        (time(), time()),
        any::<u8>(),
        octets(254),
        tlvs(p, 4),
    )
        .prop_map(
            |(service_type, source, dest, f, t, sm_default_msg_id, sm, tlvs)| SubmitSm {
                service_type,
                source,
                dest,
                esm_class: f.0,
                protocol_id: f.1,
                priority_flag: f.2,
                schedule_delivery_time: t.0,
                validity_period: t.1,
                registered_delivery: f.3,
                replace_if_present_flag: f.4,
                data_coding: f.5,
                sm_default_msg_id,
                short_message: sm,
                tlvs,
            },
        )
}

fn sm_resp(p: Profile, with_tlvs: bool) -> impl Strategy<Value = SmResp> {
    (cstr(65, p), tlvs(p, if with_tlvs { 2 } else { 0 }))
        .prop_map(|(message_id, tlvs)| SmResp { message_id, tlvs })
}

fn dest_address(p: Profile) -> impl Strategy<Value = DestAddress> {
    prop_oneof![
        address_known(21, p).prop_map(DestAddress::Sme),
        cstr(21, p).prop_map(DestAddress::DistributionList),
    ]
}

fn submit_multi(p: Profile) -> impl Strategy<Value = SubmitMulti> {
    (submit_sm(p), vec(dest_address(p), 1..=20)).prop_map(|(s, dest_addresses)| SubmitMulti {
        service_type: s.service_type,
        source: s.source,
        dest_addresses,
        esm_class: s.esm_class,
        protocol_id: s.protocol_id,
        priority_flag: s.priority_flag,
        schedule_delivery_time: s.schedule_delivery_time,
        validity_period: s.validity_period,
        registered_delivery: s.registered_delivery,
        replace_if_present_flag: s.replace_if_present_flag,
        data_coding: s.data_coding,
        sm_default_msg_id: s.sm_default_msg_id,
        short_message: s.short_message,
        tlvs: s.tlvs,
    })
}

fn submit_multi_resp(p: Profile) -> impl Strategy<Value = SubmitMultiResp> {
    (
        cstr(65, p),
        vec(
            (
                address_known(21, p),
                prop::sample::select(vec![0x0bu32, 0x45, 0x58, 0x400]),
            ),
            0..10,
        ),
    )
        .prop_map(|(message_id, u)| SubmitMultiResp {
            message_id,
            unsuccess_smes: u
                .into_iter()
                .map(|(address, c)| UnsuccessSme {
                    address,
                    error_status_code: CommandStatus::from_u32(c),
                })
                .collect(),
            tlvs: Tlvs::new(),
        })
}

fn data_sm(p: Profile) -> impl Strategy<Value = DataSm> {
    // SMPP 3.4 §4.7.1 allows 65-octet addresses in data_sm; rusmpp 0.4 models 21, so the
    // interop profile stays within both.
    let max = if p == Profile::Interop { 21 } else { 65 };
    (
        cstr(6, p),
        address_known(max, p),
        address_known(max, p),
        flags(p),
        tlvs(p, 4),
    )
        .prop_map(|(service_type, source, dest, f, tlvs)| DataSm {
            service_type,
            source,
            dest,
            esm_class: f.0,
            registered_delivery: f.3,
            data_coding: f.5,
            tlvs,
        })
}

fn query_sm(p: Profile) -> impl Strategy<Value = QuerySm> {
    (cstr(65, p), address_known(21, p))
        .prop_map(|(message_id, source)| QuerySm { message_id, source })
}

fn query_sm_resp(p: Profile) -> impl Strategy<Value = QuerySmResp> {
    (cstr(65, p), time(), 0u8..=9, any::<u8>()).prop_map(
        |(message_id, final_date, message_state, error_code)| QuerySmResp {
            message_id,
            final_date,
            message_state,
            error_code,
        },
    )
}

fn cancel_sm(p: Profile) -> impl Strategy<Value = CancelSm> {
    (
        cstr(6, p),
        cstr(65, p),
        address_known(21, p),
        address_known(21, p),
    )
        .prop_map(|(service_type, message_id, source, dest)| CancelSm {
            service_type,
            message_id,
            source,
            dest,
        })
}

fn replace_sm(p: Profile) -> impl Strategy<Value = ReplaceSm> {
    (
        cstr(65, p),
        address_known(21, p),
        (time(), time()),
        flags(p),
        any::<u8>(),
        octets(254),
    )
        .prop_map(
            |(message_id, source, t, f, sm_default_msg_id, sm)| ReplaceSm {
                message_id,
                source,
                schedule_delivery_time: t.0,
                validity_period: t.1,
                registered_delivery: f.3,
                sm_default_msg_id,
                short_message: sm,
                tlvs: Tlvs::new(),
            },
        )
}

fn alert_notification(p: Profile) -> impl Strategy<Value = AlertNotification> {
    (
        address_known(65, p),
        address_known(65, p),
        proptest::option::of(0u8..=2),
    )
        .prop_map(|(source, esme, avail)| AlertNotification {
            source,
            esme,
            tlvs: avail
                .map(|v| Tlvs(vec![Tlv::u8(TlvTag::MsAvailabilityStatus, v)]))
                .unwrap_or_default(),
        })
}

/// Every PDU type (the names in [`Body`]), each with generated fields.
pub fn body(p: Profile) -> BoxedStrategy<Body> {
    prop_oneof![
        bind(p).prop_map(Body::BindTransmitter),
        bind_resp(p).prop_map(Body::BindTransmitterResp),
        bind(p).prop_map(Body::BindReceiver),
        bind_resp(p).prop_map(Body::BindReceiverResp),
        bind(p).prop_map(Body::BindTransceiver),
        bind_resp(p).prop_map(Body::BindTransceiverResp),
        (cstr(16, p), cstr(9, p)).prop_map(|(system_id, password)| Body::Outbind(Outbind {
            system_id,
            password
        })),
        Just(Body::Unbind),
        Just(Body::UnbindResp),
        Just(Body::GenericNack),
        submit_sm(p).prop_map(Body::SubmitSm),
        sm_resp(p, p == Profile::Ours).prop_map(Body::SubmitSmResp),
        submit_multi(p).prop_map(Body::SubmitMulti),
        submit_multi_resp(p).prop_map(Body::SubmitMultiResp),
        submit_sm(p).prop_map(Body::DeliverSm),
        sm_resp(p, false).prop_map(Body::DeliverSmResp),
        data_sm(p).prop_map(Body::DataSm),
        sm_resp(p, p == Profile::Ours).prop_map(Body::DataSmResp),
        query_sm(p).prop_map(Body::QuerySm),
        query_sm_resp(p).prop_map(Body::QuerySmResp),
        cancel_sm(p).prop_map(Body::CancelSm),
        Just(Body::CancelSmResp),
        replace_sm(p).prop_map(Body::ReplaceSm),
        Just(Body::ReplaceSmResp),
        Just(Body::EnquireLink),
        Just(Body::EnquireLinkResp),
        alert_notification(p).prop_map(Body::AlertNotification),
    ]
    .boxed()
}

/// A whole PDU: requests carry ESME_ROK; responses any status.
pub fn pdu(p: Profile) -> impl Strategy<Value = Pdu> {
    (
        body(p),
        1u32..=0x7fff_ffff,
        prop::sample::select(vec![0u32, 0x08, 0x0e, 0x14, 0x58, 0x400]),
    )
        .prop_map(|(body, seq, status)| {
            let status = if body.command_id().is_response() {
                CommandStatus::from_u32(status)
            } else {
                CommandStatus::Ok
            };
            Pdu::with_status(seq, status, body)
        })
}
