"""The crudbench HTTP contract in Python: request decoding, validation,
error bodies and JSON encoding, byte for byte as the Go handlers
(httpapi/, validate.go, error.go) give them.

Go's messages quote Go's own values: strconv.Quote (%q), encoding/json's
syntax errors and offsets, net/url's query errors. They are reproduced here
rather than approximated, so that the conformance suite can compare bodies
exactly.
"""

import json
import os
import re
import sys
import unicodedata

# encoding/json accepts 10,000 levels of nesting; Python's json module
# recurses once per level, within this limit.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_500))

MAX_NAME_LEN = 100
MAX_EMAIL_LEN = 254
MAX_AGE = 150
MAX_TITLE_LEN = 200
MAX_BODY_LEN = 10_000
MAX_BATCH = 1000
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MAX_BODY_BYTES = 1 << 20
INT64_MAX = (1 << 63) - 1

# Error codes and their statuses (error.go, httpapi/error.go).
STATUSES = {
    "conflict": 409, "invalid": 400, "not_found": 404, "too_large": 413,
    "unavailable": 503, "timeout": 504, "canceled": 499, "not_allowed": 405,
    "unsupported": 415, "internal": 500,
}
EMAIL_CONFLICT = "The batch would leave an email on two users; nothing was changed."
UNAVAILABLE = "The database is unavailable; try again shortly."
TIMEOUT = "The database did not answer in time."


class APIError(Exception):
    """An error answer: a code and a message a person can act on."""

    def __init__(self, code, message, allow=None):
        super().__init__(message)
        self.code, self.message, self.allow = code, message, allow


def invalid(message):
    return APIError("invalid", message)


def not_found(user_id):
    return APIError("not_found", "User %d not found." % user_id)


# --- Go's formatting -------------------------------------------------------

def _printable(ch):
    """unicode.IsPrint: letters, marks, numbers, punctuation, symbols and
    the ASCII space."""
    return ch == " " or unicodedata.category(ch)[0] in "LMNPS"


