package crudbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

var update = flag.Bool("update", false, "rewrite testdata/conformance golden files from the pgx arm")

// conformanceCase is one row of the contract: a request, its expected
// status, and a golden file holding the body and the database afterwards.
type conformanceCase struct {
	name   string
	setup  []apitest.Request // run first; each must succeed
	req    apitest.Request
	status int
	// plans: run the case on every layout of the fixture, not only as
	// loaded; each must give the golden answer.
	plans bool
	// sql runs after the fixture and before setup: rows written outside
	// the API.
	sql []string
}

// layouts are physical states of the fixture that hold the same rows and
// must not change any answer: as loaded, after ANALYZE (the planner then
// knows the table is small and picks other plans), and with the heap in
// reverse id order (rows 2 and 1 rewritten, so a scan meets 3, 2, 1).
var layouts = []struct {
	name string
	sql  []string
}{
	{"as-loaded", nil},
	{"analyzed", []string{"ANALYZE users"}},
	{"reverse-heap", []string{"UPDATE users SET age = age WHERE id = 2", "UPDATE users SET age = age WHERE id = 1", "ANALYZE users"}},
}

func users(n int, prefix string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"name":"%s %d","email":"%s%d@example.com","age":%d}`, prefix, i, prefix, i, i%100)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func idList(from, n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(from + i)
	}
	return strings.Join(ids, ",")
}

// bodyOfSize returns prefix + x… + suffix, exactly size bytes long.
func bodyOfSize(prefix, suffix string, size int) string {
	return prefix + strings.Repeat("x", size-len(prefix)-len(suffix)) + suffix
}

// updateItems returns a bulk update of ids 1 to n, each setting age 1.
func updateItems(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"id":%d,"age":1}`, i+1)
	}
	return "[" + strings.Join(items, ",") + "]"
}

