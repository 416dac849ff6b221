//! Reading a Kannel `sendsms` request: CGI variables from the query string and a form body (as
//! raw bytes, because `charset` says how to read `text`), the `X-Kannel-*` headers of a
//! plain-text POST, Kannel-style integers, and the charsets smsgw understands.

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

    /// An integer variable read like C's `sscanf("%d")`: leading blanks, an optional sign and
    /// digits; anything else leaves it undefined (`None`), as Kannel does.
    pub fn int(&self, names: &[&str]) -> Option<i64> {
        let s = self.text(names)?;
        let t = s.trim_start();
        let end = t
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
            .map_or(t.len(), |(i, _)| i);
        t[..end].parse().ok()
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
    fn integers_should_read_like_sscanf() {
        let mut p = Params::default();
        p.add_form(b"a=31&b=+7x&c=abc&d=-1&e=");
        assert_eq!(p.int(&["a"]), Some(31));
        assert_eq!(p.int(&["b"]), Some(7));
        assert_eq!(p.int(&["c"]), None);
        assert_eq!(p.int(&["d"]), Some(-1));
        assert_eq!(p.int(&["e"]), None);
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