_ESC = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def goquote(s):
    """strconv.Quote of s, a str whose undecodable bytes are surrogate
    escapes (they print as \\xHH, as Go prints invalid UTF-8)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0xDC80 <= o <= 0xDCFF:
            out.append("\\x%02x" % (o - 0xDC00))
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        elif _printable(ch):
            out.append(ch)
        elif ch in _ESC:
            out.append(_ESC[ch])
        elif o < 0x20 or o == 0x7F:
            out.append("\\x%02x" % o)
        elif o < 0x10000:
            out.append("\\u%04x" % o)
        else:
            out.append("\\U%08x" % o)
    out.append('"')
    return "".join(out)


def truncate(s, n):
    """httpapi's truncate: at most n bytes of s plus an ellipsis, cut
    before a multi-byte character rather than through it."""
    b = s.encode("utf-8", "surrogateescape")
    if len(b) <= n:
        return s
    cut = n
    while cut > n - 4 and cut > 0:
        if b[cut] & 0xC0 != 0x80:
            n = cut
            break
        cut -= 1
    return b[:n].decode("utf-8", "surrogateescape") + "…"


def parse_int64(s):
    """strconv.ParseInt(s, 10, 64): an optional sign, ASCII digits, within
    int64; None when it fails."""
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        return None
    n = int(s)
    if n > INT64_MAX or n < -INT64_MAX - 1:
        return None
    return n


# --- encoding --------------------------------------------------------------

_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_HTML_RE = re.compile("[<>&\u2028\u2029]")


class Stamp:
    """A stored timestamp as PostgreSQL writes it (TimeZone UTC), kept as
    text: Python's datetime cannot hold the years PostgreSQL can (0000,
    BC, 10000 and later), and Go answers those with an error of its own."""

    __slots__ = ("year", "text")

    def __init__(self, pg):
        if pg in ("infinity", "-infinity"):
            raise ValueError("timestamp %s has no time" % pg)
        bc = pg.endswith(" BC")
        if bc:
            pg = pg[:-3]
        date, clock = pg.split(" ", 1)
        y, rest = date.split("-", 1)
        self.year = 1 - int(y) if bc else int(y)
        cut = max(clock.rfind("+"), clock.rfind("-"))
        hms = clock[:cut] if cut > 0 else clock
        if "." in hms:
            hms = hms.rstrip("0").rstrip(".")
        self.text = "%04d-%sT%sZ" % (self.year, rest, hms) if 0 <= self.year <= 9999 else None


def _encodable(t):
    return not isinstance(t, Stamp) or t.text is not None


def check_representable(v):
    """httpapi's firstUnrepresentable: the internal error naming the first
    user or post of the answer v whose timestamp JSON cannot hold."""
    users = []
    if isinstance(v, dict) and "items" in v:
        users = v["items"]
    elif isinstance(v, dict) and "user_id" in v:
        if not _encodable(v["created_at"]):
            raise unrepresentable("Post %d" % v["id"])
    elif isinstance(v, dict) and "email" in v:
        users = [v]
    for u in users:
        if not _encodable(u["created_at"]) or not _encodable(u["updated_at"]):
            raise unrepresentable("User %d" % u["id"])
        for p in u.get("posts", ()):
            if not _encodable(p["created_at"]):
                raise unrepresentable("Post %d of user %d" % (p["id"], u["id"]))


def unrepresentable(what):
    return APIError("internal", what + " has a timestamp outside the years 0000 to 9999, which the API cannot represent.")


def timestamp(t):
    """RFC 3339 with the fraction's trailing zeros cut, as Go writes time.Time."""
    if isinstance(t, Stamp):
        return t
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += (".%06d" % t.microsecond).rstrip("0")
    off = t.utcoffset()
    if not off:
        return s + "Z"
    mins = int(off.total_seconds()) // 60
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return s + "%s%02d:%02d" % (sign, mins // 60, mins % 60)


def dumps(v):
    """encoding/json's Encoder: compact, HTML characters escaped, a newline
    at the end."""
    s = json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=lambda t: t.text)
    return _HTML_RE.sub(lambda m: _HTML[m.group()], s) + "\n"


def user_json(u, posts=None):
    """A user as the API answers it; posts, when given, as its list."""
    d = {"id": u[0], "name": u[1], "email": u[2], "age": u[3],
         "created_at": timestamp(u[4]), "updated_at": timestamp(u[5])}
    if posts is not None:
        d["posts"] = posts
    return d


def post_json(p):
    """A post (id, user_id, title, body, created_at) as the API answers it."""
    return {"id": p[0], "user_id": p[1], "title": p[2], "body": p[3], "created_at": timestamp(p[4])}


def error_json(e):
    return dumps({"error": {"code": e.code, "message": e.message}})


# --- the query string (net/url.ParseQuery) ---------------------------------

_HEX = "0123456789abcdefABCDEF"


def _unescape(s):
    """url.QueryUnescape on a str of bytes (latin-1); raises ValueError
    with net/url's message."""
    i = 0
    while i < len(s):
        if s[i] == "%":
            if i + 2 >= len(s) or s[i + 1] not in _HEX or s[i + 2] not in _HEX:
                raise ValueError("invalid URL escape " + goquote(s[i:i + 3]))
            i += 3
        else:
            i += 1
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c == "%":
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(0x20 if c == "+" else ord(c) & 0xFF)
        i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_query(raw):
    """url.ParseQuery of the raw query (a str of bytes as latin-1): the
    first value of each key, or the APIError checkRequest answers."""
    values = {}
    err = None
    if raw.count("&") + 1 > 10000:
        err = "number of URL query parameters exceeded limit"
    else:
        for part in raw.split("&"):
            if ";" in part:
                err = "invalid semicolon separator in query"
                continue
            if part == "":
                continue
            key, _, value = part.partition("=")
            try:
                key = _unescape(key)
                value = _unescape(value)
            except ValueError as e:
                if err is None:
                    err = str(e)
                continue
            values.setdefault(key, value)
    if err is not None:
        raise invalid("The query string does not parse: %s." % truncate(err, 80))
    return values


