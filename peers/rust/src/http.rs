//! The HTTP side of the contract as the Go handlers (httpapi) serve it:
//! routing with 405 and Allow, the query string rules of Go's
//! url.ParseQuery, the body rules of decodeBody (media type, charset,
//! Content-Encoding, 1 MiB, UTF-8, one JSON value) and the answers.

use std::time::Duration;

use hyper::body::HttpBody;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Body, Request, Response, StatusCode};

use crate::gofmt::{echo, quote, truncate};
use crate::json::{self, write_str, ParseError, Value};
use crate::model::*;
use crate::store::{Pool, Post, Stamp, User};

/// Largest request body read; larger ones are answered with 413.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Deadline of each request, as the Go handlers' default.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Serves one request.
pub async fn serve(pool: &Pool, req: Request<Body>) -> Response<Body> {
    let mut allow = None;
    let result = match tokio::time::timeout(TIMEOUT, route(pool, req, &mut allow)).await {
        Ok(r) => r,
        Err(_) => Err(ApiError::new(ETIMEOUT, "The database did not answer in time.")),
    };
    let mut resp = match result {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    };
    if let Some(a) = allow {
        if let Ok(v) = HeaderValue::from_str(a) {
            resp.headers_mut().insert(ALLOW, v);
        }
    }
    resp
}

fn error_response(e: &ApiError) -> Response<Body> {
    let mut out = Vec::with_capacity(64 + e.message.len());
    out.extend_from_slice(b"{\"error\":{\"code\":");
    write_str(&mut out, e.code);
    out.extend_from_slice(b",\"message\":");
    write_str(&mut out, &json::go_lossy(&e.message));
    out.extend_from_slice(b"}}\n");
    json_response(e.status(), out)
}

fn json_response(status: u16, body: Vec<u8>) -> Response<Body> {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// Go's url.PathUnescape of one path segment (as bytes; '+' stays).
fn unescape(s: &[u8], plus_is_space: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                if i + 2 >= s.len() || !s[i + 1].is_ascii_hexdigit() || !s[i + 2].is_ascii_hexdigit() {
                    let end = (i + 3).min(s.len());
                    return Err(format!("invalid URL escape {}", quote(&s[i..end])));
                }
                let h = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(h(s[i + 1]) << 4 | h(s[i + 2]));
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Go's url.ParseQuery: the values in order, or its first error.
fn parse_query(q: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, String> {
    let mut out = Vec::new();
    if q.iter().filter(|&&c| c == b'&').count() + 1 > 10000 {
        return Err("number of URL query parameters exceeded limit".into());
    }
    let mut err = None;
    for part in q.split(|&c| c == b'&') {
        if part.contains(&b';') {
            err = Some("invalid semicolon separator in query".to_string());
            continue;
        }
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.iter().position(|&c| c == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[..0]),
        };
        match (unescape(k, true), unescape(v, true)) {
            (Ok(k), Ok(v)) => out.push((k, v)),
            (Err(e), _) | (_, Err(e)) => {
                if err.is_none() {
                    err = Some(e)
                }
            }
        }
    }
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn query_get<'a>(q: &'a [(Vec<u8>, Vec<u8>)], key: &str) -> &'a [u8] {
    q.iter().find(|(k, _)| k == key.as_bytes()).map(|(_, v)| v.as_slice()).unwrap_or(b"")
}

/// The routes of the contract, by path shape.
enum Shape {
    Users,
    Bulk,
    User(Vec<u8>),
    Posts(Vec<u8>),
}

impl Shape {
    fn allow(&self) -> &'static str {
        match self {
            Shape::Users => "GET, POST",
            Shape::Bulk => "GET, POST, PATCH, DELETE",
            Shape::User(_) => "GET, PATCH, DELETE",
            Shape::Posts(_) => "POST",
        }
    }
}

fn shape(segments: &[Vec<u8>]) -> Option<Shape> {
    match segments {
        [u] if u == b"users" => Some(Shape::Users),
        [u, b] if u == b"users" && b == b"bulk" => Some(Shape::Bulk),
        [u, id] if u == b"users" => Some(Shape::User(id.clone())),
        [u, id, p] if u == b"users" && p == b"posts" => Some(Shape::Posts(id.clone())),
        _ => None,
    }
}

