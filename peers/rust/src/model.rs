//! The domain of the contract: inputs decoded from JSON with the rules of
//! Go's encoding/json (case-insensitive keys, unknown fields refused, the
//! first error in document order wins, null leaves a value alone), their
//! validation with the Go messages, and the error type of every answer.

use crate::gofmt::{echo, is_graphic, is_space, quote};
use crate::json::Value;

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_EMAIL_LEN: usize = 254;
pub const MAX_AGE: i64 = 150;
pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_BODY_LEN: usize = 10_000;
pub const MAX_BATCH: usize = 1000;
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 1000;

/// An error answer: a code of the contract and a message (bytes: a message
/// may quote a path that is not UTF-8, which the encoder replaces).
#[derive(Debug)]
pub struct ApiError {
    pub code: &'static str,
    pub message: Vec<u8>,
}

pub const EINVALID: &str = "invalid";
pub const ECONFLICT: &str = "conflict";
pub const ENOTFOUND: &str = "not_found";
pub const EINTERNAL: &str = "internal";
pub const EUNAVAILABLE: &str = "unavailable";
pub const ETIMEOUT: &str = "timeout";
pub const ETOOLARGE: &str = "too_large";
pub const ENOTALLOWED: &str = "not_allowed";
pub const EUNSUPPORTED: &str = "unsupported";

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, message: message.into().into_bytes() }
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(EINVALID, message)
    }

    /// The HTTP status of the error's code.
    pub fn status(&self) -> u16 {
        match self.code {
            ECONFLICT => 409,
            EINVALID => 400,
            ENOTFOUND => 404,
            ETOOLARGE => 413,
            EUNAVAILABLE => 503,
            ETIMEOUT => 504,
            ENOTALLOWED => 405,
            EUNSUPPORTED => 415,
            _ => 500,
        }
    }
}

pub fn not_found(id: i64) -> ApiError {
    ApiError::new(ENOTFOUND, format!("User {} not found.", id))
}

/// What a JSON value must decode into, for messages: Go's kind words.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    Str,
    Int,
}

/// A type error as Go reports it: the field path ("" for the value
/// itself), the kind wanted and the value found.
pub struct TypeError {
    pub field: String,
    pub want: &'static str,
    pub got: String,
}

/// The first decoding error of a body: a type error or an unknown field.
pub enum DecodeError {
    Type(TypeError),
    Unknown(String),
}

impl DecodeError {
    fn ty(field: &str, want: &'static str, got: String) -> DecodeError {
        DecodeError::Type(TypeError { field: field.to_string(), want, got })
    }
}

/// Collects the first error of a decode, as Go's saveError does.
#[derive(Default)]
pub struct Errors {
    pub first: Option<DecodeError>,
}

impl Errors {
    fn save(&mut self, e: DecodeError) {
        if self.first.is_none() {
            self.first = Some(e);
        }
    }
}

/// Decodes a scalar into an optional target as literalStore does: null
/// leaves it as it is (pointer targets: set to None by the caller).
fn scalar(errs: &mut Errors, field: &str, want: Want, v: &Value) -> Option<Scalar> {
    let wanted = match want {
        Want::Str => "a string",
        Want::Int => "an integer",
    };
    match (v, want) {
        (Value::Null, _) => None,
        (Value::Str(s), Want::Str) => Some(Scalar::Str(s.clone())),
        (Value::Number(n), Want::Int) => match n.parse::<i64>() {
            Ok(i) => Some(Scalar::Int(i)),
            Err(_) => {
                errs.save(DecodeError::ty(field, wanted, format!("number {}", n)));
                None
            }
        },
        (other, _) => {
            errs.save(DecodeError::ty(field, wanted, other.kind_word()));
            None
        }
    }
}

enum Scalar {
    Str(String),
    Int(i64),
}

/// One field of an input: its JSON name and what it holds.
struct Field {
    name: &'static str,
    want: Want,
    /// The name a type error gives: Go's encoding/json names a field of an
    /// embedded struct by its path (UserPatch.name in a bulk update item).
    path: &'static str,
}

/// Decodes an object into the fields given (exact name first, then ASCII
/// case-insensitively as Go does); each set field calls set with its
/// index and its value, or None for null. Anything else than an object
/// is a type error on the value itself, reported as `want`.
fn object<F: FnMut(usize, Option<Scalar>)>(
    errs: &mut Errors,
    v: &Value,
    fields: &[Field],
    mut set: F,
) {
    let pairs = match v {
        Value::Object(p) => p,
        Value::Null => return,
        other => {
            errs.save(DecodeError::ty("", "an object", other.kind_word()));
            return;
        }
    };
    for (key, val) in pairs {
        let idx = fields
            .iter()
            .position(|f| f.name == key)
            .or_else(|| fields.iter().position(|f| f.name.eq_ignore_ascii_case(key)));
        match idx {
            None => errs.save(DecodeError::Unknown(key.clone())),
            Some(i) => {
                let is_null = matches!(val, Value::Null);
                let s = scalar(errs, fields[i].path, fields[i].want, val);
                if s.is_some() || is_null {
                    set(i, s);
                }
            }
        }
    }
}