# --- ids -------------------------------------------------------------------

def parse_id(s):
    n = parse_int64(s)
    if n is None or n <= 0:
        raise invalid("Invalid id %s: ids are positive integers up to %d." % (goquote(truncate(s, 40)), INT64_MAX))
    return n


def validate_ids(ids):
    if not ids:
        raise invalid("Give at least one id.")
    if len(ids) > MAX_BATCH:
        raise invalid("Too many ids: %d given, at most %d allowed." % (len(ids), MAX_BATCH))
    seen = set()
    for i in ids:
        if i <= 0:
            raise invalid("Invalid id %d: ids are positive integers." % i)
        if i in seen:
            raise invalid("Id %d is given twice." % i)
        seen.add(i)


def parse_ids(s):
    if s == "":
        raise invalid("Give ids as ?ids=1,2,3.")
    n = s.count(",") + 1
    if n > MAX_BATCH:
        raise invalid("Too many ids: %d given, at most %d allowed." % (n, MAX_BATCH))
    ids = [parse_id(part) for part in s.split(",")]
    validate_ids(ids)
    return ids


# --- JSON syntax, as encoding/json's scanner reports it ---------------------

def _quote_char(c):
    if c == 0x27:
        return "'\\''"
    if c == 0x22:
        return "'\"'"
    return "'" + goquote(chr(c))[1:-1] + "'"


class _Syntax(Exception):
    def __init__(self, msg, offset):
        super().__init__(msg)
        self.msg, self.offset = msg, offset


_SPACE = b" \t\r\n"
_PAIRS = {ord(k): v for k, v in (("t", b"rue"), ("f", b"alse"), ("n", b"ull"))}
_NAMES = {ord("t"): "true", ord("f"): "false", ord("n"): "null"}


def _scan(data):
    """Scans one JSON value at the start of data as Go's Decoder does and
    returns where it ends; raises _Syntax (offset as Go counts it) or
    EOFError when data ends inside the value."""
    n = len(data)
    stack = []  # 'k' object expecting key, 'v' object value, 'a' array
    i = 0

    def err(i, context):
        raise _Syntax("invalid character %s %s" % (_quote_char(data[i]), context), i + 1)

    def skip(i):
        while i < n and data[i] in _SPACE:
            i += 1
        return i

    def need(i):
        if i >= n:
            raise EOFError
        return data[i]

    # state: parse a value starting at i; after it, handle the container.
    expect_value = True
    while True:
        if expect_value:
            i = skip(i)
            c = need(i)
            if c == 0x7B:  # {
                if len(stack) >= 10000:
                    err(i, "exceeded max depth")
                i = skip(i + 1)
                c = need(i)
                if c == 0x7D:
                    i += 1
                    expect_value = False
                    if not stack:
                        return i
                    continue
                if c != 0x22:
                    err(i, "looking for beginning of object key string")
                stack.append("k")
                i = _string(data, i, err, need)
                i = skip(i)
                c = need(i)
                if c != 0x3A:
                    err(i, "after object key")
                stack[-1] = "v"
                i += 1
                continue
            if c == 0x5B:  # [
                if len(stack) >= 10000:
                    err(i, "exceeded max depth")
                i = skip(i + 1)
                c = need(i)
                if c == 0x5D:
                    i += 1
                    expect_value = False
                    if not stack:
                        return i
                    continue
                stack.append("a")
                continue
            if c == 0x22:
                i = _string(data, i, err, need)
            elif c == 0x2D or 0x30 <= c <= 0x39:
                i = _number(data, i, err, n)
            elif c in _PAIRS:
                rest = _PAIRS[c]
                j = i + 1
                for want in rest:
                    got = need(j)
                    if got != want:
                        err(j, "in literal %s (expecting %s)" % (_NAMES[c], _quote_char(want)))
                    j += 1
                i = j
            else:
                err(i, "looking for beginning of value")
            expect_value = False
            if not stack:
                return i
            continue
        # after a value inside a container
        i = skip(i)
        c = need(i)
        top = stack[-1]
        if top == "v":
            if c == 0x2C:
                i = skip(i + 1)
                c = need(i)
                if c != 0x22:
                    err(i, "looking for beginning of object key string")
                i = _string(data, i, err, need)
                i = skip(i)
                c = need(i)
                if c != 0x3A:
                    err(i, "after object key")
                i += 1
                expect_value = True
                continue
            if c == 0x7D:
                stack.pop()
                i += 1
                if not stack:
                    return i
                continue
            err(i, "after object key:value pair")
        else:
            if c == 0x2C:
                i += 1
                expect_value = True
                continue
            if c == 0x5D:
                stack.pop()
                i += 1
                if not stack:
                    return i
                continue
            err(i, "after array element")


