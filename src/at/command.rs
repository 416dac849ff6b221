//! Typed command builders producing the exact bytes to write.
//!
//! Each builder also returns the [`Expect`] to hand to the digester, so the
//! echo, the answer prefix and any prompt are described in one place.
//! Command lines end with `<CR>` (V.250 §5.2.1, S3 default 13).

use super::error::CommandError;
use super::expect::Expect;
use super::registration::RegKind;

/// Ctrl-Z: ends the PDU after the `> ` prompt (TS 27.005 §3.5.1).
pub const CTRL_Z: u8 = 0x1A;
/// ESC: aborts the message after the `> ` prompt (TS 27.005 §3.5.1).
pub const ESC: u8 = 0x1B;

/// One command line plus what the digester should expect from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    expect: Expect,
}

impl Command {
    fn new(line: impl Into<String>) -> Self {
        Command {
            expect: Expect::new(line),
        }
    }

    fn with_prefix(line: impl Into<String>, prefix: &str) -> Self {
        Command {
            expect: Expect::new(line).prefix(prefix),
        }
    }

    /// The command text without the terminating CR.
    pub fn text(&self) -> &str {
        &self.expect.command
    }

    /// The bytes to write: the text and `<CR>`.
    pub fn bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.expect.command.len() + 1);
        b.extend_from_slice(self.expect.command.as_bytes());
        b.push(b'\r');
        b
    }

    /// What to pass to [`Digester::expect`](super::digest::Digester::expect).
    pub fn expect(&self) -> &Expect {
        &self.expect
    }

    /// `AT` — attention / liveness check (V.250 §5.2.1).
    pub fn attention() -> Self {
        Command::new("AT")
    }

    /// `ATE0` — echo off (V.250 §6.2.4).
    pub fn echo_off() -> Self {
        Command::new("ATE0")
    }

    /// `AT+CMEE=<n>` — report errors as numbers (1) or verbose text (2) (TS 27.007 §9.1).
    pub fn report_errors(verbose: bool) -> Self {
        Command::new(if verbose { "AT+CMEE=2" } else { "AT+CMEE=1" })
    }

    /// `AT+CPIN?` — query PIN state (TS 27.007 §8.3).
    pub fn pin_query() -> Self {
        Command::with_prefix("AT+CPIN?", "+CPIN:")
    }

    /// `AT+CPIN="<pin>"` — enter PIN, or `AT+CPIN="<puk>","<newpin>"` (TS 27.007 §8.3).
    pub fn enter_pin(pin: &str, new_pin: Option<&str>) -> Result<Self, CommandError> {
        let valid = |p: &str| (4..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
        if !valid(pin) || new_pin.is_some_and(|n| !valid(n)) {
            return Err(CommandError::InvalidPin);
        }
        Ok(match new_pin {
            Some(n) => Command::new(format!("AT+CPIN=\"{pin}\",\"{n}\"")),
            None => Command::new(format!("AT+CPIN=\"{pin}\"")),
        })
    }

    /// `AT+CMGF=0` — PDU mode (TS 27.005 §3.2.3).
    pub fn pdu_mode() -> Self {
        Command::new("AT+CMGF=0")
    }

    /// `AT+CMGF?` — query message format (TS 27.005 §3.2.3).
    pub fn message_format_query() -> Self {
        Command::with_prefix("AT+CMGF?", "+CMGF:")
    }

    /// `AT+CPMS="<mem1>"[,"<mem2>"[,"<mem3>"]]` — select storages (TS 27.005 §3.2.2).
    pub fn preferred_storage(
        mem1: &str,
        mem2: Option<&str>,
        mem3: Option<&str>,
    ) -> Result<Self, CommandError> {
        let mut line = format!("AT+CPMS={}", quote(mem1)?);
        for m in [mem2, mem3].into_iter().flatten() {
            line.push(',');
            line.push_str(&quote(m)?);
        }
        Ok(Command::with_prefix(line, "+CPMS:"))
    }

    /// `AT+CPMS?` — storages with used/total (TS 27.005 §3.2.2).
    pub fn preferred_storage_query() -> Self {
        Command::with_prefix("AT+CPMS?", "+CPMS:")
    }

    /// `AT+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>` — new message indications (TS 27.005 §3.4.1).
    pub fn new_message_indications(v: [u8; 5]) -> Self {
        Command::new(format!(
            "AT+CNMI={},{},{},{},{}",
            v[0], v[1], v[2], v[3], v[4]
        ))
    }

    /// `AT+CNMI=?` — supported indication settings (TS 27.005 §3.4.1).
    pub fn new_message_indications_test() -> Self {
        Command::with_prefix("AT+CNMI=?", "+CNMI:")
    }

    /// `AT+CSMP=<fo>,<vp>,<pid>,<dcs>` — text-mode parameters (TS 27.005 §3.3.2);
    /// some firmware also applies `<fo>` defaults in PDU mode.
    pub fn sms_parameters(fo: u8, vp: u8, pid: u8, dcs: u8) -> Self {
        Command::new(format!("AT+CSMP={fo},{vp},{pid},{dcs}"))
    }

    /// `AT+CMGR=<index>` — read a stored message (TS 27.005 §3.4.3).
    pub fn read_message(index: u32) -> Self {
        Command {
            expect: Expect::new(format!("AT+CMGR={index}"))
                .prefix("+CMGR:")
                .pdu_follows(),
        }
    }

    /// `AT+CMGL=4` — list all messages in PDU mode (TS 27.005 §3.4.2).
    pub fn list_all_messages() -> Self {
        Command {
            expect: Expect::new("AT+CMGL=4").prefix("+CMGL:").pdu_follows(),
        }
    }

    /// `AT+CMGD=<index>[,<delflag>]` — delete (TS 27.005 §3.5.4; flag 4 deletes all).
    pub fn delete_message(index: u32, flag: Option<u8>) -> Self {
        match flag {
            Some(f) => Command::new(format!("AT+CMGD={index},{f}")),
            None => Command::new(format!("AT+CMGD={index}")),
        }
    }

    /// `AT+CNMA` — acknowledge a directly routed `+CMT`/`+CDS` (TS 27.005 §3.4.4).
    pub fn acknowledge() -> Self {
        Command::new("AT+CNMA")
    }

    /// `AT+CSQ` — signal quality (TS 27.007 §8.5).
    pub fn signal_quality() -> Self {
        Command::with_prefix("AT+CSQ", "+CSQ:")
    }

    /// `AT+CREG?` / `AT+CGREG?` / `AT+CEREG?` — registration state (TS 27.007 §7.2, §10.1.19, §10.1.22).
    pub fn registration_query(kind: RegKind) -> Self {
        let name = kind.prefix().trim_end_matches(':');
        Command::with_prefix(format!("AT{name}?"), kind.prefix())
    }

    /// `AT+CMMS=<n>` — keep the SMS relay link open (1 until timeout, 2 permanently) (TS 27.005 §3.5.6).
    pub fn more_messages(n: u8) -> Self {
        Command::new(format!("AT+CMMS={}", n.min(2)))
    }

    /// `AT+CFUN=1,1` — full functionality with reset (TS 27.007 §8.2).
    pub fn reset() -> Self {
        Command::new("AT+CFUN=1,1")
    }

    /// `AT+CUSD=1,"<code>",15` — send USSD; the answer arrives as a `+CUSD` URC (TS 27.007 §7.15).
    pub fn ussd(code: &str) -> Result<Self, CommandError> {
        Ok(Command::new(format!("AT+CUSD=1,{},15", quote(code)?)))
    }

    /// `AT+CGMI` — manufacturer (TS 27.007 §5.1).
    pub fn manufacturer() -> Self {
        Command::with_prefix("AT+CGMI", "+CGMI:")
    }

    /// `AT+CGMM` — model (TS 27.007 §5.2).
    pub fn model() -> Self {
        Command::with_prefix("AT+CGMM", "+CGMM:")
    }

    /// `AT+CGSN` — IMEI (TS 27.007 §5.4).
    pub fn imei() -> Self {
        Command::with_prefix("AT+CGSN", "+CGSN:")
    }

    /// `AT+CIMI` — IMSI (TS 27.007 §5.6).
    pub fn imsi() -> Self {
        Command::with_prefix("AT+CIMI", "+CIMI:")
    }

    /// ICCID query; no 3GPP command exists, so the vendor spelling is chosen:
    /// `AT+CCID` (SIMCom), `AT+QCCID` (Quectel), `AT^ICCID?` (Huawei), `AT+ICCID` otherwise.
    pub fn iccid(vendor: super::error::Vendor) -> Self {
        use super::error::Vendor;
        let line = match vendor {
            Vendor::Simcom => "AT+CCID",
            Vendor::Quectel => "AT+QCCID",
            Vendor::Huawei => "AT^ICCID?",
            _ => "AT+ICCID",
        };
        let mut expect = Expect::new(line);
        for p in ["+CCID:", "+ICCID:", "^ICCID:", "+QCCID:"] {
            expect = expect.prefix(p);
        }
        Command { expect }
    }

    /// `AT+CNUM` — subscriber numbers (TS 27.007 §7.1).
    pub fn subscriber_number() -> Self {
        Command::with_prefix("AT+CNUM", "+CNUM:")
    }

    /// `AT+COPS?` — current operator (TS 27.007 §7.3).
    pub fn operator_query() -> Self {
        Command::with_prefix("AT+COPS?", "+COPS:")
    }

    /// `AT+CSCA?` — service centre address (TS 27.005 §3.3.1).
    pub fn service_centre_query() -> Self {
        Command::with_prefix("AT+CSCA?", "+CSCA:")
    }

    /// `AT+CMMS?` — more-messages mode (TS 27.005 §3.5.6).
    pub fn more_messages_query() -> Self {
        Command::with_prefix("AT+CMMS?", "+CMMS:")
    }
}