async fn route(pool: &Pool, req: Request<Body>, allow: &mut Option<&'static str>) -> Result<Response<Body>, ApiError> {
    let raw_query = req.uri().query().unwrap_or("").as_bytes().to_vec();
    let query = parse_query(&raw_query).map_err(|e| {
        ApiError::invalid(format!(
            "The query string does not parse: {}.",
            String::from_utf8_lossy(&truncate(e.as_bytes(), 80))
        ))
    })?;
    let raw_path = req.uri().path().as_bytes().to_vec();
    let mut path = Vec::with_capacity(raw_path.len());
    let mut segments = Vec::new();
    for (i, seg) in raw_path.split(|&c| c == b'/').enumerate() {
        let s = unescape(seg, false).map_err(ApiError::invalid)?;
        if i > 0 {
            path.push(b'/');
            segments.push(s.clone());
        }
        path.extend_from_slice(&s);
    }
    let method = req.method().as_str().to_string();
    let shape = shape(&segments);
    let m = if method == "HEAD" { "GET" } else { method.as_str() };
    match (m, &shape) {
        ("POST", Some(Shape::Users)) => {
            let (v, trailing) = read_json(req).await?;
            let mut errs = Errors::default();
            let u = decode_create(&mut errs, &v);
            check_decode(errs, false, trailing)?;
            u.validate()?;
            let user = pool.get().await?.create_user(&u).await?;
            user_answer(201, &user)
        }
        ("GET", Some(Shape::Users)) => list_users(pool, &query).await,
        ("GET", Some(Shape::User(id))) => {
            let id = parse_id(id)?;
            let inc = query_get(&query, "include");
            let user = match inc {
                b"" => pool.get().await?.user(id).await?,
                b"posts" => pool.get().await?.user_with_posts(id).await?,
                _ => {
                    return Err(ApiError::invalid(format!(
                        "Cannot include {}; the only choice is include=posts.",
                        quote(&echo(inc))
                    )))
                }
            };
            user_answer(200, &user)
        }
        ("PATCH", Some(Shape::User(id))) => {
            let id = parse_id(id)?;
            let (v, trailing) = read_json(req).await?;
            let mut errs = Errors::default();
            let u = decode_update(&mut errs, &v, false);
            check_decode(errs, false, trailing)?;
            u.patch.validate()?;
            let user = pool.get().await?.update_user(id, &u.patch).await?;
            user_answer(200, &user)
        }
        ("DELETE", Some(Shape::User(id))) => {
            let id = parse_id(id)?;
            pool.get().await?.delete_user(id).await?;
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::NO_CONTENT;
            Ok(resp)
        }
        ("POST", Some(Shape::Bulk)) => {
            let (v, trailing) = read_json(req).await?;
            let mut errs = Errors::default();
            let items = decode_array(&mut errs, &v, decode_create);
            check_decode(errs, true, trailing)?;
            validate_creates(&items)?;
            let users = pool.get().await?.create_users(&items).await?;
            items_answer(201, &users)
        }
        ("GET", Some(Shape::Bulk)) => {
            let ids = parse_ids(query_get(&query, "ids"))?;
            let users = pool.get().await?.users_by_id(&ids).await?;
            items_answer(200, &users)
        }
        ("PATCH", Some(Shape::Bulk)) => {
            let (v, trailing) = read_json(req).await?;
            let mut errs = Errors::default();
            let items = decode_array(&mut errs, &v, |e, x| decode_update(e, x, true));
            check_decode(errs, true, trailing)?;
            validate_updates(&items)?;
            let users = pool.get().await?.update_users(&items).await?;
            items_answer(200, &users)
        }
        ("DELETE", Some(Shape::Bulk)) => {
            let ids = parse_ids(query_get(&query, "ids"))?;
            let n = pool.get().await?.delete_users(&ids).await?;
            Ok(json_response(200, format!("{{\"deleted\":{}}}\n", n).into_bytes()))
        }
        ("POST", Some(Shape::Posts(id))) => {
            let id = parse_id(id)?;
            let (v, trailing) = read_json(req).await?;
            let mut errs = Errors::default();
            let p = decode_post(&mut errs, &v);
            check_decode(errs, false, trailing)?;
            p.validate()?;
            let post = pool.get().await?.create_post(id, &p).await?;
            if !encodable(post.created_at) {
                return Err(too_far(format!("Post {}", post.id)));
            }
            let mut out = Vec::new();
            post_json(&mut out, &post);
            out.push(b'\n');
            Ok(json_response(201, out))
        }
        (_, Some(s)) => {
            *allow = Some(s.allow());
            let mut msg = b"Method ".to_vec();
            msg.extend_from_slice(&echo(method.as_bytes()));
            msg.extend_from_slice(b" is not allowed on ");
            msg.extend_from_slice(&echo(&path));
            msg.extend_from_slice(format!("; use {}.", s.allow()).as_bytes());
            Err(ApiError { code: ENOTALLOWED, message: msg })
        }
        (_, None) => {
            let mut msg = b"No such path: ".to_vec();
            msg.extend_from_slice(&echo(&path));
            msg.push(b'.');
            Err(ApiError { code: ENOTFOUND, message: msg })
        }
    }
}