var conformanceCases = []conformanceCase{
	// POST /users
	{name: "create/ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Dee","email":"dee@example.com","age":29}`}, status: 201},
	{name: "create/age-defaults-to-0", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Eve","email":"eve@example.com"}`}, status: 201},
	{name: "create/sql-metacharacters-verbatim", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Robert'); DROP TABLE users;--","email":"o'hara\"%_\\@example.com"}`}, status: 201},
	{name: "create/unicode", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Zoë 名前 🚀","email":"zoë@例え.jp","age":150}`}, status: 201},
	{name: "create/email-taken", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Ada2","email":"ada@example.com"}`}, status: 409},
	{name: "create/empty-name", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"","email":"x@example.com"}`}, status: 400},
	{name: "create/blank-name", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"   ","email":"x@example.com"}`}, status: 400},
	{name: "create/name-too-long", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"` + strings.Repeat("n", 101) + `","email":"x@example.com"}`}, status: 400},
	{name: "create/email-without-at", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x.example.com"}`}, status: 400},
	{name: "create/email-two-ats", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@y@example.com"}`}, status: 400},
	{name: "create/email-too-long", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@` + strings.Repeat("e", 253) + `"}`}, status: 400},
	{name: "create/age-negative", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","age":-1}`}, status: 400},
	{name: "create/age-over-150", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","age":151}`}, status: 400},
	{name: "create/nul-in-name", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"a\u0000b","email":"x@example.com"}`}, status: 400},
	{name: "create/unknown-field", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","admin":true}`}, status: 400},
	{name: "create/wrong-type", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","age":"old"}`}, status: 400},
	{name: "create/trailing-data", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com"} {}`}, status: 400},
	{name: "create/truncated-json", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":`}, status: 400},
	{name: "create/empty-body", req: apitest.Request{Method: "POST", Path: "/users", Body: ``, ContentType: "application/json"}, status: 400},
	{name: "create/not-json-content-type", req: apitest.Request{Method: "POST", Path: "/users", Body: `name=X`, ContentType: "application/x-www-form-urlencoded"}, status: 415},
	{name: "create/body-over-1MiB", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"` + strings.Repeat("x", 1<<20) + `","email":"x@example.com"}`}, status: 413},
	{name: "create/invalid-utf8", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"\xff\xfe\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/malformed-json-single-quotes", req: apitest.Request{Method: "POST", Path: "/users", Body: `{'name':'X','email':'x@example.com'}`}, status: 400},
	{name: "create/malformed-json-trailing-comma", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com",}`}, status: 400},
	{name: "create/raw-control-char-in-string", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"a\x01b\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/raw-nul-byte-in-json", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"a\x00b\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/name-not-string", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":42,"email":"x@example.com"}`}, status: 400},
	{name: "create/age-fraction", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","age":1.5}`}, status: 400},
	{name: "create/age-beyond-int64", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","age":99999999999999999999}`}, status: 400},
	{name: "create/body-is-array", req: apitest.Request{Method: "POST", Path: "/users", Body: `[{"name":"X","email":"x@example.com"}]`}, status: 400},
	{name: "create/body-is-null", req: apitest.Request{Method: "POST", Path: "/users", Body: `null`}, status: 400},
	{name: "create/id-in-body", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"id":99,"name":"X","email":"x@example.com"}`}, status: 400},
	{name: "create/created-at-in-body", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","created_at":"2000-01-01T00:00:00Z"}`}, status: 400},
	{name: "create/trailing-garbage", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com"}xyz`}, status: 400},
	{name: "create/trailing-whitespace-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"W\",\"email\":\"w@example.com\"}\n\t \r\n"}, status: 201},
	{name: "create/whitespace-only-body", req: apitest.Request{Method: "POST", Path: "/users", Body: " \n\t ", ContentType: "application/json"}, status: 400},
	{name: "create/body-exactly-1MiB-is-read", req: apitest.Request{Method: "POST", Path: "/users", Body: bodyOfSize(`{"name":"`, `","email":"x@example.com"}`, 1<<20)}, status: 400},
	{name: "create/body-1MiB-plus-1-byte", req: apitest.Request{Method: "POST", Path: "/users", Body: bodyOfSize(`{"name":"`, `","email":"x@example.com"}`, 1<<20+1)}, status: 413},
	{name: "create/email-nothing-before-at", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"@example.com"}`}, status: 400},
	{name: "create/email-nothing-after-at", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"xy@"}`}, status: 400},
	{name: "create/email-too-short", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"a@"}`}, status: 400},
	{name: "create/email-254-chars-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Long","email":"x@` + strings.Repeat("e", 252) + `"}`}, status: 201},
	{name: "create/name-100-multibyte-chars-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"` + strings.Repeat("é", 100) + `","email":"e@example.com"}`}, status: 201},
	{name: "create/name-101-multibyte-chars", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"` + strings.Repeat("é", 101) + `","email":"e@example.com"}`}, status: 400},
	{name: "create/overlong-utf8", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"\xc0\xaf\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/surrogate-half-utf8-bytes", req: apitest.Request{Method: "POST", Path: "/users", Body: "{\"name\":\"\xed\xa0\x80\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/lone-surrogate-escape-becomes-U+FFFD", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"a\ud800b","email":"s@example.com"}`}, status: 201},
	{name: "create/nul-in-email", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x\u0000@example.com"}`}, status: 400},
	{name: "create/missing-content-type", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com"}`, ContentType: apitest.NoContentType}, status: 415},
	{name: "create/content-type-json-patch", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com"}`, ContentType: "application/json-patch+json"}, status: 415},
	{name: "create/content-type-malformed", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com"}`, ContentType: "application/json; charset"}, status: 415},
	{name: "create/content-type-with-charset-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Cs","email":"cs@example.com"}`, ContentType: "application/json; charset=utf-8"}, status: 201},
	{name: "create/content-type-case-insensitive-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Ci","email":"ci@example.com"}`, ContentType: "Application/JSON"}, status: 201},
	{name: "create/charset-latin1", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"L","email":"l@example.com"}`, ContentType: "application/json; charset=iso-8859-1"}, status: 415},
	{name: "create/charset-utf8-upper-ok", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"U","email":"u@example.com"}`, ContentType: "application/json; charset=UTF-8"}, status: 201},
	{name: "create/content-encoding-gzip", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"G","email":"g@example.com"}`, Encoding: "gzip"}, status: 415},
	{name: "create/content-encoding-identity", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"I","email":"i@example.com"}`, Encoding: "identity"}, status: 415},
	{name: "create/name-only-invisible", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"\u200b\u200d\u2060","email":"x@example.com"}`}, status: 400},
	{name: "create/name-only-control", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"\u0007\u001b\n","email":"x@example.com"}`}, status: 400},
	{name: "create/name-nbsp-only", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"\u00a0\u3000","email":"x@example.com"}`}, status: 400},
	{name: "create/email-with-space", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x y@example.com"}`}, status: 400},
	{name: "create/email-with-line-break", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@exa\r\nmple.com"}`}, status: 400},
	{name: "create/email-with-zero-width-space", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x\u200b@example.com"}`}, status: 400},
	{name: "create/email-case-differs-is-another-email", req: apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"Ada3","email":"ADA@example.com"}`}, status: 201},

	// GET /users/{id}
	{name: "read/ok", req: apitest.Request{Method: "GET", Path: "/users/2"}, status: 200},
	{name: "read/missing", req: apitest.Request{Method: "GET", Path: "/users/999"}, status: 404},
	{name: "read/non-numeric-id", req: apitest.Request{Method: "GET", Path: "/users/abc"}, status: 400},
	{name: "read/zero-id", req: apitest.Request{Method: "GET", Path: "/users/0"}, status: 400},
	{name: "read/negative-id", req: apitest.Request{Method: "GET", Path: "/users/-1"}, status: 400},
	{name: "read/id-beyond-int64", req: apitest.Request{Method: "GET", Path: "/users/9223372036854775808"}, status: 400},
	{name: "read/id-max-int64-missing", req: apitest.Request{Method: "GET", Path: "/users/9223372036854775807"}, status: 404},
	{name: "read/id-with-space", req: apitest.Request{Method: "GET", Path: "/users/%201"}, status: 400},
	{name: "read/id-with-nul", req: apitest.Request{Method: "GET", Path: "/users/1%00"}, status: 400},
	{name: "read/id-hex", req: apitest.Request{Method: "GET", Path: "/users/0x1"}, status: 400},
	{name: "read/id-non-ascii-digit", req: apitest.Request{Method: "GET", Path: "/users/%D9%A1"}, status: 400},
	{name: "read/id-50-digits-message-truncated", req: apitest.Request{Method: "GET", Path: "/users/" + strings.Repeat("12345", 10)}, status: 400},
	{name: "read/id-long-non-ascii-truncated-whole-chars", req: apitest.Request{Method: "GET", Path: "/users/" + strings.Repeat("1", 39) + strings.Repeat("%C3%A9", 5)}, status: 400},
	{name: "read/id-sql-injection", req: apitest.Request{Method: "GET", Path: "/users/1%20OR%201=1"}, status: 400},
	{name: "read/with-posts", req: apitest.Request{Method: "GET", Path: "/users/1?include=posts"}, status: 200},
	{name: "read/with-no-posts", req: apitest.Request{Method: "GET", Path: "/users/3?include=posts"}, status: 200},
	{name: "read/with-posts-missing", req: apitest.Request{Method: "GET", Path: "/users/999?include=posts"}, status: 404},
	{name: "read/include-unknown", req: apitest.Request{Method: "GET", Path: "/users/1?include=friends"}, status: 400},
	{name: "read/include-100KB-message-truncated", req: apitest.Request{Method: "GET", Path: "/users/1?include=" + strings.Repeat("p", 100_000)}, status: 400},
	{name: "read/query-bad-escape", req: apitest.Request{Method: "GET", Path: "/users/1?include=%zz"}, status: 400},

	// PATCH /users/{id}
	{name: "update/name", req: apitest.Request{Method: "PATCH", Path: "/users/2", Body: `{"name":"Robert"}`}, status: 200},
	{name: "update/all-fields", req: apitest.Request{Method: "PATCH", Path: "/users/2", Body: `{"name":"Rob","email":"rob@example.com","age":42}`}, status: 200},
	{name: "update/age-to-zero", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"age":0}`}, status: 200},
	{name: "update/own-email-again", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":"ada@example.com"}`}, status: 200},
	{name: "update/email-taken", req: apitest.Request{Method: "PATCH", Path: "/users/2", Body: `{"email":"ada@example.com"}`}, status: 409},
	{name: "update/missing", req: apitest.Request{Method: "PATCH", Path: "/users/999", Body: `{"name":"X"}`}, status: 404},
	{name: "update/empty-patch", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{}`}, status: 400},
	{name: "update/invalid-email", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":"nope"}`}, status: 400},
	{name: "update/bad-id", req: apitest.Request{Method: "PATCH", Path: "/users/x1", Body: `{"name":"X"}`}, status: 400},
	{name: "update/zero-id", req: apitest.Request{Method: "PATCH", Path: "/users/0", Body: `{"name":"X"}`}, status: 400},
	{name: "update/malformed-json-unquoted-key", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{name:"X"}`}, status: 400},
	{name: "update/truncated-json", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"name":"X`}, status: 400},
	{name: "update/email-not-string", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":["a@example.com"]}`}, status: 400},
	{name: "update/age-null-is-no-change", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"age":null}`}, status: 400},
	{name: "update/unknown-field", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"nickname":"X"}`}, status: 400},
	{name: "update/id-in-body", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"id":5,"name":"X"}`}, status: 400},
	{name: "update/trailing-second-object", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"name":"X"}{"name":"Y"}`}, status: 400},
	{name: "update/empty-body", req: apitest.Request{Method: "PATCH", Path: "/users/1", ContentType: "application/json"}, status: 400},
	{name: "update/body-over-1MiB", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: bodyOfSize(`{"name":"`, `"}`, 1<<20+100)}, status: 413},
	{name: "update/name-too-long", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"name":"` + strings.Repeat("n", 101) + `"}`}, status: 400},
	{name: "update/blank-name", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"name":"\t \n"}`}, status: 400},
	{name: "update/email-with-tab", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":"a\tb@example.com"}`}, status: 400},
	{name: "update/invalid-utf8", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: "{\"name\":\"ok\xe2\x28\xa1\"}"}, status: 400},
	{name: "update/nul-in-email", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":"ada\u0000@example.com"}`}, status: 400},
	{name: "update/text-plain", req: apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"name":"X"}`, ContentType: "text/plain"}, status: 415},
	{name: "update/sql-metacharacters-verbatim", req: apitest.Request{Method: "PATCH", Path: "/users/2", Body: `{"name":"x'; UPDATE users SET age = 0; --","email":"b\\'--@example.com"}`}, status: 200},

	// DELETE /users/{id}
	{name: "delete/ok-cascades-posts", req: apitest.Request{Method: "DELETE", Path: "/users/1"}, status: 204},
	{name: "delete/missing", req: apitest.Request{Method: "DELETE", Path: "/users/999"}, status: 404},
	{name: "delete/bad-id", req: apitest.Request{Method: "DELETE", Path: "/users/1.5"}, status: 400},
	{name: "delete/negative-id", req: apitest.Request{Method: "DELETE", Path: "/users/-3"}, status: 400},
	{name: "delete/id-beyond-int64", req: apitest.Request{Method: "DELETE", Path: "/users/99999999999999999999"}, status: 400},
	{name: "delete/id-sql-injection", req: apitest.Request{Method: "DELETE", Path: "/users/1%3B%20DROP%20TABLE%20users"}, status: 400},
	{name: "delete/twice", setup: []apitest.Request{{Method: "DELETE", Path: "/users/3"}}, req: apitest.Request{Method: "DELETE", Path: "/users/3"}, status: 404},

	// GET /users
	{name: "list/default", req: apitest.Request{Method: "GET", Path: "/users"}, status: 200},
	{name: "list/page-with-next", req: apitest.Request{Method: "GET", Path: "/users?limit=2"}, status: 200},
	{name: "list/after", req: apitest.Request{Method: "GET", Path: "/users?after=2&limit=2"}, status: 200},
	{name: "list/after-end", req: apitest.Request{Method: "GET", Path: "/users?after=3"}, status: 200},
	{name: "list/limit-zero", req: apitest.Request{Method: "GET", Path: "/users?limit=0"}, status: 400},
	{name: "list/limit-too-big", req: apitest.Request{Method: "GET", Path: "/users?limit=1001"}, status: 400},
	{name: "list/limit-not-number", req: apitest.Request{Method: "GET", Path: "/users?limit=ten"}, status: 400},
	{name: "list/after-negative", req: apitest.Request{Method: "GET", Path: "/users?after=-5"}, status: 400},
	{name: "list/limit-1000-ok", req: apitest.Request{Method: "GET", Path: "/users?limit=1000"}, status: 200},
	{name: "list/limit-negative", req: apitest.Request{Method: "GET", Path: "/users?limit=-1"}, status: 400},
	{name: "list/limit-beyond-int64", req: apitest.Request{Method: "GET", Path: "/users?limit=99999999999999999999"}, status: 400},
	{name: "list/limit-fraction", req: apitest.Request{Method: "GET", Path: "/users?limit=1.5"}, status: 400},
	{name: "list/after-not-number", req: apitest.Request{Method: "GET", Path: "/users?after=abc"}, status: 400},
	{name: "list/after-beyond-int64", req: apitest.Request{Method: "GET", Path: "/users?after=9223372036854775808"}, status: 400},
	{name: "list/after-sql-injection", req: apitest.Request{Method: "GET", Path: "/users?after=0%20OR%201%3D1"}, status: 400},

	// POST /users/bulk
	{name: "bulk-create/ok-input-order", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"Zed","email":"zed@example.com"},{"name":"Amy","email":"amy@example.com","age":7}]`}, status: 201},
	{name: "bulk-create/1000", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: users(1000, "u")}, status: 201},
	{name: "bulk-create/1001-too-many", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: users(1001, "u")}, status: 400},
	{name: "bulk-create/empty", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[]`}, status: 400},
	{name: "bulk-create/not-an-array", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `{"name":"X","email":"x@example.com"}`}, status: 400},
	{name: "bulk-create/one-invalid-writes-nothing", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"Ok","email":"ok@example.com"},{"name":"","email":"bad@example.com"}]`}, status: 400},
	{name: "bulk-create/duplicate-in-batch-writes-nothing", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"A","email":"same@example.com"},{"name":"B","email":"same@example.com"}]`}, status: 409},
	{name: "bulk-create/taken-writes-nothing", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"New","email":"new@example.com"},{"name":"B","email":"bob@example.com"}]`}, status: 409},
	{name: "bulk-create/truncated-json", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"X","email":"x@example.com"},`}, status: 400},
	{name: "bulk-create/items-not-objects", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `["x"]`}, status: 400},
	{name: "bulk-create/trailing-bracket", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"X","email":"x@example.com"}]]`}, status: 400},
	{name: "bulk-create/unknown-field-in-item", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"X","email":"x@example.com"},{"name":"Y","email":"y@example.com","id":7}]`}, status: 400},
	{name: "bulk-create/empty-body", req: apitest.Request{Method: "POST", Path: "/users/bulk", ContentType: "application/json"}, status: 400},
	{name: "bulk-create/null", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `null`}, status: 400},
	{name: "bulk-create/body-over-1MiB", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: bodyOfSize(`[{"name":"`, `","email":"x@example.com"}]`, 1<<20+100)}, status: 413},
	{name: "bulk-create/nul-in-item-writes-nothing", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"Ok","email":"ok@example.com"},{"name":"N\u0000","email":"n@example.com"}]`}, status: 400},
	{name: "bulk-create/invalid-email-in-item", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"Ok","email":"ok@example.com"},{"name":"Bad","email":"bad"}]`}, status: 400},
	{name: "bulk-create/xml-content-type", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `<users/>`, ContentType: "application/xml"}, status: 415},
	{name: "bulk-create/sql-metacharacters-verbatim", req: apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"$1 $$ ? %s","email":"a%_@example.com"},{"name":"\\x00 ' \" ;","email":"b'@example.com"}]`}, status: 201},

	// GET /users/bulk
	{name: "bulk-read/ok-id-order-skips-missing", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=3,999,1"}, status: 200},
	{name: "bulk-read/none-found", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=500,501"}, status: 200},
	{name: "bulk-read/no-ids", req: apitest.Request{Method: "GET", Path: "/users/bulk"}, status: 400},
	{name: "bulk-read/duplicate-ids", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,2,1"}, status: 400},
	{name: "bulk-read/too-many-ids", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=" + idList(1, 1001)}, status: 400},
	{name: "bulk-read/bad-id", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,two"}, status: 400},
	{name: "bulk-read/empty-id", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,,2"}, status: 400},
	{name: "bulk-read/1000-ids-ok", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=" + idList(1, 1000)}, status: 200},
	{name: "bulk-read/negative-id", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,-2"}, status: 400},
	{name: "bulk-read/zero-id", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=0"}, status: 400},
	{name: "bulk-read/id-beyond-int64", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,9223372036854775808"}, status: 400},
	{name: "bulk-read/trailing-comma", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,2,"}, status: 400},
	{name: "bulk-read/id-with-space", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,%202"}, status: 400},
	{name: "bulk-read/sql-injection", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1)%20OR%20(1%3D1"}, status: 400},
	{name: "bulk-read/semicolon-separator", req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1;ids=2"}, status: 400},

	// PATCH /users/bulk
	{name: "bulk-update/each-own-values", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":3,"age":5},{"id":1,"name":"Ada L.","email":"lovelace@example.com"}]`}, status: 200},
	{name: "bulk-update/missing-id-writes-nothing", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"age":99},{"id":999,"age":1}]`}, status: 404},
	{name: "bulk-update/taken-email-writes-nothing", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":3,"age":77},{"id":2,"email":"ada@example.com"}]`}, status: 409},
	{name: "bulk-update/duplicate-ids", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"age":1},{"id":1,"age":2}]`}, status: 400},
	{name: "bulk-update/empty-patch-item", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1}]`}, status: 400},
	{name: "bulk-update/empty", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[]`}, status: 400},
	{name: "bulk-update/zero-id", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":0,"age":1}]`}, status: 400},
	{name: "bulk-update/negative-id", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"age":1},{"id":-2,"age":1}]`}, status: 400},
	{name: "bulk-update/missing-id-field", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"age":1}]`}, status: 400},
	{name: "bulk-update/id-as-string", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":"1","age":1}]`}, status: 400},
	{name: "bulk-update/id-beyond-int64", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":9223372036854775808,"age":1}]`}, status: 400},
	{name: "bulk-update/unknown-field", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"age":1,"role":"admin"}]`}, status: 400},
	{name: "bulk-update/not-an-array", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `{"id":1,"age":1}`}, status: 400},
	{name: "bulk-update/1001-too-many", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: updateItems(1001)}, status: 400},
	{name: "bulk-update/invalid-utf8-in-item", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: "[{\"id\":1,\"name\":\"\x80\"}]"}, status: 400},
	// Uniqueness is checked once, on the state the batch leaves, whatever
	// order the plan updates rows in; a missing id (404) comes before a
	// taken email (409).
	{name: "bulk-update/email-freed-by-later-item", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":2,"email":"new@example.com"},{"id":1,"email":"bob@example.com"}]`}, status: 200, plans: true},
	{name: "bulk-update/email-freed-by-earlier-item", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"email":"bob@example.com"},{"id":2,"email":"new@example.com"}]`}, status: 200, plans: true},
	{name: "bulk-update/swap-emails", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"email":"bob@example.com"},{"id":2,"email":"ada@example.com"}]`}, status: 200, plans: true},
	{name: "bulk-update/rotate-three-emails", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":3,"email":"ada@example.com"},{"id":1,"email":"bob@example.com"},{"id":2,"email":"cy@example.com"}]`}, status: 200, plans: true},
	{name: "bulk-update/same-email-twice-writes-nothing", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":2,"email":"same@example.com"},{"id":3,"email":"same@example.com"}]`}, status: 409, plans: true},
	{name: "bulk-update/two-taken-emails", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":3,"email":"bob@example.com"},{"id":2,"email":"ada@example.com"}]`}, status: 409, plans: true},
	{name: "bulk-update/taken-by-later-item-writes-nothing", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":3,"email":"bob@example.com"},{"id":1,"age":50}]`}, status: 409, plans: true},
	{name: "bulk-update/missing-id-before-taken-email", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":999,"age":1},{"id":2,"email":"ada@example.com"}]`}, status: 404, plans: true},
	{name: "bulk-update/taken-email-before-missing-id", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":2,"email":"ada@example.com"},{"id":999,"age":1}]`}, status: 404, plans: true},
	{name: "bulk-update/sql-metacharacters-verbatim", req: apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"name":"') WHERE 1=1; --"},{"id":3,"name":"u.id = v.id OR true"}]`}, status: 200},

	// DELETE /users/bulk
	{name: "bulk-delete/ok-counts-found", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=1,3,999"}, status: 200},
	{name: "bulk-delete/none-found", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=998,999"}, status: 200},
	{name: "bulk-delete/no-ids", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids="}, status: 400},
	{name: "bulk-delete/duplicate-ids", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=2,2"}, status: 400},
	{name: "bulk-delete/1000-ids-ok", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=" + idList(1, 1000)}, status: 200},
	{name: "bulk-delete/too-many-ids", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=" + idList(1, 1001)}, status: 400},
	{name: "bulk-delete/zero-id", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=0,1"}, status: 400},
	{name: "bulk-delete/sql-injection", req: apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=1%3BDROP%20TABLE%20users"}, status: 400},

	// POST /users/{id}/posts
	{name: "post/ok", req: apitest.Request{Method: "POST", Path: "/users/3/posts", Body: `{"title":"Hi","body":"First post"}`}, status: 201},
	{name: "post/empty-body-text-ok", req: apitest.Request{Method: "POST", Path: "/users/3/posts", Body: `{"title":"Only a title"}`}, status: 201},
	{name: "post/user-missing", req: apitest.Request{Method: "POST", Path: "/users/999/posts", Body: `{"title":"Hi","body":""}`}, status: 404},
	{name: "post/empty-title", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"","body":"x"}`}, status: 400},
	{name: "post/body-too-long", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T","body":"` + strings.Repeat("b", 10001) + `"}`}, status: 400},
	{name: "post/bad-user-id", req: apitest.Request{Method: "POST", Path: "/users/abc/posts", Body: `{"title":"T"}`}, status: 400},
	{name: "post/negative-user-id", req: apitest.Request{Method: "POST", Path: "/users/-1/posts", Body: `{"title":"T"}`}, status: 400},
	{name: "post/user-id-beyond-int64", req: apitest.Request{Method: "POST", Path: "/users/9223372036854775808/posts", Body: `{"title":"T"}`}, status: 400},
	{name: "post/truncated-json", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T`}, status: 400},
	{name: "post/title-not-string", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":true}`}, status: 400},
	{name: "post/user-id-in-body", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T","user_id":2}`}, status: 400},
	{name: "post/empty-body", req: apitest.Request{Method: "POST", Path: "/users/1/posts", ContentType: "application/json"}, status: 400},
	{name: "post/body-over-1MiB", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: bodyOfSize(`{"title":"T","body":"`, `"}`, 1<<20+100)}, status: 413},
	{name: "post/title-too-long", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"` + strings.Repeat("t", 201) + `"}`}, status: 400},
	{name: "post/invalid-utf8-body", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: "{\"title\":\"T\",\"body\":\"\xf0\x28\x8c\x28\"}"}, status: 400},
	{name: "post/nul-in-title", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T\u0000"}`}, status: 400},
	{name: "post/nul-in-body", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T","body":"a\u0000"}`}, status: 400},
	{name: "post/multipart-content-type", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `--x--`, ContentType: "multipart/form-data; boundary=x"}, status: 415},
	{name: "post/sql-metacharacters-verbatim", req: apitest.Request{Method: "POST", Path: "/users/3/posts", Body: `{"title":"'); DELETE FROM posts; --","body":"$1 $$ \\ % _ \" ;"}`}, status: 201},
	{name: "post/blank-title", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"  \t\n"}`}, status: 400},
	{name: "post/title-only-invisible", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"\u200b"}`}, status: 400},
	{name: "post/content-encoding-br", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T"}`, Encoding: "br"}, status: 415},
	{name: "post/charset-utf16", req: apitest.Request{Method: "POST", Path: "/users/1/posts", Body: `{"title":"T"}`, ContentType: "application/json; charset=utf-16"}, status: 415},

	// Methods and paths outside the contract
	{name: "method/put-user", req: apitest.Request{Method: "PUT", Path: "/users/1", Body: `{}`}, status: 405},
	{name: "method/delete-collection", req: apitest.Request{Method: "DELETE", Path: "/users"}, status: 405},
	{name: "method/patch-collection", req: apitest.Request{Method: "PATCH", Path: "/users", Body: `{}`}, status: 405},
	{name: "method/put-bulk", req: apitest.Request{Method: "PUT", Path: "/users/bulk", Body: `[]`}, status: 405},
	{name: "method/post-user", req: apitest.Request{Method: "POST", Path: "/users/1", Body: `{"name":"X"}`}, status: 405},
	{name: "method/get-posts", req: apitest.Request{Method: "GET", Path: "/users/1/posts"}, status: 405},
	{name: "method/options", req: apitest.Request{Method: "OPTIONS", Path: "/users"}, status: 405},
	{name: "path/unknown", req: apitest.Request{Method: "GET", Path: "/accounts"}, status: 404},
	{name: "path/100KB-message-truncated", req: apitest.Request{Method: "GET", Path: "/" + strings.Repeat("a", 100_000)}, status: 404},
	{name: "method/connect", req: apitest.Request{Method: "CONNECT", Path: "/users"}, status: 405},
	{name: "list/limit-bad-escape", req: apitest.Request{Method: "GET", Path: "/users?limit=%zz"}, status: 400},
	{name: "list/semicolon-separator", req: apitest.Request{Method: "GET", Path: "/users?after=1;limit=2"}, status: 400},
	{name: "list/too-many-parameters", req: apitest.Request{Method: "GET", Path: "/users?" + strings.Repeat("a=1&", 10_000) + "limit=2"}, status: 400},

	// Rows written outside the API, through SQL, whose timestamps JSON
	// cannot represent (RFC 3339 has years 0000 to 9999): a JSON 500
	// naming the row, never a status without a body. PostgreSQL's 1 BC is
	// year 0000 and is answered.
	{name: "unrepresentable/read-year-10000", sql: []string{stampedUser("10000-01-01 00:00:00+00")}, req: apitest.Request{Method: "GET", Path: "/users/4"}, status: 500},
	{name: "unrepresentable/read-44-BC", sql: []string{stampedUser("0044-03-15 12:00:00+00 BC")}, req: apitest.Request{Method: "GET", Path: "/users/4"}, status: 500},
	{name: "unrepresentable/read-infinity", sql: []string{stampedUser("infinity")}, req: apitest.Request{Method: "GET", Path: "/users/4"}, status: 500},
	{name: "unrepresentable/read-1-BC-is-year-0000", sql: []string{stampedUser("0001-06-01 00:00:00+00 BC")}, req: apitest.Request{Method: "GET", Path: "/users/4"}, status: 200},
	{name: "unrepresentable/list-year-10000", sql: []string{stampedUser("10000-01-01 00:00:00+00")}, req: apitest.Request{Method: "GET", Path: "/users"}, status: 500},
	{name: "unrepresentable/bulk-read-44-BC", sql: []string{stampedUser("0044-03-15 12:00:00+00 BC")}, req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,4"}, status: 500},
	{name: "unrepresentable/with-posts-year-10000-post", sql: []string{`INSERT INTO posts (user_id, title, created_at) VALUES (3, 'Far', '10000-01-01 00:00:00+00')`}, req: apitest.Request{Method: "GET", Path: "/users/3?include=posts"}, status: 500},
	{name: "unrepresentable/other-rows-unaffected", sql: []string{stampedUser("10000-01-01 00:00:00+00")}, req: apitest.Request{Method: "GET", Path: "/users/bulk?ids=1,2"}, status: 200},
}

// stampedUser inserts user 4 with both timestamps at ts, through SQL.
func stampedUser(ts string) string {
	return fmt.Sprintf(`INSERT INTO users (id, name, email, created_at, updated_at) OVERRIDING SYSTEM VALUE
	VALUES (4, 'Far', 'far@example.com', '%[1]s', '%[1]s')`, ts)
}

// outcome is what one case did on one arm, normalised for comparison.
type outcome struct {
	status int
	allow  string
	body   string
	db     string
	stamps string // the timestamps' structure, for write cases
}

func (o outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", o.status)
	if o.allow != "" {
		fmt.Fprintf(&b, "allow: %s\n", o.allow)
	}
	fmt.Fprintf(&b, "body:\n%sdatabase:\n%s", o.body, o.db)
	if o.stamps != "" {
		fmt.Fprintf(&b, "timestamps:\n%s", o.stamps)
	}
	return b.String()
}

// TestConformance runs every case on every arm and checks that each arm's
// status, body and database state equal the golden file. The arms of a
// case run in parallel, each on its own database (with -update, one after
// another, the first writing the golden file the others read). Each arm's
// database is reset and read through a pool of the test's own, kept for
// the run: a connection per statement would cost more than the cases.
func TestConformance(t *testing.T) {
	servers := apitest.MustServeAll(t, apitest.Options{})
	pools := make(map[*apitest.Server]*pgxpool.Pool, len(servers))
	for _, s := range servers {
		pool, err := pgxpool.New(context.Background(), s.DSN)
		if err != nil {
			t.Fatalf("arm=%s: opening the test's pool: %v", s.Name, err)
		}
		t.Cleanup(pool.Close)
		pools[s] = pool
	}
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "conformance", strings.ReplaceAll(c.name, "/", "_")+".golden")
			for _, s := range servers {
				t.Run(s.Name, func(t *testing.T) {
					if !*update {
						t.Parallel()
					}
					conformArm(t, s, pools[s], c, golden, s == servers[0])
				})
			}
		})
	}
}