def _string(data, i, err, need):
    """Scans the string starting with the quote at i; returns the index
    after its closing quote."""
    i += 1
    while True:
        c = need(i)
        if c == 0x22:
            return i + 1
        if c == 0x5C:
            i += 1
            c = need(i)
            if c == 0x75:
                for _ in range(4):
                    i += 1
                    if chr(need(i)) not in _HEX:
                        err(i, "in \\u hexadecimal character escape")
            elif c not in b'bfnrt\\/"':
                err(i, "in string escape code")
        elif c < 0x20:
            err(i, "in string literal")
        i += 1


def _number(data, i, err, n):
    """Scans the number starting at i; returns the index after it. At the
    end of data a number is complete where it may end."""
    def at(i):
        return data[i] if i < n else None

    if data[i] == 0x2D:
        i += 1
        c = at(i)
        if c is None:
            raise EOFError
        if not 0x30 <= c <= 0x39:
            err(i, "in numeric literal")
    if data[i] == 0x30:
        i += 1
    else:
        while at(i) is not None and 0x30 <= at(i) <= 0x39:
            i += 1
    if at(i) == 0x2E:
        i += 1
        c = at(i)
        if c is None:
            raise EOFError
        if not 0x30 <= c <= 0x39:
            err(i, "after decimal point in numeric literal")
        while at(i) is not None and 0x30 <= at(i) <= 0x39:
            i += 1
    if at(i) in (0x65, 0x45):
        i += 1
        if at(i) in (0x2B, 0x2D):
            i += 1
        c = at(i)
        if c is None:
            raise EOFError
        if not 0x30 <= c <= 0x39:
            err(i, "in exponent of numeric literal")
        while at(i) is not None and 0x30 <= at(i) <= 0x39:
            i += 1
    return i


# --- JSON into typed values, as encoding/json with DisallowUnknownFields ---

class _Num(str):
    """A JSON number, kept as its literal."""


class _Obj(list):
    """A JSON object, as its (key, value) pairs in order."""


STR, INT = "a string", "an integer"
USER_CREATE = {"name": STR, "email": STR, "age": INT}
USER_PATCH = USER_CREATE
# Go names a field of an embedded struct by its path: UserUpdate embeds
# UserPatch, so its errors say "UserPatch.name".
USER_UPDATE = {"id": INT, "name": (STR, "UserPatch.name"), "email": (STR, "UserPatch.email"), "age": (INT, "UserPatch.age")}
POST_CREATE = {"title": STR, "body": STR}

_SURROGATE = re.compile("[\ud800-\udfff]")


def _fix(s):
    """A lone surrogate escape decodes to U+FFFD, as in Go."""
    return _SURROGATE.sub("\ufffd", s)


def _kind(v):
    if isinstance(v, str):
        return "number" if isinstance(v, _Num) else "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, _Obj):
        return "object"
    if isinstance(v, list):
        return "array"
    return "null"