async fn list_users(pool: &Pool, query: &[(Vec<u8>, Vec<u8>)]) -> Result<Response<Body>, ApiError> {
    let mut after = 0i64;
    let s = query_get(query, "after");
    if !s.is_empty() {
        match go_parse_int(s) {
            Some(n) if n >= 0 => after = n,
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid after {}: give the last id of the previous page (0 or more).",
                    quote(&echo(s))
                )))
            }
        }
    }
    let mut limit = DEFAULT_LIMIT;
    let s = query_get(query, "limit");
    if !s.is_empty() {
        match go_parse_int(s) {
            Some(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid limit {}: give 1 to {}.",
                    quote(&echo(s)),
                    MAX_LIMIT
                )))
            }
        }
    }
    let users = pool.get().await?.list_users(after, limit).await?;
    unrepresentable(&users)?;
    let mut out = b"{\"items\":".to_vec();
    users_json(&mut out, &users);
    out.extend_from_slice(b",\"next\":");
    match users.last() {
        Some(u) if users.len() as i64 == limit => out.extend_from_slice(u.id.to_string().as_bytes()),
        _ => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b"}\n");
    Ok(json_response(200, out))
}

/// Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits.
fn go_parse_int(s: &[u8]) -> Option<i64> {
    let digits = match s.first() {
        Some(b'+') | Some(b'-') => &s[1..],
        _ => s,
    };
    if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse::<i64>().ok()
}

/// parseID: a positive decimal int64.
fn parse_id(s: &[u8]) -> Result<i64, ApiError> {
    match go_parse_int(s) {
        Some(id) if id > 0 => Ok(id),
        _ => Err(ApiError::invalid(format!(
            "Invalid id {}: ids are positive integers up to {}.",
            quote(&echo(s)),
            i64::MAX
        ))),
    }
}

/// parseIDs: a comma-separated list of 1 to MAX_BATCH distinct ids.
fn parse_ids(s: &[u8]) -> Result<Vec<i64>, ApiError> {
    if s.is_empty() {
        return Err(ApiError::invalid("Give ids as ?ids=1,2,3."));
    }
    let n = s.iter().filter(|&&c| c == b',').count() + 1;
    if n > MAX_BATCH {
        return Err(ApiError::invalid(format!(
            "Too many ids: {} given, at most {} allowed.",
            n, MAX_BATCH
        )));
    }
    let ids = s.split(|&c| c == b',').map(parse_id).collect::<Result<Vec<_>, _>>()?;
    validate_ids(&ids)?;
    Ok(ids)
}

/// Reports the first decoding error, else data after the value.
fn check_decode(errs: Errors, items: bool, trailing: Option<usize>) -> Result<(), ApiError> {
    match (errs.first, trailing) {
        (Some(e), _) => Err(ApiError::invalid(decode_message(&e, items))),
        (None, Some(off)) => Err(ApiError::invalid(format!(
            "The body has data after its JSON value at offset {}.",
            off
        ))),
        (None, None) => Ok(()),
    }
}

fn unsupported(msg: String) -> ApiError {
    ApiError::new(EUNSUPPORTED, msg)
}