/// `AT+CMGS=<length>` then `<pdu><Ctrl-Z>` after the prompt (TS 27.005 §3.5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendPdu {
    command: Command,
    pdu: String,
}

impl SendPdu {
    /// Build from the full PDU hex (SMSC address included) and the TPDU length
    /// in octets (the PDU without the SMSC part, 1..=164).
    pub fn new(pdu_hex: &str, tpdu_len: usize) -> Result<Self, CommandError> {
        if pdu_hex.is_empty()
            || pdu_hex.len() % 2 != 0
            || !pdu_hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(CommandError::InvalidPdu);
        }
        if !(1..=164).contains(&tpdu_len) || tpdu_len > pdu_hex.len() / 2 {
            return Err(CommandError::InvalidLength(tpdu_len));
        }
        let expect = Expect::new(format!("AT+CMGS={tpdu_len}"))
            .prefix("+CMGS:")
            .prompt(pdu_hex);
        Ok(SendPdu {
            command: Command { expect },
            pdu: pdu_hex.to_owned(),
        })
    }

    /// The command to write first, and its expectation (prompt, `+CMGS:`).
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// The bytes to write after the `> ` prompt: the PDU hex and Ctrl-Z.
    pub fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(self.pdu.len() + 1);
        b.extend_from_slice(self.pdu.as_bytes());
        b.push(CTRL_Z);
        b
    }

    /// The byte to write to abort instead of sending (ESC).
    pub fn abort() -> [u8; 1] {
        [ESC]
    }
}

