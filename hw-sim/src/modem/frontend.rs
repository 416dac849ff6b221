//! The command-line front end of the simulated modem (ITU-T V.250 §5.1–§5.4): assembling the
//! bytes a DTE types into command lines, and splitting a line into its commands.
//!
//! Pure: no I/O, no time. The engine feeds received bytes and gets lines back; echo is the
//! engine's business because it depends on `ATE`.

/// Longest command line kept; V.250 §5.2.1 requires at least 40 characters, real modems take
/// a few hundred. Longer lines are discarded and answered with `ERROR`.
pub const MAX_LINE: usize = 560;

/// What a completed line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineEvent {
    /// A command line: the text after the `AT` prefix (V.250 §5.2.1), case preserved.
    Commands(String),
    /// `A/`: repeat the previous command line (V.250 §5.2.4).
    Repeat,
    /// The line was too long: answer `ERROR`.
    Overflow,
}

/// Collects bytes into command lines ended by S3 (carriage return), honouring S5 (backspace).
///
/// Characters before the `AT` prefix are ignored, as are lines without it (V.250 §5.2.1);
/// a line feed (S4) after the carriage return is ignored.
#[derive(Debug, Clone)]
pub struct LineAssembler {
    buf: Vec<u8>,
    overflow: bool,
    /// S3, the command line termination character (V.250 §6.2.1), default 13.
    pub s3: u8,
    /// S5, the command line editing character (V.250 §6.2.3), default 8.
    pub s5: u8,
}

impl Default for LineAssembler {
    fn default() -> Self {
        LineAssembler {
            buf: Vec::new(),
            overflow: false,
            s3: b'\r',
            s5: 8,
        }
    }
}

impl LineAssembler {
    /// Feed one byte; returns an event when it completes a line.
    pub fn push(&mut self, byte: u8) -> Option<LineEvent> {
        if byte == self.s3 {
            let line = std::mem::take(&mut self.buf);
            if std::mem::take(&mut self.overflow) {
                return Some(LineEvent::Overflow);
            }
            return find_at(&line).map(LineEvent::Commands);
        }
        if byte == self.s5 {
            self.buf.pop();
            return None;
        }
        if byte == b'\n' && self.buf.is_empty() {
            return None;
        }
        if byte == b'/' && matches!(self.buf.last(), Some(b'A' | b'a')) {
            self.buf.clear();
            return Some(LineEvent::Repeat);
        }
        if self.buf.len() >= MAX_LINE {
            self.overflow = true;
            return None;
        }
        self.buf.push(byte);
        None
    }

    /// Forget a partly typed line (after a reset or when the port vanishes).
    pub fn clear(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }
}

/// The body after the last `AT`/`at` prefix of a line, if the line has one.
fn find_at(line: &[u8]) -> Option<String> {
    let pos = line
        .windows(2)
        .position(|w| w[0].eq_ignore_ascii_case(&b'A') && w[1].eq_ignore_ascii_case(&b'T'))?;
    let body = line.get(pos + 2..)?;
    Some(String::from_utf8_lossy(body).into_owned())
}

/// The four forms of an extended-syntax command (V.250 §5.4.2–§5.4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// `+CMD`: execute without parameters.
    Action,
    /// `+CMD=<args>`: set or execute with parameters (the raw argument text).
    Set(String),
    /// `+CMD?`: read the current setting.
    Read,
    /// `+CMD=?`: test which values are supported.
    Test,
}

/// One command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A basic command (V.250 §5.3.1): `E0`, `V1`, `Z`, `I`, `&F`, `H`, `D...`; the name is
    /// upper-case, the value is the digits (or the dial string for `D`).
    Basic {
        /// `E`, `V`, `Q`, `Z`, `I`, `&F`, `&W`, `H`, `A`, `D`, ...
        name: String,
        /// The parameter text, empty when omitted.
        value: String,
    },
    /// An S-parameter (V.250 §5.3.2): `S3=13` or `S3?`.
    SReg {
        /// Register number.
        number: u16,
        /// `Some(value)` to set, `None` to read.
        set: Option<String>,
    },
    /// An extended-syntax command (V.250 §5.4): `+CMGS=23`, `^CURC?`; the name is upper-case
    /// and includes its prefix character.
    Extended {
        /// For example `+CMGS`.
        name: String,
        /// Which of the four forms was used.
        form: Form,
    },
}

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed command line at offset {offset}")]
pub struct SyntaxError {
    /// Byte offset in the line body (after `AT`).
    pub offset: usize,
}