#[derive(Default)]
pub struct UserCreate {
    pub name: String,
    pub email: String,
    pub age: i64,
}

#[derive(Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub age: Option<i64>,
}

#[derive(Default)]
pub struct UserUpdate {
    pub id: i64,
    pub patch: UserPatch,
}

#[derive(Default)]
pub struct PostCreate {
    pub title: String,
    pub body: String,
}

const CREATE_FIELDS: &[Field] = &[
    Field { name: "name", want: Want::Str, path: "name" },
    Field { name: "email", want: Want::Str, path: "email" },
    Field { name: "age", want: Want::Int, path: "age" },
];
const PATCH_FIELDS: &[Field] = &[
    Field { name: "name", want: Want::Str, path: "name" },
    Field { name: "email", want: Want::Str, path: "email" },
    Field { name: "age", want: Want::Int, path: "age" },
];
const UPDATE_FIELDS: &[Field] = &[
    Field { name: "id", want: Want::Int, path: "id" },
    Field { name: "name", want: Want::Str, path: "UserPatch.name" },
    Field { name: "email", want: Want::Str, path: "UserPatch.email" },
    Field { name: "age", want: Want::Int, path: "UserPatch.age" },
];
const POST_FIELDS: &[Field] = &[
    Field { name: "title", want: Want::Str, path: "title" },
    Field { name: "body", want: Want::Str, path: "body" },
];

fn take_str(s: Option<Scalar>) -> Option<String> {
    match s {
        Some(Scalar::Str(s)) => Some(s),
        _ => None,
    }
}

fn take_int(s: Option<Scalar>) -> Option<i64> {
    match s {
        Some(Scalar::Int(i)) => Some(i),
        _ => None,
    }
}

pub fn decode_create(errs: &mut Errors, v: &Value) -> UserCreate {
    let mut u = UserCreate::default();
    object(errs, v, CREATE_FIELDS, |i, s| match i {
        0 => {
            if let Some(x) = take_str(s) {
                u.name = x
            }
        }
        1 => {
            if let Some(x) = take_str(s) {
                u.email = x
            }
        }
        _ => {
            if let Some(x) = take_int(s) {
                u.age = x
            }
        }
    });
    u
}

/// Decodes a patch; with_id also reads the id of a bulk update item.
pub fn decode_update(errs: &mut Errors, v: &Value, with_id: bool) -> UserUpdate {
    let mut u = UserUpdate::default();
    let fields = if with_id { UPDATE_FIELDS } else { PATCH_FIELDS };
    let off = if with_id { 0 } else { 1 };
    object(errs, v, fields, |i, s| match i + off {
        0 => {
            if let Some(x) = take_int(s) {
                u.id = x
            }
        }
        1 => u.patch.name = take_str(s),
        2 => u.patch.email = take_str(s),
        _ => u.patch.age = take_int(s),
    });
    u
}

pub fn decode_post(errs: &mut Errors, v: &Value) -> PostCreate {
    let mut p = PostCreate::default();
    object(errs, v, POST_FIELDS, |i, s| {
        if let Some(x) = take_str(s) {
            if i == 0 {
                p.title = x
            } else {
                p.body = x
            }
        }
    });
    p
}

/// Decodes an array of items with item; anything else than an array (or
/// null, an empty batch) is a type error on the body.
pub fn decode_array<T, F: FnMut(&mut Errors, &Value) -> T>(errs: &mut Errors, v: &Value, mut item: F) -> Vec<T> {
    match v {
        Value::Array(items) => items.iter().map(|x| item(errs, x)).collect(),
        Value::Null => Vec::new(),
        other => {
            errs.save(DecodeError::ty("", "an array", other.kind_word()));
            Vec::new()
        }
    }
}

/// The message of a decoding error; items says whether the body is an
/// array of objects (Go: "Each item" for an item of the wrong kind).
pub fn decode_message(e: &DecodeError, items: bool) -> String {
    match e {
        DecodeError::Unknown(k) => format!("Unknown field {}.", quote(&echo(k.as_bytes()))),
        DecodeError::Type(t) if t.field.is_empty() => {
            let what = if items && t.want != "an array" { "Each item" } else { "The body" };
            format!("{} must be {}, not {}.", what, t.want, String::from_utf8_lossy(&echo(t.got.as_bytes())))
        }
        DecodeError::Type(t) => format!("Field {} must be {}, not {}.", quote(t.field.as_bytes()), t.want, String::from_utf8_lossy(&echo(t.got.as_bytes()))),
    }
}

fn visible(s: &str) -> bool {
    s.chars().any(|c| is_graphic(c) && !is_space(c))
}

