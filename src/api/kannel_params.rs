//! Reading a Kannel `sendsms` request: CGI variables from the query string and a form body (as
//! raw bytes, because `charset` says how to read `text`), the `X-Kannel-*` headers of a
//! plain-text POST, strict integers, and the charsets smsgw understands.

use axum::http::HeaderMap;

/// The request's variables in order; the first occurrence of a name wins, as in Kannel's
/// `http_cgi_variable`.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, Vec<u8>)>);

impl Params {
    /// Adds the variables of an `application/x-www-form-urlencoded` string (query or body).
    pub fn add_form(&mut self, raw: &[u8]) {
        for pair in raw.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let key = String::from_utf8_lossy(&form_decode(k)).into_owned();
            self.0.push((key, form_decode(v)));
        }
    }

    /// Adds the `X-Kannel-*` headers of a POST whose body is the text (Kannel user guide,
    /// "HTTP POST" of sendsms): `X-Kannel-From` becomes `from`, and so on.
    pub fn add_kannel_headers(&mut self, headers: &HeaderMap) {
        for (name, value) in headers {
            let Some(rest) = name.as_str().strip_prefix("x-kannel-") else {
                continue;
            };
            let key = match rest {
                "username" | "password" | "from" | "to" | "smsc" | "udh" | "dlr-url"
                | "dlr-mask" | "coding" | "validity" | "deferred" | "priority" | "mclass"
                | "pid" | "alt-dcs" | "rpi" | "mwi" | "compress" | "account" | "binfo"
                | "meta-data" => rest.to_string(),
                _ => continue,
            };
            self.0.push((key, value.as_bytes().trim_ascii().to_vec()));
        }
    }

    /// Sets a variable unless it is already there.
    pub fn add(&mut self, name: &str, value: Vec<u8>) {
        if self.raw(name).is_none() {
            self.0.push((name.to_string(), value));
        }
    }

    /// The raw bytes of the first variable called `name`.
    pub fn raw(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first of `names` that is present, as text (lossy UTF-8).
    pub fn text(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .find_map(|n| self.raw(n))
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }
}

/// A number variable that is present and not empty but not a whole number either
/// (`dlr-mask=abc`, `priority=2x`): Kannel 1.4.5 silently ignores these, smsgw refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Misformed;

impl Params {
    /// A number variable, strictly: absent or empty (blanks only) is `Ok(None)`, a whole
    /// number with an optional sign and blanks around it is `Ok(Some(n))`, anything else
    /// [`Misformed`].
    pub fn number(&self, names: &[&str]) -> Result<Option<i64>, Misformed> {
        let Some(s) = self.text(names) else {
            return Ok(None);
        };
        let t = s.trim();
        if t.is_empty() {
            return Ok(None);
        }
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Misformed);
        }
        t.parse().map(Some).map_err(|_| Misformed)
    }
}

/// `+` is a space, `%XX` a byte; a malformed escape stays as written.
fn form_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex_val(s[i + 1]), hex_val(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `bytes` from `charset` (case-insensitive): UTF-8, ISO-8859-1 (latin1) and
/// UTF-16BE/UCS-2. `None` for other charsets or bytes that are not valid in the charset.
pub fn decode_text(bytes: &[u8], charset: &str) -> Option<String> {
    match charset.trim().to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" => String::from_utf8(bytes.to_vec()).ok(),
        "ISO-8859-1" | "ISO8859-1" | "LATIN1" | "LATIN-1" => {
            Some(bytes.iter().map(|&b| b as char).collect())
        }
        "UTF-16BE" | "UTF-16" | "UCS-2" | "UCS-2BE" | "UCS2" => {
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_variables_should_decode_plus_and_percent_and_keep_the_first() {
        let mut p = Params::default();
        p.add_form(b"to=%2B358401234567+0401234568&text=Hei+maailma%21&to=x&bad=%zz%4");
        assert_eq!(p.text(&["to"]).unwrap(), "+358401234567 0401234568");
        assert_eq!(p.text(&["text"]).unwrap(), "Hei maailma!");
        assert_eq!(p.raw("bad").unwrap(), b"%zz%4");
    }

    #[test]
    fn strict_numbers_should_refuse_what_is_not_a_whole_number() {
        let mut p = Params::default();
        p.add_form(b"a=31&b=+7&c=abc&d=-1&e=&f=3abc&g=%203%20&h=1.5&i=-&j=99999999999999999999");
        assert_eq!(p.number(&["a"]), Ok(Some(31)));
        assert_eq!(p.number(&["b"]), Ok(Some(7)));
        assert_eq!(p.number(&["c"]), Err(Misformed));
        assert_eq!(p.number(&["d"]), Ok(Some(-1)));
        assert_eq!(p.number(&["e"]), Ok(None));
        assert_eq!(p.number(&["f"]), Err(Misformed));
        assert_eq!(p.number(&["g"]), Ok(Some(3)));
        assert_eq!(p.number(&["h"]), Err(Misformed));
        assert_eq!(p.number(&["i"]), Err(Misformed));
        assert_eq!(p.number(&["j"]), Err(Misformed));
        assert_eq!(p.number(&["absent"]), Ok(None));
    }

    #[test]
    fn texts_should_decode_from_each_supported_charset() {
        assert_eq!(decode_text(b"\xe4", "ISO-8859-1").unwrap(), "ä");
        assert_eq!(decode_text(b"\x00\xe4\x20\xac", "UTF-16BE").unwrap(), "ä€");
        assert_eq!(decode_text("ä".as_bytes(), "utf-8").unwrap(), "ä");
        assert!(decode_text(b"\xe4", "UTF-8").is_none());
        assert!(decode_text(b"x", "EBCDIC").is_none());
    }
}
