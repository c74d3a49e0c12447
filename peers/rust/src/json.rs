//! JSON as the Go handlers read and write it: a scanner that finds the same
//! syntax errors at the same offsets with the same words as Go's
//! encoding/json, string unquoting with its rules (a lone surrogate escape
//! becomes U+FFFD), and an encoder that escapes like Go's (HTML characters,
//! U+2028 and U+2029, invalid UTF-8 as U+FFFD).

use crate::gofmt::quote_rune_inner;

/// A parsed JSON value; numbers keep their literal text, objects their
/// keys in document order (repeated keys included).
pub enum Value {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The word Go's UnmarshalTypeError uses for a value of this kind.
    pub fn kind_word(&self) -> String {
        match self {
            Value::Null => "null".into(),
            Value::Bool(_) => "bool".into(),
            Value::Number(_) => "number".into(),
            Value::Str(_) => "string".into(),
            Value::Array(_) => "array".into(),
            Value::Object(_) => "object".into(),
        }
    }
}

/// Why the first JSON value of a body could not be read.
pub enum ParseError {
    /// A syntax error: Go's message and offset (bytes read, bad one included).
    Syntax(String, usize),
    /// The body ends inside the value.
    UnexpectedEof,
}

const MAX_DEPTH: usize = 10000;

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    depth: usize,
}

/// Reads the first JSON value of b and returns it with the offset just
/// past it.
pub fn parse_first(b: &[u8]) -> Result<(Value, usize), ParseError> {
    let mut p = Parser { b, i: 0, depth: 0 };
    let v = p.value()?;
    Ok((v, p.i))
}

fn is_space(c: u8) -> bool {
    c == b' ' || c == b'\t' || c == b'\r' || c == b'\n'
}

/// Go's quoteChar: a byte as its error messages show it.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => format!("'{}'", quote_rune_inner(c as char)),
    }
}

impl<'a> Parser<'a> {
    fn err(&self, context: &str) -> ParseError {
        if self.i >= self.b.len() {
            return ParseError::UnexpectedEof;
        }
        ParseError::Syntax(
            format!("invalid character {} {}", quote_char(self.b[self.i]), context),
            self.i + 1,
        )
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while self.i < self.b.len() && is_space(self.b[self.i]) {
            self.i += 1;
        }
    }

    fn push(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err("exceeded max depth"));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Err(ParseError::UnexpectedEof),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'-') | Some(b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(_) => Err(self.err("looking for beginning of value")),
        }
    }

    fn object(&mut self) -> Result<Value, ParseError> {
        self.push()?;
        self.i += 1;
        let mut fields = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("looking for beginning of object key string"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("after object key"));
            }
            self.i += 1;
            let v = self.value()?;
            fields.push((key, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Value::Object(fields));
                }
                _ => return Err(self.err("after object key:value pair")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, ParseError> {
        self.push()?;
        self.i += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("after array element")),
            }
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, ParseError> {
        self.i += 1;
        for &c in &word.as_bytes()[1..] {
            if self.peek() != Some(c) {
                return Err(self.err(&format!("in literal {} (expecting '{}')", word, c as char)));
            }
            self.i += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("in numeric literal"));
            }
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("after decimal point in numeric literal"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e') | Some(b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+') | Some(b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("in exponent of numeric literal"));
            }
            self.digits();
        }
        // The literal is ASCII: the scanner accepted only the bytes above.
        Ok(Value::Number(String::from_utf8_lossy(&self.b[start..self.i]).into_owned()))
    }

    /// Scans a string literal (self.i at its quote) and returns it unquoted.
    fn string(&mut self) -> Result<String, ParseError> {
        self.i += 1;
        let start = self.i;
        let mut escaped = false;
        loop {
            let c = match self.peek() {
                None => return Err(ParseError::UnexpectedEof),
                Some(c) => c,
            };
            match c {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.peek() {
                        None => return Err(ParseError::UnexpectedEof),
                        Some(b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(h) if h.is_ascii_hexdigit() => self.i += 1,
                                    _ => return Err(self.err("in \\u hexadecimal character escape")),
                                }
                            }
                        }
                        Some(_) => return Err(self.err("in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(self.err("in string literal")),
                _ => self.i += 1,
            }
        }
        let raw = &self.b[start..self.i];
        self.i += 1;
        Ok(if escaped { unquote(raw) } else { go_lossy(raw) })
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    if b.len() < 6 || b[0] != b'\\' || b[1] != b'u' {
        return None;
    }
    let s = std::str::from_utf8(&b[2..6]).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Go's unquote of a scanned string body (escapes known to be well formed).
fn unquote(raw: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = raw[i + 1];
        let simple = match e {
            b'b' => Some(8u8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'\\' | b'/' | b'"' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            i += 2;
            continue;
        }
        // \uXXXX, possibly the first half of a surrogate pair.
        let r = hex4(&raw[i..]).unwrap_or(0xFFFD);
        let mut ch = char::from_u32(r);
        let mut width = 6;
        if (0xD800..0xE000).contains(&r) {
            ch = None;
            if (0xD800..0xDC00).contains(&r) {
                if let Some(r2) = hex4(&raw[i + 6..]) {
                    if (0xDC00..0xE000).contains(&r2) {
                        ch = char::from_u32(0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00));
                        width = 12;
                    }
                }
            }
        }
        let ch = ch.unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        i += width;
    }
    go_lossy(&out)
}

/// Converts bytes to a string the way Go's encoder and unquote do: each
/// byte that does not start a valid UTF-8 sequence becomes one U+FFFD.
pub fn go_lossy(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    let mut rest = b;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let good = e.valid_up_to();
                out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or(""));
                out.push('\u{FFFD}');
                rest = &rest[good + 1..];
            }
        }
    }
}

/// Appends s to out as a JSON string, escaped like Go's encoder.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = ch as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}