fn validate_text(field: &str, s: &str, min: usize, max: usize) -> Result<(), ApiError> {
    if s.contains('\0') {
        return Err(ApiError::invalid(format!("The {} must not contain NUL characters.", field)));
    }
    let n = s.chars().count();
    if n < min || n > max {
        return Err(ApiError::invalid(format!(
            "The {} must have {} to {} characters, it has {}.",
            field, min, max, n
        )));
    }
    Ok(())
}

fn validate_name(s: &str) -> Result<(), ApiError> {
    validate_text("name", s, 1, MAX_NAME_LEN)?;
    if !visible(s) {
        return Err(ApiError::invalid("Name must not be blank."));
    }
    Ok(())
}

fn validate_title(s: &str) -> Result<(), ApiError> {
    validate_text("title", s, 1, MAX_TITLE_LEN)?;
    if !visible(s) {
        return Err(ApiError::invalid("Title must not be blank."));
    }
    Ok(())
}

fn validate_email(s: &str) -> Result<(), ApiError> {
    validate_text("email", s, 3, MAX_EMAIL_LEN)?;
    if s.chars().any(|c| is_space(c) || !is_graphic(c)) {
        return Err(ApiError::invalid(format!(
            "Email {} must not contain spaces, line breaks or other invisible characters.",
            quote(&echo(s.as_bytes()))
        )));
    }
    let at = s.find('@');
    if at.map_or(true, |a| a == 0 || a == s.len() - 1) || s.matches('@').count() != 1 {
        return Err(ApiError::invalid(format!(
            "Email {} must hold exactly one @ with text on both sides.",
            quote(&echo(s.as_bytes()))
        )));
    }
    Ok(())
}

fn validate_age(n: i64) -> Result<(), ApiError> {
    if !(0..=MAX_AGE).contains(&n) {
        return Err(ApiError::invalid(format!("Age {} is out of range: give 0 to {}.", n, MAX_AGE)));
    }
    Ok(())
}

impl UserCreate {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_name(&self.name)?;
        validate_email(&self.email)?;
        validate_age(self.age)
    }
}

impl UserPatch {
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.name.is_none() && self.email.is_none() && self.age.is_none() {
            return Err(ApiError::invalid("Nothing to update: set at least one of name, email, age."));
        }
        if let Some(n) = &self.name {
            validate_name(n)?;
        }
        if let Some(e) = &self.email {
            validate_email(e)?;
        }
        if let Some(a) = self.age {
            validate_age(a)?;
        }
        Ok(())
    }
}

impl PostCreate {
    pub fn validate(&self) -> Result<(), ApiError> {
        validate_title(&self.title)?;
        validate_text("body", &self.body, 0, MAX_BODY_LEN)
    }
}

fn validate_batch(n: usize) -> Result<(), ApiError> {
    if n == 0 {
        return Err(ApiError::invalid(format!("The batch is empty: give 1 to {} items.", MAX_BATCH)));
    } else if n > MAX_BATCH {
        return Err(ApiError::invalid(format!("The batch has {} items, at most {} allowed.", n, MAX_BATCH)));
    }
    Ok(())
}

fn item_error(i: usize, e: ApiError) -> ApiError {
    let mut m = format!("Item {}: ", i).into_bytes();
    m.extend_from_slice(&e.message);
    ApiError { code: EINVALID, message: m }
}

pub fn validate_creates(items: &[UserCreate]) -> Result<(), ApiError> {
    validate_batch(items.len())?;
    for (i, u) in items.iter().enumerate() {
        u.validate().map_err(|e| item_error(i, e))?;
    }
    Ok(())
}

pub fn validate_updates(items: &[UserUpdate]) -> Result<(), ApiError> {
    validate_batch(items.len())?;
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for (i, u) in items.iter().enumerate() {
        if u.id <= 0 {
            return Err(ApiError::invalid(format!(
                "Item {}: invalid id {}, ids are positive integers.",
                i, u.id
            )));
        }
        if !seen.insert(u.id) {
            return Err(ApiError::invalid(format!("Item {}: id {} is given twice.", i, u.id)));
        }
        u.patch.validate().map_err(|e| item_error(i, e))?;
    }
    Ok(())
}

/// Checks the ids of a bulk read or delete: positive, none repeated.
pub fn validate_ids(ids: &[i64]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(ApiError::invalid("Give at least one id."));
    } else if ids.len() > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "Too many ids: {} given, at most {} allowed.",
            ids.len(),
            MAX_BATCH
        )));
    }
    let mut seen = std::collections::HashSet::with_capacity(ids.len());
    for &id in ids {
        if id <= 0 {
            return Err(ApiError::invalid(format!("Invalid id {}: ids are positive integers.", id)));
        }
        if !seen.insert(id) {
            return Err(ApiError::invalid(format!("Id {} is given twice.", id)));
        }
    }
    Ok(())
}