/// Go's mime.ParseMediaType, as far as decodeBody needs it: the media type
/// (lower case) and the charset parameter, or None when it does not parse.
fn parse_media_type(v: &str) -> Option<(String, Option<String>)> {
    fn is_token(c: char) -> bool {
        c.is_ascii() && c > ' ' && c != '\u{7f}' && !"()<>@,;:\\\"/[]?=".contains(c)
    }
    fn token(s: &str) -> (&str, &str) {
        let end = s.find(|c: char| !is_token(c)).unwrap_or(s.len());
        (&s[..end], &s[end..])
    }
    let (base, mut rest) = match v.find(';') {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let base = base.trim_matches(|c| c == ' ' || c == '\t').to_ascii_lowercase();
    let (ty, after) = token(&base);
    if ty.is_empty() {
        return None;
    }
    if !after.is_empty() {
        let sub = after.strip_prefix('/')?;
        let (st, tail) = token(sub);
        if st.is_empty() || !tail.is_empty() {
            return None;
        }
    }
    let mut charset = None;
    let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c| c == ' ' || c == '\t');
        if rest.is_empty() {
            break;
        }
        let r = rest.strip_prefix(';')?.trim_start_matches(|c| c == ' ' || c == '\t');
        if r.trim_matches(|c| c == ' ' || c == '\t').is_empty() {
            // A trailing semicolon is allowed.
            break;
        }
        let (key, r) = token(r);
        if key.is_empty() {
            return None;
        }
        let r = r.trim_start_matches(|c| c == ' ' || c == '\t').strip_prefix('=')?;
        let r = r.trim_start_matches(|c| c == ' ' || c == '\t');
        let (value, r) = if let Some(q) = r.strip_prefix('"') {
            let mut val = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    // Go keeps a backslash that escapes no special character.
                    '\\' if q[i + 1..].starts_with(|n: char| "()<>@,;:\\\"/[]?=".contains(n)) => {
                        if let Some((_, n)) = chars.next() {
                            val.push(n)
                        }
                    }
                    '\r' | '\n' => return None,
                    c => val.push(c),
                }
            }
            (val, &q[end?..])
        } else {
            let (t, r) = token(r);
            if t.is_empty() {
                return None;
            }
            (t.to_string(), r)
        };
        let key = key.to_ascii_lowercase();
        // A repeated parameter is allowed with the same value.
        match seen.get(&key) {
            Some(v) if *v != value => return None,
            _ => {
                seen.insert(key.clone(), value.clone());
            }
        }
        if key == "charset" {
            charset = Some(value);
        }
        rest = r;
    }
    Some((base, charset))
}

/// decodeBody: checks the headers, reads the body within the limit and
/// decodes its one JSON value.
async fn read_json(req: Request<Body>) -> Result<(Value, Option<usize>), ApiError> {
    let ct = req.headers().get(CONTENT_TYPE).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    if ct.is_empty() {
        return Err(unsupported("Content-Type is missing; send application/json.".into()));
    }
    let ct_text = json::go_lossy(&ct);
    let bad_type = || {
        let mut m = b"Content-Type ".to_vec();
        m.extend_from_slice(quote(&echo(&ct)).as_bytes());
        m.extend_from_slice(b" is not supported; send application/json.");
        ApiError { code: EUNSUPPORTED, message: m }
    };
    match parse_media_type(&ct_text) {
        Some((mt, cs)) if mt == "application/json" => {
            if let Some(cs) = cs {
                if !cs.eq_ignore_ascii_case("utf-8") {
                    return Err(unsupported(format!(
                        "Charset {} is not supported; send UTF-8.",
                        quote(&echo(cs.as_bytes()))
                    )));
                }
            }
        }
        _ => return Err(bad_type()),
    }
    if let Some(ce) = req.headers().get("content-encoding") {
        if !ce.as_bytes().is_empty() {
            return Err(unsupported(format!(
                "Content-Encoding {} is not supported; send the body unencoded.",
                quote(&echo(ce.as_bytes()))
            )));
        }
    }
    let mut body = req.into_body();
    let mut data: Vec<u8> = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|e| ApiError::invalid(format!("Reading the body failed: {}.", e)))?;
        if data.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(ETOOLARGE, format!("The body is larger than {} bytes.", MAX_BODY_BYTES)));
        }
        data.extend_from_slice(&chunk);
    }
    decode_json(&data)
}

