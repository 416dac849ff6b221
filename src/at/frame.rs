//! Line framing with nom's streaming combinators: where does the next token end?

use nom::IResult;
use nom::Parser;
use nom::bytes::streaming::{tag, take_till1, take_while1};

/// The next token at the start of the unconsumed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// More bytes are needed to decide.
    Incomplete,
    /// Line terminators or other separators: skip this many bytes.
    Skip(usize),
    /// The `> ` prompt (TS 27.005 §3.5.1), or a bare `>` at the end of input, this many bytes long.
    Prompt(usize),
    /// A line of `len` bytes (terminator not included); `garbage` unprintable bytes inside.
    Line {
        /// Length of the line content.
        len: usize,
        /// How many of its bytes are unprintable and will be dropped.
        garbage: usize,
    },
    /// No line end within the limit: discard this many bytes and skip to the line end.
    TooLong(usize),
}

fn is_eol(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn eols(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(is_eol)(i)
}

fn line(i: &[u8]) -> IResult<&[u8], &[u8]> {
    take_till1(is_eol)(i)
}

fn prompt(i: &[u8]) -> IResult<&[u8], &[u8]> {
    tag(&b"> "[..]).parse(i)
}

/// Find the next token in `input`. `want_prompt` enables `> ` recognition.
pub(crate) fn next_token(input: &[u8], want_prompt: bool, max_line: usize) -> Token {
    if input.is_empty() {
        return Token::Incomplete;
    }
    match eols(input) {
        Ok((rest, _)) => return Token::Skip(input.len() - rest.len()),
        // Only terminators so far: they can be skipped right away.
        Err(nom::Err::Incomplete(_)) => return Token::Skip(input.len()),
        Err(_) => {}
    }
    if want_prompt && input.first() == Some(&b'>') {
        // TS 27.005 §3.5.1 specifies `<CR><LF>> `; u-blox style modems send a bare
        // `>` and then wait for data, so a `>` cannot be held back for its space.
        // A space that arrives later is leading whitespace of the next line and
        // is trimmed there, so the events do not depend on how reads are split.
        return match prompt(input) {
            Ok((rest, _)) => Token::Prompt(input.len() - rest.len()),
            Err(_) => Token::Prompt(1),
        };
    }
    match line(input) {
        Ok((_, l)) if l.len() <= max_line => Token::Line {
            len: l.len(),
            garbage: garbage(l),
        },
        Ok((_, l)) => Token::TooLong(l.len()),
        Err(_) if input.len() > max_line => Token::TooLong(input.len()),
        Err(_) => Token::Incomplete,
    }
}

/// Bytes that never belong in an AT line: controls (NUL, Ctrl-Z echo …) and
/// 0xFE/0xFF (never valid UTF-8, typical of line noise at power-up).
fn is_garbage(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7F || b >= 0xFE
}

fn garbage(l: &[u8]) -> usize {
    l.iter().filter(|&&b| is_garbage(b)).count()
}

/// The printable text of a line: garbage bytes removed, invalid UTF-8 replaced, trimmed.
pub(crate) fn clean(raw: &[u8]) -> String {
    let kept: Vec<u8> = raw.iter().copied().filter(|&b| !is_garbage(b)).collect();
    String::from_utf8_lossy(&kept).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_line_should_need_more_bytes() {
        assert_eq!(next_token(b"+CSQ: 2", false, 100), Token::Incomplete);
        assert_eq!(
            next_token(b"OK\r", false, 100),
            Token::Line { len: 2, garbage: 0 }
        );
        assert_eq!(next_token(b"\r\n\r\nOK", false, 100), Token::Skip(4));
    }

    #[test]
    fn lone_gt_should_be_prompt_when_prompt_expected() {
        assert_eq!(next_token(b">", true, 100), Token::Prompt(1));
        assert_eq!(next_token(b">", false, 100), Token::Incomplete);
        assert_eq!(next_token(b"> ", true, 100), Token::Prompt(2));
        assert_eq!(next_token(b">x\r", true, 100), Token::Prompt(1));
        assert_eq!(
            next_token(b">x\r", false, 100),
            Token::Line { len: 2, garbage: 0 }
        );
    }
}
