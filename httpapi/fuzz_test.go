package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
)

// decodeTargets are the types request bodies are decoded into.
var decodeTargets = []struct {
	name string
	new  func() any // a pointer to a zero value
}{
	{"UserCreate", func() any { return new(crudbench.UserCreate) }},
	{"UserPatch", func() any { return new(crudbench.UserPatch) }},
	{"[]UserCreate", func() any { return new([]crudbench.UserCreate) }},
	{"[]UserUpdate", func() any { return new([]crudbench.UserUpdate) }},
	{"PostCreate", func() any { return new(crudbench.PostCreate) }},
}

// trailingAt matches the message that reports data after the JSON value.
var trailingAt = regexp.MustCompile(`^The body has data after its JSON value at offset (\d+)\.$`)

// FuzzDecodeJSON checks, for every body type: no panic; every error is a
// bare *crudbench.Error with code invalid and a readable message; a
// reported offset of trailing data points at that data; and success means
// the input was valid UTF-8 holding exactly one JSON value, and the value
// survives a round trip through JSON.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Ada","email":"ada@example.com","age":36}`,
		`{"name":"a\u0000b","email":"x@example.com"}`,
		`{"name":"a\ud800b","email":"x@example.com"}`,
		`{"age":null}`,
		`[{"id":1,"name":"X"},{"id":2,"age":3}]`,
		`[{"name":"X","email":"x@example.com"}]`,
		`{"title":"T","body":"B"}`,
		`{"name":"X"} {}`,
		`{"name":"X"}` + "\n\t ",
		`{"name":"X","admin":true}`,
		`{"age":1e3}`,
		`{"age":99999999999999999999}`,
		`[{"id":"1"}]`,
		`{"name":`,
		"{\"name\":\"\xff\"}",
		"",
		" ",
		"null",
		`[]`,
		`"x"`,
		`[[[[[[[[[[]]]]]]]]]]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, target := range decodeTargets {
			v := target.new()
			err := httpapi.DecodeJSON(data, v)
			if err != nil {
				checkInvalid(t, target.name, err)
				if m := trailingAt.FindStringSubmatch(err.Error()[strings.Index(err.Error(), "message=")+len("message="):]); m != nil {
					off, _ := strconv.Atoi(m[1])
					if off <= 0 || off >= len(data) || strings.ContainsRune(" \t\r\n", rune(data[off])) || !json.Valid(data[:off]) {
						t.Errorf("%s: %q: trailing data reported at offset %d, which does not start the data after a JSON value", target.name, data, off)
					}
				}
				continue
			}
			if !utf8.Valid(data) {
				t.Errorf("%s: accepted invalid UTF-8 %q", target.name, data)
			}
			if !json.Valid(data) {
				t.Errorf("%s: accepted %q, which is not exactly one JSON value", target.name, data)
			}
			enc, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: re-encoding %#v: %v", target.name, v, err)
			}
			again := target.new()
			if err := httpapi.DecodeJSON(enc, again); err != nil {
				t.Errorf("%s: %q decoded, but its re-encoding %s does not: %v", target.name, data, enc, err)
			} else if !reflect.DeepEqual(v, again) {
				t.Errorf("%s: round trip of %q changed the value: %#v, then %#v", target.name, data, v, again)
			}
		}
	})
}

// FuzzParseID checks ParseID against its contract: it accepts exactly the
// decimal integers in [1, MaxInt64] (sign and leading zeros allowed), a
// parsed id printed canonically parses back to itself, and a rejection
// quotes (a prefix of) the input, cut between whole characters.
func FuzzParseID(f *testing.F) {
	for _, seed := range []struct {
		s string
		n int64
	}{
		{"1", 1}, {"42", 0}, {"9223372036854775807", -1}, {"9223372036854775808", 1 << 62},
		{"0", -9223372036854775808}, {"-1", 7}, {"+1", 0}, {"007", 0}, {"", 0}, {" 1", 0},
		{"1\x00", 0}, {"0x1", 0}, {"١", 0}, {strings.Repeat("1", 39) + "ééé", 0}, {"1e3", 1000},
	} {
		f.Add(seed.s, seed.n)
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		// Any int64 printed in decimal: accepted exactly when positive.
		id, err := httpapi.ParseID(strconv.FormatInt(n, 10))
		if n > 0 && (err != nil || id != n) {
			t.Errorf("ParseID(%d) = %d, %v; want %d", n, id, err, n)
		} else if n <= 0 && err == nil {
			t.Errorf("ParseID(%d) = %d, accepted a non-positive id", n, id)
		}

		id, err = httpapi.ParseID(s)
		if err != nil {
			checkInvalid(t, "ParseID", err)
			if id != 0 {
				t.Errorf("ParseID(%q) = %d with an error, want 0", s, id)
			}
			checkQuotedPrefix(t, s, err)
			return
		}
		if id <= 0 {
			t.Fatalf("ParseID(%q) = %d, want a positive id", s, id)
		}
		canonical := strconv.FormatInt(id, 10)
		if back, err := httpapi.ParseID(canonical); err != nil || back != id {
			t.Errorf("ParseID(%q) = %d, but ParseID(%q) = %d, %v", s, id, canonical, back, err)
		}
		if digits := strings.TrimLeft(strings.TrimPrefix(s, "+"), "0"); digits != canonical {
			t.Errorf("ParseID(%q) = %d: the input is not the id with an optional + and leading zeros", s, id)
		}
	})
}

// FuzzParseIDs checks ParseIDs: an accepted list has 1 to MaxBatch
// distinct positive ids, one per comma-separated part, each what ParseID
// makes of its part, and printing it back parses to the same list; a
// rejected one returns no ids and an invalid error.
func FuzzParseIDs(f *testing.F) {
	for _, seed := range []string{
		"1", "1,2,3", "3,999,1", "1,2,1", "1,,2", "1,2,", ",", "", "0", "-1,2", "+1,01",
		"9223372036854775807,1", "9223372036854775808", "1;DROP TABLE users", "1, 2",
		strings.Repeat("7,", 999) + "8", strings.Repeat("1,", 1000) + "1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := httpapi.ParseIDs(s)
		if err != nil {
			checkInvalid(t, "ParseIDs", err)
			if ids != nil {
				t.Errorf("ParseIDs(%.80q) returned %d ids with its error", s, len(ids))
			}
			return
		}
		parts := strings.Split(s, ",")
		if len(ids) != len(parts) || len(ids) < 1 || len(ids) > crudbench.MaxBatch {
			t.Fatalf("ParseIDs(%.80q) gave %d ids for %d parts (allowed 1 to %d)", s, len(ids), len(parts), crudbench.MaxBatch)
		}
		seen := make(map[int64]bool, len(ids))
		canonical := make([]string, len(ids))
		for i, id := range ids {
			if one, err := httpapi.ParseID(parts[i]); err != nil || one != id {
				t.Errorf("ParseIDs(%.80q)[%d] = %d, but ParseID(%q) = %d, %v", s, i, id, parts[i], one, err)
			}
			if seen[id] {
				t.Errorf("ParseIDs(%.80q) accepted id %d twice", s, id)
			}
			seen[id] = true
			canonical[i] = strconv.FormatInt(id, 10)
		}
		again, err := httpapi.ParseIDs(strings.Join(canonical, ","))
		if err != nil || !reflect.DeepEqual(again, ids) {
			t.Errorf("ParseIDs(%.80q) gave %d ids, but its canonical form parses to %d ids, %v", s, len(ids), len(again), err)
		}
	})
}

// checkInvalid fails t unless err is a bare *crudbench.Error with code
// invalid and a non-empty, valid UTF-8 message.
func checkInvalid(t *testing.T, what string, err error) {
	t.Helper()
	e, ok := err.(*crudbench.Error)
	if !ok {
		t.Fatalf("%s: error %v is a %T, want *crudbench.Error", what, err, err)
	}
	if e.Code != crudbench.EINVALID {
		t.Errorf("%s: error code %q, want %q (message %q)", what, e.Code, crudbench.EINVALID, e.Message)
	}
	if e.Message == "" || !utf8.ValidString(e.Message) {
		t.Errorf("%s: message %q is empty or not valid UTF-8", what, e.Message)
	}
}

// checkQuotedPrefix checks that the message of ParseID's error quotes s, or
// a prefix of s followed by an ellipsis that, when s is valid UTF-8, ends
// on a character boundary.
func checkQuotedPrefix(t *testing.T, s string, err error) {
	t.Helper()
	msg := err.(*crudbench.Error).Message
	rest, ok := strings.CutPrefix(msg, "Invalid id ")
	quoted, _, found := strings.Cut(rest, ": ids are")
	if !ok || !found {
		t.Fatalf("ParseID(%q): message %q is not `Invalid id \"…\": ids are …`", s, msg)
	}
	shown, uerr := strconv.Unquote(quoted)
	if uerr != nil {
		t.Fatalf("ParseID(%q): message %q: quoted input does not unquote: %v", s, msg, uerr)
	}
	if shown == s {
		return
	}
	prefix, cut := strings.CutSuffix(shown, "…")
	if !cut || !strings.HasPrefix(s, prefix) || len(prefix) == len(s) {
		t.Fatalf("ParseID(%q): message shows %q, neither the input nor a shortened prefix of it", s, shown)
	}
	if utf8.ValidString(s) && !utf8.ValidString(prefix) {
		t.Errorf("ParseID(%q): message shows %q, cutting a character in two", s, shown)
	}
	if len(prefix) > 40 || len(prefix) < 40-utf8.UTFMax {
		t.Errorf("ParseID(%q): message shows %d bytes of the input, want about 40", s, len(prefix))
	}
}