/// Split the body of a command line (after `AT`) into commands (V.250 §5.2.1, §5.4.1).
///
/// Spaces outside quoted strings are ignored, command names are case-insensitive, extended
/// commands end at `;` or the end of the line, and `D` takes the rest of the line.
pub fn split_commands(body: &str) -> Result<Vec<Command>, SyntaxError> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b';' => i += 1,
            b'+' | b'^' | b'$' | b'%' | b'*' | b'#' => {
                let start = i;
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                if i == start + 1 {
                    return Err(SyntaxError { offset: start });
                }
                let name = body[start..i].to_ascii_uppercase();
                let rest = &body[i..];
                let (form, used) = if rest.starts_with("=?") {
                    (Form::Test, 2)
                } else if let Some(args) = rest.strip_prefix('=') {
                    let end = arg_end(args);
                    (Form::Set(args[..end].trim().to_owned()), 1 + end)
                } else if rest.starts_with('?') {
                    (Form::Read, 1)
                } else {
                    (Form::Action, 0)
                };
                i += used;
                out.push(Command::Extended { name, form });
            }
            b'&' => {
                let letter = *bytes.get(i + 1).ok_or(SyntaxError { offset: i })?;
                if !letter.is_ascii_alphabetic() {
                    return Err(SyntaxError { offset: i + 1 });
                }
                let (value, end) = digits(bytes, i + 2);
                out.push(Command::Basic {
                    name: format!("&{}", letter.to_ascii_uppercase() as char),
                    value,
                });
                i = end;
            }
            b'S' | b's' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let (num, end) = digits(bytes, i + 1);
                let number = num.parse().map_err(|_| SyntaxError { offset: i + 1 })?;
                i = end;
                match bytes.get(i) {
                    Some(b'?') => {
                        out.push(Command::SReg { number, set: None });
                        i += 1;
                    }
                    Some(b'=') => {
                        let (value, end) = digits(bytes, i + 1);
                        out.push(Command::SReg {
                            number,
                            set: Some(value),
                        });
                        i = end;
                    }
                    _ => return Err(SyntaxError { offset: i }),
                }
            }
            b'D' | b'd' => {
                out.push(Command::Basic {
                    name: "D".into(),
                    value: body[i + 1..].trim().to_owned(),
                });
                i = bytes.len();
            }
            c if c.is_ascii_alphabetic() => {
                let (value, end) = digits(bytes, i + 1);
                out.push(Command::Basic {
                    name: (c.to_ascii_uppercase() as char).to_string(),
                    value,
                });
                i = end;
            }
            _ => return Err(SyntaxError { offset: i }),
        }
    }
    Ok(out)
}

/// Where the arguments of an extended command end: the first `;` outside double quotes.
fn arg_end(args: &str) -> usize {
    let mut quoted = false;
    for (i, b) in args.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => return i,
            _ => {}
        }
    }
    args.len()
}

/// The decimal digits starting at `from` (spaces skipped) and the offset after them.
fn digits(bytes: &[u8], mut from: usize) -> (String, usize) {
    let mut out = String::new();
    while let Some(&b) = bytes.get(from) {
        if b.is_ascii_digit() {
            out.push(b as char);
        } else if b != b' ' {
            break;
        }
        from += 1;
    }
    (out, from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<LineEvent> {
        let mut a = LineAssembler::default();
        input.iter().filter_map(|&b| a.push(b)).collect()
    }

    #[test]
    fn bytes_before_the_prefix_should_be_ignored_and_case_kept() {
        assert_eq!(
            lines(b"\x00garbage at+cmgf=0\r\n"),
            vec![LineEvent::Commands("+cmgf=0".into())]
        );
    }

    #[test]
    fn backspace_should_edit_and_a_slash_should_repeat() {
        assert_eq!(
            lines(b"ATEX\x080\rA/"),
            vec![LineEvent::Commands("E0".into()), LineEvent::Repeat]
        );
    }

    #[test]
    fn a_line_without_prefix_should_produce_nothing() {
        assert!(lines(b"hello\r").is_empty());
    }

    #[test]
    fn an_overlong_line_should_overflow() {
        let mut input = b"AT".to_vec();
        input.extend(std::iter::repeat_n(b'1', MAX_LINE + 10));
        input.push(b'\r');
        assert_eq!(lines(&input), vec![LineEvent::Overflow]);
    }

    #[test]
    fn concatenated_commands_should_split_into_basic_and_extended() {
        let cmds =
            split_commands("E0 V1;+CMEE=2;+cpms=\"SM\",\"SM;x\";+CREG?;+CNMI=?;S0=0").unwrap();
        assert_eq!(
            cmds,
            vec![
                Command::Basic {
                    name: "E".into(),
                    value: "0".into()
                },
                Command::Basic {
                    name: "V".into(),
                    value: "1".into()
                },
                Command::Extended {
                    name: "+CMEE".into(),
                    form: Form::Set("2".into())
                },
                Command::Extended {
                    name: "+CPMS".into(),
                    form: Form::Set("\"SM\",\"SM;x\"".into())
                },
                Command::Extended {
                    name: "+CREG".into(),
                    form: Form::Read
                },
                Command::Extended {
                    name: "+CNMI".into(),
                    form: Form::Test
                },
                Command::SReg {
                    number: 0,
                    set: Some("0".into())
                },
            ]
        );
    }

    #[test]
    fn a_stray_symbol_should_be_a_syntax_error_with_offset() {
        assert_eq!(split_commands("E0!"), Err(SyntaxError { offset: 2 }));
    }

    #[test]
    fn empty_body_should_be_no_commands() {
        assert_eq!(split_commands(""), Ok(vec![]));
    }
}
