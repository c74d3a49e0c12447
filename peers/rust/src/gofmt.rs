//! The pieces of Go's formatting that the contract's messages show:
//! strconv.Quote (the %q verb), the handlers' truncate, and the Unicode
//! classes (unicode.IsGraphic, unicode.IsPrint) from generated tables.

use crate::unicode_tables::{GRAPHIC, PRINT};

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Go's unicode.IsGraphic.
pub fn is_graphic(c: char) -> bool {
    in_table(GRAPHIC, c)
}

/// Go's unicode.IsPrint (and strconv.IsPrint).
pub fn is_print(c: char) -> bool {
    in_table(PRINT, c)
}

/// Go's unicode.IsSpace: the White_Space property, as Rust has it.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

fn escape_rune(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        c if is_print(c) => out.push(c),
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
        c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
        c => out.push_str(&format!("\\U{:08x}", c as u32)),
    }
}

/// strconv.Quote of one rune without its quotes.
pub fn quote_rune_inner(c: char) -> String {
    let mut s = String::new();
    escape_rune(&mut s, c);
    s
}

/// strconv.Quote (the %q verb) of bytes: invalid UTF-8 shows as \xNN.
pub fn quote(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    out.push('"');
    let mut rest = b;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                s.chars().for_each(|c| escape_rune(&mut out, c));
                break;
            }
            Err(e) => {
                let good = e.valid_up_to();
                if let Ok(s) = std::str::from_utf8(&rest[..good]) {
                    s.chars().for_each(|c| escape_rune(&mut out, c));
                }
                out.push_str(&format!("\\x{:02x}", rest[good]));
                rest = &rest[good + 1..];
            }
        }
    }
    out.push('"');
    out
}

/// The handlers' truncate: at most n bytes plus an ellipsis, cut before a
/// multi-byte character rather than through it.
pub fn truncate(s: &[u8], n: usize) -> Vec<u8> {
    if s.len() <= n {
        return s.to_vec();
    }
    let mut n = n;
    let mut cut = n;
    while cut + 4 > n && cut > 0 {
        // Go's utf8.RuneStart: not a continuation byte.
        if s[cut] & 0xC0 != 0x80 {
            n = cut;
            break;
        }
        cut -= 1;
    }
    let mut out = s[..n].to_vec();
    out.extend_from_slice("…".as_bytes());
    out
}

/// Bytes of the client's input a message quotes at most.
pub const MAX_ECHO: usize = 40;

/// crudbench.Echo: the client's input as a message quotes it.
pub fn echo(s: &[u8]) -> Vec<u8> {
    truncate(s, MAX_ECHO)
}