// conformArm runs case c on the arm s serves, in every layout the case
// asks for, and checks each outcome against the golden file; with -update
// the first arm (writer) writes it first. db is a pool on s's database.
func conformArm(t *testing.T, s *apitest.Server, db *pgxpool.Pool, c conformanceCase, golden string, writer bool) {
	for _, l := range layouts {
		if l.sql != nil && !c.plans {
			continue
		}
		got := runCase(t, s, db, c, l.sql)
		if got.status != c.status {
			t.Errorf("arm=%s layout=%s: %s: status %d, want %d; body: %s", s.Name, l.name, &c.req, got.status, c.status, got.body)
		}
		if *update && writer && l.sql == nil {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("reading golden file (run with -update to create it): %v", err)
		}
		if got.String() != string(want) {
			t.Errorf("arm=%s layout=%s: %s differs from %s:\n--- got\n%s\n--- want\n%s", s.Name, l.name, &c.req, golden, got, want)
		}
	}
}

// runCase resets the database to the fixture through db, runs layout on
// it, then the case's setup and request.
func runCase(t *testing.T, s *apitest.Server, db *pgxpool.Pool, c conformanceCase, layout []string) outcome {
	t.Helper()
	resetCase(t, s, db, c, layout)
	for _, r := range c.setup {
		if rep := s.Send(context.Background(), r); rep.Err != nil || rep.Status >= 300 {
			t.Fatalf("arm=%s: setup %s: %s", s.Name, &r, rep)
		}
	}
	rep := s.Send(context.Background(), c.req)
	if rep.Err != nil {
		t.Fatalf("arm=%s: %s: %v", s.Name, &c.req, rep.Err)
	}
	if ct := rep.Header.Get("Content-Type"); len(rep.Body) > 0 && ct != "application/json" {
		t.Errorf("arm=%s: %s: Content-Type %q, want application/json", s.Name, &c.req, ct)
	}
	o := outcome{status: rep.Status, allow: rep.Header.Get("Allow"), body: normalise(rep.Body), db: dumpDB(t, db)}
	switch c.req.Method {
	case "POST", "PATCH", "PUT", "DELETE":
		o.stamps = dumpTimestamps(t, db, rep.Body)
	}
	return o
}