class _Errors:
    """encoding/json's saveError: the first error wins, decoding goes on."""

    def __init__(self):
        self.first = None

    def save(self, msg):
        if self.first is None:
            self.first = msg


def _struct(v, fields, errs, what):
    """Decodes v into a dict of the fields it sets (None for null)."""
    out = {}
    if v is None:
        return out
    if not isinstance(v, _Obj):
        errs.save("%s must be an object, not %s." % (what, _kind(v)))
        return out
    for key, val in v:
        key = _fix(key)
        name = key if key in fields else None
        if name is None and key.isascii():
            name = next((f for f in fields if f == key.lower()), None)
        if name is None:
            errs.save("Unknown field %s." % goquote(key))
            continue
        want, path = fields[name], name
        if isinstance(want, tuple):
            want, path = want
        if val is None:
            out[name] = None
            continue
        if want == STR:
            if isinstance(val, str) and not isinstance(val, _Num):
                out[name] = _fix(val)
                continue
            errs.save("Field %s must be a string, not %s." % (goquote(path), _kind(val)))
        else:
            if isinstance(val, _Num):
                n = parse_int64(val)
                if n is not None:
                    out[name] = n
                    continue
                errs.save("Field %s must be an integer, not number %s." % (goquote(path), val))
                continue
            errs.save("Field %s must be an integer, not %s." % (goquote(path), _kind(val)))
    return out


def decode(data, fields, many):
    """Decodes a request body into a dict (many: a list of dicts, None for
    null) of the fields given, with httpapi's rules and messages."""
    if not data.strip(b" \t\r\n"):
        raise invalid("The body is empty; send a JSON value.")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("The body is not valid UTF-8.") from None
    try:
        end = _scan(data)
    except _Syntax as e:
        raise invalid("The body is not valid JSON at offset %d: %s." % (e.offset, e.msg)) from None
    except EOFError:
        raise invalid("The body ends in the middle of its JSON value.") from None
    value = json.loads(data[:end].decode("utf-8"), object_pairs_hook=_Obj, parse_int=_Num, parse_float=_Num)
    errs = _Errors()
    if many:
        out = None
        if value is None:
            out = []
        elif isinstance(value, _Obj) or not isinstance(value, list):
            errs.save("The body must be an array, not %s." % _kind(value))
        else:
            out = [_struct(item, fields, errs, "Each item") for item in value]
    else:
        out = _struct(value, fields, errs, "The body")
    if errs.first is not None:
        raise invalid(errs.first)
    rest = len(data) - len(data[end:].lstrip(b" \t\r\n"))
    if rest < len(data):
        raise invalid("The body has data after its JSON value at offset %d." % rest)
    return out


# --- validation (validate.go) ----------------------------------------------

def _visible(s):
    return any(unicodedata.category(ch)[0] in "LMNPS" for ch in s)


def _text(field, s, lo, hi):
    if "\x00" in s:
        raise invalid("The %s must not contain NUL characters." % field)
    n = len(s)
    if n < lo or n > hi:
        raise invalid("The %s must have %d to %d characters, it has %d." % (field, lo, hi, n))


def _name(s):
    _text("name", s, 1, MAX_NAME_LEN)
    if not _visible(s):
        raise invalid("Name must not be blank.")


def _email(s):
    _text("email", s, 3, MAX_EMAIL_LEN)
    if any(unicodedata.category(ch)[0] not in "LMNPS" for ch in s):
        raise invalid("Email %s must not contain spaces, line breaks or other invisible characters." % goquote(s))
    at = s.find("@")
    if at <= 0 or at == len(s) - 1 or s.count("@") != 1:
        raise invalid("Email %s must hold exactly one @ with text on both sides." % goquote(s))


def _age(n):
    if n < 0 or n > MAX_AGE:
        raise invalid("Age %d is out of range: give 0 to %d." % (n, MAX_AGE))


