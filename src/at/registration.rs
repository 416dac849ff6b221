//! Network registration state shared by `+CREG`/`+CGREG`/`+CEREG` URCs and
//! read-command answers (TS 27.007 §7.2, §10.1.19, §10.1.22).

use super::fields::{Field, split};

/// Which registration command a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegKind {
    /// Circuit-switched, `+CREG` (TS 27.007 §7.2).
    Creg,
    /// GPRS, `+CGREG` (TS 27.007 §10.1.19).
    Cgreg,
    /// EPS/LTE, `+CEREG` (TS 27.007 §10.1.22).
    Cereg,
}

impl RegKind {
    /// The information-line prefix, e.g. `+CREG:`.
    pub fn prefix(self) -> &'static str {
        match self {
            RegKind::Creg => "+CREG:",
            RegKind::Cgreg => "+CGREG:",
            RegKind::Cereg => "+CEREG:",
        }
    }

    /// Recognise the kind from a line's prefix.
    pub fn from_line(line: &str) -> Option<(RegKind, &str)> {
        [RegKind::Creg, RegKind::Cgreg, RegKind::Cereg]
            .into_iter()
            .find_map(|k| super::fields::strip_prefix(line, k.prefix()).map(|r| (k, r)))
    }
}

/// `<stat>` of TS 27.007 §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegStatus {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown (e.g. out of coverage).
    Unknown,
    /// 5: registered, roaming.
    Roaming,
    /// 6..=10 (SMS-only, emergency-only, CSFB variants) and anything newer.
    Other(u8),
}

impl RegStatus {
    /// Map the numeric `<stat>`.
    pub fn from_code(code: u8) -> Self {
        match code {
            0 => RegStatus::NotRegistered,
            1 => RegStatus::Home,
            2 => RegStatus::Searching,
            3 => RegStatus::Denied,
            4 => RegStatus::Unknown,
            5 => RegStatus::Roaming,
            n => RegStatus::Other(n),
        }
    }

    /// Registered (home, roaming, or the SMS-only variants 6/7 which can still send SMS).
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            RegStatus::Home | RegStatus::Roaming | RegStatus::Other(6) | RegStatus::Other(7)
        )
    }
}

/// Registration state as carried by the URC (`<stat>[,<lac>,<ci>[,<AcT>]]`)
/// or the read answer (`<n>,<stat>[,…]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Which command family.
    pub kind: RegKind,
    /// `<n>`, the URC mode; only present in read-command answers.
    pub n: Option<u8>,
    /// `<stat>`.
    pub stat: RegStatus,
    /// `<lac>`/`<tac>` as the hex string sent by the modem.
    pub lac: Option<String>,
    /// `<ci>` as the hex string sent by the modem.
    pub ci: Option<String>,
    /// `<AcT>` access technology (0 GSM, 2 UTRAN, 7 E-UTRAN …).
    pub act: Option<u8>,
}

/// Whether the parameters are in the solicited read form `<n>,<stat>[,…]`
/// rather than the URC form `<stat>[,<lac>,<ci>…]`.
///
/// Two fields can only be `n,stat`; one or three only the URC; otherwise the
/// read form has an unquoted small number in second place, the URC a quoted `<lac>`.
pub fn is_solicited_form(params: &str) -> bool {
    let f = split(params);
    match f.len() {
        0 | 1 | 3 => false,
        2 => true,
        _ => matches!(f.get(1), Some(Field::Bare(s)) if s.parse::<u8>().is_ok_and(|v| v <= 10)),
    }
}

/// Parse the parameters after the prefix; `solicited` selects the read form.
pub fn parse(kind: RegKind, params: &str, solicited: bool) -> Option<Registration> {
    let f = split(params);
    let (n, rest) = if solicited {
        (Some(f.first()?.number::<u8>()?), f.get(1..)?)
    } else {
        (None, &f[..])
    };
    let stat = RegStatus::from_code(rest.first()?.number::<u8>()?);
    let text = |i: usize| rest.get(i).and_then(Field::text).map(str::to_owned);
    Some(Registration {
        kind,
        n,
        stat,
        lac: text(1),
        ci: text(2),
        act: rest.get(3).and_then(|a| a.number()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_form_should_be_told_from_urc_form() {
        assert!(is_solicited_form("0,1"));
        assert!(is_solicited_form(r#"2,1,"1A2B","00C3",7"#));
        assert!(!is_solicited_form("1"));
        assert!(!is_solicited_form(r#"1,"1A2B","00C3""#));
        assert!(!is_solicited_form(r#"5,"1A2B","00C3",2"#));
    }

    #[test]
    fn urc_with_location_should_parse_fields() {
        let r = parse(RegKind::Creg, r#"5,"1A2B","00C3",2"#, false).expect("parses");
        assert_eq!(r.stat, RegStatus::Roaming);
        assert_eq!(r.lac.as_deref(), Some("1A2B"));
        assert_eq!(r.act, Some(2));
        assert_eq!(r.n, None);
    }
}
