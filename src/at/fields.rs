//! Splitting the parameter part of an information text line into fields.
//!
//! TS 27.007 §4.1 / V.250 §5.7.2: parameters are separated by commas, string
//! constants are enclosed in double quotes (and may contain commas), and test
//! commands (`=?`) answer with parenthesised ranges such as `(0-3),(0,1)`.

/// One comma-separated parameter of an information text line (TS 27.007 §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<'a> {
    /// A bare value (number, unquoted token); leading/trailing spaces trimmed.
    Bare(&'a str),
    /// A double-quoted string constant, without the quotes.
    Quoted(&'a str),
    /// A parenthesised list as produced by test commands, without the parentheses.
    List(&'a str),
    /// Nothing between two commas (an omitted optional parameter).
    Empty,
}

impl<'a> Field<'a> {
    /// The textual content regardless of quoting; `None` for an omitted parameter.
    pub fn text(&self) -> Option<&'a str> {
        match *self {
            Field::Bare(s) | Field::Quoted(s) | Field::List(s) => Some(s),
            Field::Empty => None,
        }
    }

    /// The field as an unsigned integer (decimal), if it is one.
    pub fn number<T: std::str::FromStr>(&self) -> Option<T> {
        match *self {
            Field::Bare(s) | Field::Quoted(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Strip `prefix` (such as `+CSQ:`) from `line` and the optional space after it.
///
/// Prefixes compare ASCII-case-insensitively because some modems answer in
/// lower case (TS 27.007 §4.1 makes commands case-insensitive).
pub fn strip_prefix<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        line.get(prefix.len()..).map(str::trim_start)
    } else {
        None
    }
}

/// Split a parameter string into fields, honouring quotes and parentheses.
///
/// Never fails: an unterminated quote or parenthesis runs to the end of input.
pub fn split(params: &str) -> Vec<Field<'_>> {
    let mut out = Vec::new();
    let bytes = params.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    if params.trim().is_empty() {
        return out;
    }
    loop {
        while i < n && bytes[i] == b' ' {
            i += 1;
        }
        let field = if i < n && bytes[i] == b'"' {
            let start = i + 1;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'"')
                .map_or(n, |p| start + p);
            i = (end + 1).min(n);
            while i < n && bytes[i] != b',' {
                i += 1;
            }
            Field::Quoted(params.get(start..end).unwrap_or(""))
        } else if i < n && bytes[i] == b'(' {
            let start = i + 1;
            let mut depth = 1usize;
            let mut j = start;
            while j < n && depth > 0 {
                match bytes[j] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                j += 1;
            }
            let end = if depth == 0 { j - 1 } else { n };
            i = j;
            while i < n && bytes[i] != b',' {
                i += 1;
            }
            Field::List(params.get(start..end).unwrap_or(""))
        } else {
            let start = i;
            while i < n && bytes[i] != b',' {
                i += 1;
            }
            let s = params.get(start..i).unwrap_or("").trim();
            if s.is_empty() {
                Field::Empty
            } else {
                Field::Bare(s)
            }
        };
        out.push(field);
        if i >= n {
            break;
        }
        // Skip the comma.
        i += 1;
        if i >= n {
            out.push(Field::Empty);
            break;
        }
    }
    out
}

/// Expand a test-command range list such as `0-3` or `0,1,2` or `0-2,4` into values.
///
/// TS 27.007 §4.1 / V.250 §5.7.3: ranges use `-`, alternatives use `,`.
/// Values above 255 and malformed items are ignored; the result is sorted and deduplicated.
pub fn expand_range(list: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for item in list.split(',') {
        let item = item.trim();
        if let Some((a, b)) = item.split_once('-') {
            if let (Ok(a), Ok(b)) = (a.trim().parse::<u8>(), b.trim().parse::<u8>()) {
                out.extend(a.min(b)..=a.max(b));
            }
        } else if let Ok(v) = item.parse::<u8>() {
            out.push(v);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_commas_should_stay_in_one_field() {
        let f = split(r#""SM",3,"a,b",,7"#);
        assert_eq!(
            f,
            vec![
                Field::Quoted("SM"),
                Field::Bare("3"),
                Field::Quoted("a,b"),
                Field::Empty,
                Field::Bare("7")
            ]
        );
    }

    #[test]
    fn parenthesised_lists_should_be_single_fields() {
        let f = split("(0-3),(0,1),(0)");
        assert_eq!(
            f,
            vec![Field::List("0-3"), Field::List("0,1"), Field::List("0")]
        );
        assert_eq!(expand_range("0-2,4"), vec![0, 1, 2, 4]);
    }

    #[test]
    fn trailing_comma_should_yield_empty_field() {
        assert_eq!(split("1,"), vec![Field::Bare("1"), Field::Empty]);
        assert!(split("").is_empty());
    }
}