def user_create(d):
    """Validates a decoded UserCreate; returns (name, email, age)."""
    name, email, age = d.get("name") or "", d.get("email") or "", d.get("age") or 0
    _name(name)
    _email(email)
    _age(age)
    return name, email, age


def user_patch(d):
    """Validates a decoded UserPatch; returns (name, email, age), None
    where the patch leaves a field alone."""
    name, email, age = d.get("name"), d.get("email"), d.get("age")
    if name is None and email is None and age is None:
        raise invalid("Nothing to update: set at least one of name, email, age.")
    if name is not None:
        _name(name)
    if email is not None:
        _email(email)
    if age is not None:
        _age(age)
    return name, email, age


def _batch(n):
    if n == 0:
        raise invalid("The batch is empty: give 1 to %d items." % MAX_BATCH)
    if n > MAX_BATCH:
        raise invalid("The batch has %d items, at most %d allowed." % (n, MAX_BATCH))


def user_creates(items):
    _batch(len(items))
    out = []
    for i, d in enumerate(items):
        try:
            out.append(user_create(d))
        except APIError as e:
            raise invalid("Item %d: %s" % (i, e.message)) from None
    return out


def user_updates(items):
    """Validates a bulk update; returns (id, name, email, age) tuples."""
    _batch(len(items))
    seen = set()
    out = []
    for i, d in enumerate(items):
        uid = d.get("id") or 0
        if uid <= 0:
            raise invalid("Item %d: invalid id %d, ids are positive integers." % (i, uid))
        if uid in seen:
            raise invalid("Item %d: id %d is given twice." % (i, uid))
        seen.add(uid)
        try:
            out.append((uid,) + user_patch(d))
        except APIError as e:
            raise invalid("Item %d: %s" % (i, e.message)) from None
    return out


def post_create(d):
    """Validates a decoded PostCreate; returns (title, body)."""
    title, body = d.get("title") or "", d.get("body") or ""
    _text("title", title, 1, MAX_TITLE_LEN)
    if not _visible(title):
        raise invalid("Title must not be blank.")
    _text("body", body, 0, MAX_BODY_LEN)
    return title, body


# --- the body's envelope (decodeBody) --------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _media_type(ct):
    """mime.ParseMediaType, as far as the API needs it: the lowercased
    media type and parameters, or None when ct does not parse."""
    mt, _, rest = ct.partition(";")
    mt = mt.strip().lower()
    parts = mt.split("/")
    if not mt or len(parts) > 2 or not all(_TOKEN.fullmatch(p) for p in parts):
        return None
    params = {}
    rest = rest.strip()
    while rest:
        m = re.match(r'\s*([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:([!#$%&\'*+\-.^_`|~0-9A-Za-z]+)|"((?:[^"\\]|\\.)*)")\s*(?:;|$)', rest)
        if not m:
            return None
        key = m.group(1).lower()
        if key in params:
            return None
        params[key] = m.group(2) if m.group(2) is not None else re.sub(r"\\(.)", r"\1", m.group(3))
        rest = rest[m.end():].strip()
    return mt, params


def check_envelope(content_type, content_encoding):
    """The checks decodeBody makes before it reads the body."""
    if not content_type:
        raise APIError("unsupported", "Content-Type is missing; send application/json.")
    parsed = _media_type(content_type)
    if parsed is None or parsed[0] != "application/json":
        raise APIError("unsupported", "Content-Type %s is not supported; send application/json." % goquote(truncate(content_type, 80)))
    cs = parsed[1].get("charset")
    if cs is not None and cs.lower() != "utf-8":
        raise APIError("unsupported", "Charset %s is not supported; send UTF-8." % goquote(truncate(cs, 40)))
    if content_encoding:
        raise APIError("unsupported", "Content-Encoding %s is not supported; send the body unencoded." % goquote(truncate(content_encoding, 40)))


def too_large():
    return APIError("too_large", "The body is larger than %d bytes." % MAX_BODY_BYTES)


def os_env(name, default):
    """An environment variable, or default when unset or empty."""
    return os.environ.get(name) or default