// TestDecodeJSONTrailingOffset pins the offsets the trailing-data message
// reports: where the extra data starts, whatever it is.
func TestDecodeJSONTrailingOffset(t *testing.T) {
	for _, c := range []struct {
		body string
		want int
	}{
		{`{"name":"X"}{"name":"Y"}`, 12},
		{`{"name":"X"} {}`, 13},
		{`{"name":"X"}xyz`, 12},
		{"{\"name\":\"X\"}\n\t \"a long string\"", 15},
		{`{}]`, 2},
	} {
		err := httpapi.DecodeJSON([]byte(c.body), new(crudbench.UserPatch))
		want := fmt.Sprintf("The body has data after its JSON value at offset %d.", c.want)
		if got := crudbench.ErrorMessage(err); got != want {
			t.Errorf("DecodeJSON(%q): %q, want %q", c.body, got, want)
		}
	}
}

// TestDecodeJSONTypeMessages pins who a type error blames: the body, an
// item of it, or a field.
func TestDecodeJSONTypeMessages(t *testing.T) {
	for _, c := range []struct {
		body string
		v    any
		want string
	}{
		{`[]`, new(crudbench.UserCreate), "The body must be an object, not array."},
		{`{}`, new([]crudbench.UserCreate), "The body must be an array, not object."},
		{`["x"]`, new([]crudbench.UserCreate), "Each item must be an object, not string."},
		{`[1]`, new([]crudbench.UserUpdate), "Each item must be an object, not number."},
		{`{"age":"x"}`, new(crudbench.UserPatch), `Field "age" must be an integer, not string.`},
		{`[{"id":1.5}]`, new([]crudbench.UserUpdate), `Field "id" must be an integer, not number 1.5.`},
	} {
		err := httpapi.DecodeJSON([]byte(c.body), c.v)
		if got := crudbench.ErrorMessage(err); got != c.want {
			t.Errorf("DecodeJSON(%s into %T): %q, want %q", c.body, c.v, got, c.want)
		}
	}
	if err := httpapi.DecodeJSON(bytes.Repeat([]byte(" "), 3), new(crudbench.UserPatch)); crudbench.ErrorMessage(err) != "The body is empty; send a JSON value." {
		t.Errorf("blank body: %v", err)
	}
}