/// decodeJSON: valid UTF-8, exactly one JSON value.
fn decode_json(data: &[u8]) -> Result<(Value, Option<usize>), ApiError> {
    if json::go_lossy(data).chars().all(char::is_whitespace) {
        return Err(ApiError::invalid("The body is empty; send a JSON value."));
    }
    if std::str::from_utf8(data).is_err() {
        return Err(ApiError::invalid("The body is not valid UTF-8."));
    }
    let (v, end) = match json::parse_first(data) {
        Ok(x) => x,
        Err(ParseError::UnexpectedEof) => {
            return Err(ApiError::invalid("The body ends in the middle of its JSON value."))
        }
        Err(ParseError::Syntax(msg, off)) => {
            return Err(ApiError::invalid(format!("The body is not valid JSON at offset {}: {}.", off, msg)))
        }
    };
    // Type errors come before trailing data, as in Go (Decode, then
    // Token): the caller reports the offset only when v decodes.
    let rest = &data[end..];
    let trailing = rest
        .iter()
        .position(|&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
        .map(|skip| end + skip);
    Ok((v, trailing))
}

/// The civil date and time of t, in UTC: (year, month, day, second of
/// the day, microseconds).
fn civil(t: Stamp) -> (i64, i64, i64, i64, i64) {
    let secs = t.0.div_euclid(1_000_000);
    let micros = t.0.rem_euclid(1_000_000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    // Civil from days (H. Hinnant).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, sod, micros)
}

/// Whether t has an RFC 3339 form (years 0000 to 9999), as Go's encoder
/// requires.
fn encodable(t: Stamp) -> bool {
    (0..=9999).contains(&civil(t).0)
}

/// firstUnrepresentable: names the first user or post whose timestamp
/// JSON cannot encode.
fn unrepresentable(users: &[User]) -> Result<(), ApiError> {
    for u in users {
        if !encodable(u.created_at) || !encodable(u.updated_at) {
            return Err(too_far(format!("User {}", u.id)));
        }
        for p in u.posts.iter().flatten() {
            if !encodable(p.created_at) {
                return Err(too_far(format!("Post {} of user {}", p.id, u.id)));
            }
        }
    }
    Ok(())
}

fn too_far(what: String) -> ApiError {
    ApiError::new(
        EINTERNAL,
        format!("{} has a timestamp outside the years 0000 to 9999, which the API cannot represent.", what),
    )
}

fn push_time(out: &mut Vec<u8>, t: Stamp) {
    // RFC 3339 with the fraction's trailing zeros dropped, in UTC: Go's
    // time.Time.MarshalJSON.
    let (y, m, d, sod, micros) = civil(t);
    let mut s = format!(
        "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if micros > 0 {
        let f = format!("{:06}", micros);
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s.push_str("Z\"");
    out.extend_from_slice(s.as_bytes());
}

fn push_user(out: &mut Vec<u8>, u: &User) {
    out.extend_from_slice(format!("{{\"id\":{},\"name\":", u.id).as_bytes());
    write_str(out, &u.name);
    out.extend_from_slice(b",\"email\":");
    write_str(out, &u.email);
    out.extend_from_slice(format!(",\"age\":{},\"created_at\":", u.age).as_bytes());
    push_time(out, u.created_at);
    out.extend_from_slice(b",\"updated_at\":");
    push_time(out, u.updated_at);
    if let Some(posts) = &u.posts {
        out.extend_from_slice(b",\"posts\":[");
        for (i, p) in posts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            post_json(out, p);
        }
        out.push(b']');
    }
    out.push(b'}');
}

fn post_json(out: &mut Vec<u8>, p: &Post) {
    out.extend_from_slice(format!("{{\"id\":{},\"user_id\":{},\"title\":", p.id, p.user_id).as_bytes());
    write_str(out, &p.title);
    out.extend_from_slice(b",\"body\":");
    write_str(out, &p.body);
    out.extend_from_slice(b",\"created_at\":");
    push_time(out, p.created_at);
    out.push(b'}');
}

fn users_json(out: &mut Vec<u8>, users: &[User]) {
    out.push(b'[');
    for (i, u) in users.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_user(out, u);
    }
    out.push(b']');
}

fn user_json(u: &User) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    push_user(&mut out, u);
    out.push(b'\n');
    out
}

fn items_json(users: &[User]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + 160 * users.len());
    out.extend_from_slice(b"{\"items\":");
    users_json(&mut out, users);
    out.extend_from_slice(b"}\n");
    out
}

fn user_answer(status: u16, u: &User) -> Result<Response<Body>, ApiError> {
    unrepresentable(std::slice::from_ref(u))?;
    Ok(json_response(status, user_json(u)))
}

fn items_answer(status: u16, users: &[User]) -> Result<Response<Body>, ApiError> {
    unrepresentable(users)?;
    Ok(json_response(status, items_json(users)))
}
