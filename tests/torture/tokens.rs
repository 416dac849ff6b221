//! Texts that name themselves: every outbound message and every injected MO repeats a token
//! (`T17.T17.…`, `M4.M4.…`), so any part the simulators record, wherever the segmenter cut
//! it, still says which message it belongs to.

/// `prefix` + `n` + `.`, repeated to `len` characters (GSM 7-bit basic characters only, one
/// septet each, so the part count is `len` / 153 rounded up).
pub fn text(prefix: char, n: u64, len: usize) -> String {
    let token = format!("{prefix}{n}.");
    token.repeat(len / token.len() + 1)[..len].to_string()
}

/// The token number in a piece of such a text: the first complete `prefix digits .` in it
/// (a piece may begin or end inside a token).
pub fn number(prefix: char, piece: &str) -> Option<u64> {
    let mut fields: Vec<&str> = piece.split('.').collect();
    // The last field ends the piece, not a token, unless the piece ends with the dot.
    fields.pop();
    fields
        .into_iter()
        .filter_map(|f| f.strip_prefix(prefix))
        .find_map(|d| d.parse().ok())
}

#[test]
fn a_token_should_be_found_in_any_cut_of_its_text() {
    let t = text('T', 15, 400);
    for start in 0..20 {
        for len in [8, 20, 153] {
            let end = (start + len).min(t.len());
            assert_eq!(number('T', &t[start..end]), Some(15), "{}", &t[start..end]);
        }
    }
    assert_eq!(number('T', "T1"), None);
    assert_eq!(number('M', &text('M', 3, 30)), Some(3));
}