/// Quote a string parameter, rejecting characters AT cannot carry inside quotes.
fn quote(s: &str) -> Result<String, CommandError> {
    if s.bytes().any(|b| b == b'"' || b < 0x20) {
        return Err(CommandError::InvalidString);
    }
    Ok(format!("\"{s}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmgs_should_produce_length_then_pdu_and_ctrl_z() {
        let s =
            SendPdu::new("0011000B916407281553F80000AA0AE8329BFD4697D9EC37", 23).expect("valid");
        assert_eq!(s.command().bytes(), b"AT+CMGS=23\r");
        assert_eq!(s.body().last(), Some(&0x1A));
        assert!(s.command().expect().prompt);
        assert_eq!(SendPdu::abort(), [0x1B]);
    }

    #[test]
    fn bad_pin_or_pdu_should_be_rejected() {
        assert_eq!(
            Command::enter_pin("12a4", None),
            Err(CommandError::InvalidPin)
        );
        assert_eq!(
            Command::enter_pin("1234", None).map(|c| c.bytes()),
            Ok(b"AT+CPIN=\"1234\"\r".to_vec())
        );
        assert_eq!(SendPdu::new("001", 1), Err(CommandError::InvalidPdu));
        assert_eq!(SendPdu::new("0011", 5), Err(CommandError::InvalidLength(5)));
    }

    #[test]
    fn simple_builders_should_produce_exact_bytes() {
        assert_eq!(Command::echo_off().bytes(), b"ATE0\r");
        assert_eq!(Command::report_errors(false).bytes(), b"AT+CMEE=1\r");
        assert_eq!(
            Command::delete_message(0, Some(4)).bytes(),
            b"AT+CMGD=0,4\r"
        );
        assert_eq!(
            Command::registration_query(RegKind::Cereg).bytes(),
            b"AT+CEREG?\r"
        );
        assert_eq!(
            Command::new_message_indications([2, 1, 0, 2, 0]).bytes(),
            b"AT+CNMI=2,1,0,2,0\r"
        );
        assert_eq!(
            Command::preferred_storage("SM", Some("SM"), Some("SM")).map(|c| c.bytes()),
            Ok(b"AT+CPMS=\"SM\",\"SM\",\"SM\"\r".to_vec())
        );
        assert_eq!(Command::reset().bytes(), b"AT+CFUN=1,1\r");
    }
}