// resetCase resets s's database to the fixture through db, then runs
// layout and the case's own SQL on it.
func resetCase(t *testing.T, s *apitest.Server, db *pgxpool.Pool, c conformanceCase, layout []string) {
	t.Helper()
	for _, stmt := range slices.Concat([]string{pgtest.ResetSQL, apitest.Trio}, layout, c.sql) {
		if _, err := db.Exec(context.Background(), stmt); err != nil {
			t.Fatalf("%s: running %.40q: %v", s.Name, stmt, err)
		}
	}
}

// dumpTimestamps records the structure of the stored timestamps, which
// golden files can compare where the values cannot be: each distinct
// value is named by its rank (t0 the earliest), so the dump shows which
// rows share one time (every row one request writes carries the same),
// that updated_at is never before created_at, and whether the answer's
// timestamps are the stored ones, row by row.
func dumpTimestamps(t *testing.T, conn *pgxpool.Pool, body []byte) string {
	t.Helper()
	ctx := context.Background()
	type stamped struct {
		what  string // "user 1", "post 2"
		times []time.Time
	}
	var rows []stamped
	for _, q := range []struct{ what, sql string }{
		{"user", `SELECT id, created_at, updated_at FROM users ORDER BY id`},
		{"post", `SELECT id, created_at, created_at FROM posts ORDER BY id`},
	} {
		rs, err := conn.Query(ctx, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var (
				id               int64
				created, updated pgtype.Timestamptz
			)
			if err := rs.Scan(&id, &created, &updated); err != nil {
				t.Fatal(err)
			}
			times := []time.Time{created.Time}
			if q.what == "user" {
				times = append(times, updated.Time)
			}
			if created.InfinityModifier != pgtype.Finite || updated.InfinityModifier != pgtype.Finite {
				times = nil // written outside the API; no rank
			}
			rows = append(rows, stamped{fmt.Sprintf("%s %d", q.what, id), times})
		}
		if rs.Err() != nil {
			t.Fatal(rs.Err())
		}
	}
	var distinct []time.Time
	stored := make(map[string][]time.Time, len(rows))
	for _, r := range rows {
		distinct = append(distinct, r.times...)
		stored[r.what] = r.times
	}
	slices.SortFunc(distinct, time.Time.Compare)
	distinct = slices.CompactFunc(distinct, time.Time.Equal)
	rank := func(ts time.Time) string {
		i, _ := slices.BinarySearchFunc(distinct, ts, time.Time.Compare)
		return fmt.Sprintf("t%d", i)
	}
	var b strings.Builder
	shared := map[string]int{} // rank pattern → rows with it, past the first 20
	for i, r := range rows {
		var line string
		switch {
		case r.times == nil:
			line = "infinite"
		case len(r.times) == 1:
			line = "created=" + rank(r.times[0])
		default:
			line = fmt.Sprintf("created=%s updated=%s", rank(r.times[0]), rank(r.times[1]))
			if r.times[1].Before(r.times[0]) {
				line += " UPDATED BEFORE CREATED"
			}
		}
		if i < 20 || strings.HasPrefix(r.what, "post") {
			fmt.Fprintf(&b, "%s %s\n", r.what, line)
		} else {
			shared[line]++
		}
	}
	for _, line := range slices.Sorted(maps.Keys(shared)) {
		fmt.Fprintf(&b, "and %d more users %s\n", shared[line], line)
	}
	fmt.Fprintf(&b, "distinct times: %d\n", len(distinct))
	// The answer's rows: every object with an id and a created_at, users
	// and posts told apart by a title.
	var answer any
	_ = json.Unmarshal(body, &answer)
	same, differ := 0, []string{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			id, okID := v["id"].(float64)
			if _, ok := v["created_at"]; ok && okID {
				what := fmt.Sprintf("user %d", int64(id))
				keys := []string{"created_at", "updated_at"}
				if _, ok := v["title"]; ok {
					what, keys = fmt.Sprintf("post %d", int64(id)), keys[:1]
				}
				for i, k := range keys {
					got, err := time.Parse(time.RFC3339Nano, fmt.Sprint(v[k]))
					if want := stored[what]; err != nil || i >= len(want) || !got.Equal(want[i]) {
						differ = append(differ, what+" "+k)
					} else {
						same++
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		}
	}
	walk(answer)
	fmt.Fprintf(&b, "answer timestamps equal to stored: %d\n", same)
	for _, d := range differ {
		fmt.Fprintf(&b, "answer differs from stored: %s\n", d)
	}
	return b.String()
}

var timestamp = regexp.MustCompile(`"(created_at|updated_at)":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)

// normalise replaces timestamps, which differ from run to run, and
// indents the JSON so that golden files are readable.
func normalise(body []byte) string {
	body = timestamp.ReplaceAll(body, []byte(`"$1":"<timestamp>"`))
	var out bytes.Buffer
	if len(body) == 0 {
		return "(empty)\n"
	}
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return string(body)
	}
	if out.Len() > 4000 {
		return fmt.Sprintf("%s\n… (%d bytes in all)\n", out.Bytes()[:4000], out.Len())
	}
	return out.String() + "\n"
}

// dumpDB lists every row that matters for comparison, in id order.
func dumpDB(t *testing.T, conn *pgxpool.Pool) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	rows, err := conn.Query(ctx, `SELECT id, name, email, age, updated_at >= created_at FROM users ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var (
			id, age     int64
			name, email string
			ordered     bool
		)
		if err := rows.Scan(&id, &name, &email, &age, &ordered); err != nil {
			t.Fatal(err)
		}
		if n++; n <= 20 {
			fmt.Fprintf(&b, "user %d %q %q %d updated>=created:%v\n", id, name, email, age, ordered)
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	fmt.Fprintf(&b, "users: %d\n", n)
	rows, err = conn.Query(ctx, `SELECT id, user_id, title, body FROM posts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var (
			id, uid     int64
			title, body string
		)
		if err := rows.Scan(&id, &uid, &title, &body); err != nil {
			t.Fatal(err)
		}
		n++
		fmt.Fprintf(&b, "post %d user=%d %q %q\n", id, uid, title, body)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	fmt.Fprintf(&b, "posts: %d\n", n)
	return b.String()
}
