package crudbench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

var update = flag.Bool("update", false, "rewrite testdata/conformance golden files from the pgx arm")

// fixture is the state every conformance case starts from.
const fixture = `INSERT INTO users (name, email, age) VALUES
	('Ada', 'ada@example.com', 36), ('Bob', 'bob@example.com', 41), ('Cy', 'cy@example.com', 0);
INSERT INTO posts (user_id, title, body) VALUES
	(1, 'First', 'Hello'), (1, 'Second', 'World'), (2, 'Bob''s', 'x');`

// request is one HTTP request of a case.
type request struct {
	method, path, body string
	ctype              string // Content-Type; application/json when a body is set and this is empty
}

// noContentType as request.ctype sends no Content-Type header at all.
const noContentType = "-"

func (r request) String() string { return r.method + " " + r.path }

// conformanceCase is one row of the contract: a request, its expected
// status, and a golden file holding the body and the database afterwards.
type conformanceCase struct {
	name   string
	setup  []request // run first; each must succeed
	req    request
	status int
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
	{name: "create/ok", req: request{method: "POST", path: "/users", body: `{"name":"Dee","email":"dee@example.com","age":29}`}, status: 201},
	{name: "create/age-defaults-to-0", req: request{method: "POST", path: "/users", body: `{"name":"Eve","email":"eve@example.com"}`}, status: 201},
	{name: "create/sql-metacharacters-verbatim", req: request{method: "POST", path: "/users", body: `{"name":"Robert'); DROP TABLE users;--","email":"o'hara\"%_\\@example.com"}`}, status: 201},
	{name: "create/unicode", req: request{method: "POST", path: "/users", body: `{"name":"Zoë 名前 🚀","email":"zoë@例え.jp","age":150}`}, status: 201},
	{name: "create/email-taken", req: request{method: "POST", path: "/users", body: `{"name":"Ada2","email":"ada@example.com"}`}, status: 409},
	{name: "create/empty-name", req: request{method: "POST", path: "/users", body: `{"name":"","email":"x@example.com"}`}, status: 400},
	{name: "create/blank-name", req: request{method: "POST", path: "/users", body: `{"name":"   ","email":"x@example.com"}`}, status: 400},
	{name: "create/name-too-long", req: request{method: "POST", path: "/users", body: `{"name":"` + strings.Repeat("n", 101) + `","email":"x@example.com"}`}, status: 400},
	{name: "create/email-without-at", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x.example.com"}`}, status: 400},
	{name: "create/email-two-ats", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@y@example.com"}`}, status: 400},
	{name: "create/email-too-long", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@` + strings.Repeat("e", 253) + `"}`}, status: 400},
	{name: "create/age-negative", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","age":-1}`}, status: 400},
	{name: "create/age-over-150", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","age":151}`}, status: 400},
	{name: "create/nul-in-name", req: request{method: "POST", path: "/users", body: `{"name":"a\u0000b","email":"x@example.com"}`}, status: 400},
	{name: "create/unknown-field", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","admin":true}`}, status: 400},
	{name: "create/wrong-type", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","age":"old"}`}, status: 400},
	{name: "create/trailing-data", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com"} {}`}, status: 400},
	{name: "create/truncated-json", req: request{method: "POST", path: "/users", body: `{"name":"X","email":`}, status: 400},
	{name: "create/empty-body", req: request{method: "POST", path: "/users", body: ``, ctype: "application/json"}, status: 400},
	{name: "create/not-json-content-type", req: request{method: "POST", path: "/users", body: `name=X`, ctype: "application/x-www-form-urlencoded"}, status: 415},
	{name: "create/body-over-1MiB", req: request{method: "POST", path: "/users", body: `{"name":"` + strings.Repeat("x", 1<<20) + `","email":"x@example.com"}`}, status: 413},
	{name: "create/invalid-utf8", req: request{method: "POST", path: "/users", body: "{\"name\":\"\xff\xfe\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/malformed-json-single-quotes", req: request{method: "POST", path: "/users", body: `{'name':'X','email':'x@example.com'}`}, status: 400},
	{name: "create/malformed-json-trailing-comma", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com",}`}, status: 400},
	{name: "create/raw-control-char-in-string", req: request{method: "POST", path: "/users", body: "{\"name\":\"a\x01b\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/raw-nul-byte-in-json", req: request{method: "POST", path: "/users", body: "{\"name\":\"a\x00b\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/name-not-string", req: request{method: "POST", path: "/users", body: `{"name":42,"email":"x@example.com"}`}, status: 400},
	{name: "create/age-fraction", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","age":1.5}`}, status: 400},
	{name: "create/age-beyond-int64", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","age":99999999999999999999}`}, status: 400},
	{name: "create/body-is-array", req: request{method: "POST", path: "/users", body: `[{"name":"X","email":"x@example.com"}]`}, status: 400},
	{name: "create/body-is-null", req: request{method: "POST", path: "/users", body: `null`}, status: 400},
	{name: "create/id-in-body", req: request{method: "POST", path: "/users", body: `{"id":99,"name":"X","email":"x@example.com"}`}, status: 400},
	{name: "create/created-at-in-body", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com","created_at":"2000-01-01T00:00:00Z"}`}, status: 400},
	{name: "create/trailing-garbage", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com"}xyz`}, status: 400},
	{name: "create/trailing-whitespace-ok", req: request{method: "POST", path: "/users", body: "{\"name\":\"W\",\"email\":\"w@example.com\"}\n\t \r\n"}, status: 201},
	{name: "create/whitespace-only-body", req: request{method: "POST", path: "/users", body: " \n\t ", ctype: "application/json"}, status: 400},
	{name: "create/body-exactly-1MiB-is-read", req: request{method: "POST", path: "/users", body: bodyOfSize(`{"name":"`, `","email":"x@example.com"}`, 1<<20)}, status: 400},
	{name: "create/body-1MiB-plus-1-byte", req: request{method: "POST", path: "/users", body: bodyOfSize(`{"name":"`, `","email":"x@example.com"}`, 1<<20+1)}, status: 413},
	{name: "create/email-nothing-before-at", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"@example.com"}`}, status: 400},
	{name: "create/email-nothing-after-at", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"xy@"}`}, status: 400},
	{name: "create/email-too-short", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"a@"}`}, status: 400},
	{name: "create/email-254-chars-ok", req: request{method: "POST", path: "/users", body: `{"name":"Long","email":"x@` + strings.Repeat("e", 252) + `"}`}, status: 201},
	{name: "create/name-100-multibyte-chars-ok", req: request{method: "POST", path: "/users", body: `{"name":"` + strings.Repeat("é", 100) + `","email":"e@example.com"}`}, status: 201},
	{name: "create/name-101-multibyte-chars", req: request{method: "POST", path: "/users", body: `{"name":"` + strings.Repeat("é", 101) + `","email":"e@example.com"}`}, status: 400},
	{name: "create/overlong-utf8", req: request{method: "POST", path: "/users", body: "{\"name\":\"\xc0\xaf\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/surrogate-half-utf8-bytes", req: request{method: "POST", path: "/users", body: "{\"name\":\"\xed\xa0\x80\",\"email\":\"x@example.com\"}"}, status: 400},
	{name: "create/lone-surrogate-escape-becomes-U+FFFD", req: request{method: "POST", path: "/users", body: `{"name":"a\ud800b","email":"s@example.com"}`}, status: 201},
	{name: "create/nul-in-email", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x\u0000@example.com"}`}, status: 400},
	{name: "create/missing-content-type", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com"}`, ctype: noContentType}, status: 415},
	{name: "create/content-type-json-patch", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com"}`, ctype: "application/json-patch+json"}, status: 415},
	{name: "create/content-type-malformed", req: request{method: "POST", path: "/users", body: `{"name":"X","email":"x@example.com"}`, ctype: "application/json; charset"}, status: 415},
	{name: "create/content-type-with-charset-ok", req: request{method: "POST", path: "/users", body: `{"name":"Cs","email":"cs@example.com"}`, ctype: "application/json; charset=utf-8"}, status: 201},
	{name: "create/content-type-case-insensitive-ok", req: request{method: "POST", path: "/users", body: `{"name":"Ci","email":"ci@example.com"}`, ctype: "Application/JSON"}, status: 201},

	// GET /users/{id}
	{name: "read/ok", req: request{method: "GET", path: "/users/2"}, status: 200},
	{name: "read/missing", req: request{method: "GET", path: "/users/999"}, status: 404},
	{name: "read/non-numeric-id", req: request{method: "GET", path: "/users/abc"}, status: 400},
	{name: "read/zero-id", req: request{method: "GET", path: "/users/0"}, status: 400},
	{name: "read/negative-id", req: request{method: "GET", path: "/users/-1"}, status: 400},
	{name: "read/id-beyond-int64", req: request{method: "GET", path: "/users/9223372036854775808"}, status: 400},
	{name: "read/id-max-int64-missing", req: request{method: "GET", path: "/users/9223372036854775807"}, status: 404},
	{name: "read/id-with-space", req: request{method: "GET", path: "/users/%201"}, status: 400},
	{name: "read/id-with-nul", req: request{method: "GET", path: "/users/1%00"}, status: 400},
	{name: "read/id-hex", req: request{method: "GET", path: "/users/0x1"}, status: 400},
	{name: "read/id-non-ascii-digit", req: request{method: "GET", path: "/users/%D9%A1"}, status: 400},
	{name: "read/id-50-digits-message-truncated", req: request{method: "GET", path: "/users/" + strings.Repeat("12345", 10)}, status: 400},
	{name: "read/id-long-non-ascii-truncated-whole-chars", req: request{method: "GET", path: "/users/" + strings.Repeat("1", 39) + strings.Repeat("%C3%A9", 5)}, status: 400},
	{name: "read/id-sql-injection", req: request{method: "GET", path: "/users/1%20OR%201=1"}, status: 400},
	{name: "read/with-posts", req: request{method: "GET", path: "/users/1?include=posts"}, status: 200},
	{name: "read/with-no-posts", req: request{method: "GET", path: "/users/3?include=posts"}, status: 200},
	{name: "read/with-posts-missing", req: request{method: "GET", path: "/users/999?include=posts"}, status: 404},
	{name: "read/include-unknown", req: request{method: "GET", path: "/users/1?include=friends"}, status: 400},

	// PATCH /users/{id}
	{name: "update/name", req: request{method: "PATCH", path: "/users/2", body: `{"name":"Robert"}`}, status: 200},
	{name: "update/all-fields", req: request{method: "PATCH", path: "/users/2", body: `{"name":"Rob","email":"rob@example.com","age":42}`}, status: 200},
	{name: "update/age-to-zero", req: request{method: "PATCH", path: "/users/1", body: `{"age":0}`}, status: 200},
	{name: "update/own-email-again", req: request{method: "PATCH", path: "/users/1", body: `{"email":"ada@example.com"}`}, status: 200},
	{name: "update/email-taken", req: request{method: "PATCH", path: "/users/2", body: `{"email":"ada@example.com"}`}, status: 409},
	{name: "update/missing", req: request{method: "PATCH", path: "/users/999", body: `{"name":"X"}`}, status: 404},
	{name: "update/empty-patch", req: request{method: "PATCH", path: "/users/1", body: `{}`}, status: 400},
	{name: "update/invalid-email", req: request{method: "PATCH", path: "/users/1", body: `{"email":"nope"}`}, status: 400},
	{name: "update/bad-id", req: request{method: "PATCH", path: "/users/x1", body: `{"name":"X"}`}, status: 400},
	{name: "update/zero-id", req: request{method: "PATCH", path: "/users/0", body: `{"name":"X"}`}, status: 400},
	{name: "update/malformed-json-unquoted-key", req: request{method: "PATCH", path: "/users/1", body: `{name:"X"}`}, status: 400},
	{name: "update/truncated-json", req: request{method: "PATCH", path: "/users/1", body: `{"name":"X`}, status: 400},
	{name: "update/email-not-string", req: request{method: "PATCH", path: "/users/1", body: `{"email":["a@example.com"]}`}, status: 400},
	{name: "update/age-null-is-no-change", req: request{method: "PATCH", path: "/users/1", body: `{"age":null}`}, status: 400},
	{name: "update/unknown-field", req: request{method: "PATCH", path: "/users/1", body: `{"nickname":"X"}`}, status: 400},
	{name: "update/id-in-body", req: request{method: "PATCH", path: "/users/1", body: `{"id":5,"name":"X"}`}, status: 400},
	{name: "update/trailing-second-object", req: request{method: "PATCH", path: "/users/1", body: `{"name":"X"}{"name":"Y"}`}, status: 400},
	{name: "update/empty-body", req: request{method: "PATCH", path: "/users/1", ctype: "application/json"}, status: 400},
	{name: "update/body-over-1MiB", req: request{method: "PATCH", path: "/users/1", body: bodyOfSize(`{"name":"`, `"}`, 1<<20+100)}, status: 413},
	{name: "update/name-too-long", req: request{method: "PATCH", path: "/users/1", body: `{"name":"` + strings.Repeat("n", 101) + `"}`}, status: 400},
	{name: "update/blank-name", req: request{method: "PATCH", path: "/users/1", body: `{"name":"\t \n"}`}, status: 400},
	{name: "update/invalid-utf8", req: request{method: "PATCH", path: "/users/1", body: "{\"name\":\"ok\xe2\x28\xa1\"}"}, status: 400},
	{name: "update/nul-in-email", req: request{method: "PATCH", path: "/users/1", body: `{"email":"ada\u0000@example.com"}`}, status: 400},
	{name: "update/text-plain", req: request{method: "PATCH", path: "/users/1", body: `{"name":"X"}`, ctype: "text/plain"}, status: 415},
	{name: "update/sql-metacharacters-verbatim", req: request{method: "PATCH", path: "/users/2", body: `{"name":"x'; UPDATE users SET age = 0; --","email":"b\\'--@example.com"}`}, status: 200},

	// DELETE /users/{id}
	{name: "delete/ok-cascades-posts", req: request{method: "DELETE", path: "/users/1"}, status: 204},
	{name: "delete/missing", req: request{method: "DELETE", path: "/users/999"}, status: 404},
	{name: "delete/bad-id", req: request{method: "DELETE", path: "/users/1.5"}, status: 400},
	{name: "delete/negative-id", req: request{method: "DELETE", path: "/users/-3"}, status: 400},
	{name: "delete/id-beyond-int64", req: request{method: "DELETE", path: "/users/99999999999999999999"}, status: 400},
	{name: "delete/id-sql-injection", req: request{method: "DELETE", path: "/users/1%3B%20DROP%20TABLE%20users"}, status: 400},
	{name: "delete/twice", setup: []request{{method: "DELETE", path: "/users/3"}}, req: request{method: "DELETE", path: "/users/3"}, status: 404},

	// GET /users
	{name: "list/default", req: request{method: "GET", path: "/users"}, status: 200},
	{name: "list/page-with-next", req: request{method: "GET", path: "/users?limit=2"}, status: 200},
	{name: "list/after", req: request{method: "GET", path: "/users?after=2&limit=2"}, status: 200},
	{name: "list/after-end", req: request{method: "GET", path: "/users?after=3"}, status: 200},
	{name: "list/limit-zero", req: request{method: "GET", path: "/users?limit=0"}, status: 400},
	{name: "list/limit-too-big", req: request{method: "GET", path: "/users?limit=1001"}, status: 400},
	{name: "list/limit-not-number", req: request{method: "GET", path: "/users?limit=ten"}, status: 400},
	{name: "list/after-negative", req: request{method: "GET", path: "/users?after=-5"}, status: 400},
	{name: "list/limit-1000-ok", req: request{method: "GET", path: "/users?limit=1000"}, status: 200},
	{name: "list/limit-negative", req: request{method: "GET", path: "/users?limit=-1"}, status: 400},
	{name: "list/limit-beyond-int64", req: request{method: "GET", path: "/users?limit=99999999999999999999"}, status: 400},
	{name: "list/limit-fraction", req: request{method: "GET", path: "/users?limit=1.5"}, status: 400},
	{name: "list/after-not-number", req: request{method: "GET", path: "/users?after=abc"}, status: 400},
	{name: "list/after-beyond-int64", req: request{method: "GET", path: "/users?after=9223372036854775808"}, status: 400},
	{name: "list/after-sql-injection", req: request{method: "GET", path: "/users?after=0%20OR%201%3D1"}, status: 400},

	// POST /users/bulk
	{name: "bulk-create/ok-input-order", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"Zed","email":"zed@example.com"},{"name":"Amy","email":"amy@example.com","age":7}]`}, status: 201},
	{name: "bulk-create/1000", req: request{method: "POST", path: "/users/bulk", body: users(1000, "u")}, status: 201},
	{name: "bulk-create/1001-too-many", req: request{method: "POST", path: "/users/bulk", body: users(1001, "u")}, status: 400},
	{name: "bulk-create/empty", req: request{method: "POST", path: "/users/bulk", body: `[]`}, status: 400},
	{name: "bulk-create/not-an-array", req: request{method: "POST", path: "/users/bulk", body: `{"name":"X","email":"x@example.com"}`}, status: 400},
	{name: "bulk-create/one-invalid-writes-nothing", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"Ok","email":"ok@example.com"},{"name":"","email":"bad@example.com"}]`}, status: 400},
	{name: "bulk-create/duplicate-in-batch-writes-nothing", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"A","email":"same@example.com"},{"name":"B","email":"same@example.com"}]`}, status: 409},
	{name: "bulk-create/taken-writes-nothing", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"New","email":"new@example.com"},{"name":"B","email":"bob@example.com"}]`}, status: 409},
	{name: "bulk-create/truncated-json", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"X","email":"x@example.com"},`}, status: 400},
	{name: "bulk-create/items-not-objects", req: request{method: "POST", path: "/users/bulk", body: `["x"]`}, status: 400},
	{name: "bulk-create/trailing-bracket", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"X","email":"x@example.com"}]]`}, status: 400},
	{name: "bulk-create/unknown-field-in-item", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"X","email":"x@example.com"},{"name":"Y","email":"y@example.com","id":7}]`}, status: 400},
	{name: "bulk-create/empty-body", req: request{method: "POST", path: "/users/bulk", ctype: "application/json"}, status: 400},
	{name: "bulk-create/null", req: request{method: "POST", path: "/users/bulk", body: `null`}, status: 400},
	{name: "bulk-create/body-over-1MiB", req: request{method: "POST", path: "/users/bulk", body: bodyOfSize(`[{"name":"`, `","email":"x@example.com"}]`, 1<<20+100)}, status: 413},
	{name: "bulk-create/nul-in-item-writes-nothing", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"Ok","email":"ok@example.com"},{"name":"N\u0000","email":"n@example.com"}]`}, status: 400},
	{name: "bulk-create/invalid-email-in-item", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"Ok","email":"ok@example.com"},{"name":"Bad","email":"bad"}]`}, status: 400},
	{name: "bulk-create/xml-content-type", req: request{method: "POST", path: "/users/bulk", body: `<users/>`, ctype: "application/xml"}, status: 415},
	{name: "bulk-create/sql-metacharacters-verbatim", req: request{method: "POST", path: "/users/bulk", body: `[{"name":"$1 $$ ? %s","email":"a%_@example.com"},{"name":"\\x00 ' \" ;","email":"b'@example.com"}]`}, status: 201},

	// GET /users/bulk
	{name: "bulk-read/ok-id-order-skips-missing", req: request{method: "GET", path: "/users/bulk?ids=3,999,1"}, status: 200},
	{name: "bulk-read/none-found", req: request{method: "GET", path: "/users/bulk?ids=500,501"}, status: 200},
	{name: "bulk-read/no-ids", req: request{method: "GET", path: "/users/bulk"}, status: 400},
	{name: "bulk-read/duplicate-ids", req: request{method: "GET", path: "/users/bulk?ids=1,2,1"}, status: 400},
	{name: "bulk-read/too-many-ids", req: request{method: "GET", path: "/users/bulk?ids=" + idList(1, 1001)}, status: 400},
	{name: "bulk-read/bad-id", req: request{method: "GET", path: "/users/bulk?ids=1,two"}, status: 400},
	{name: "bulk-read/empty-id", req: request{method: "GET", path: "/users/bulk?ids=1,,2"}, status: 400},
	{name: "bulk-read/1000-ids-ok", req: request{method: "GET", path: "/users/bulk?ids=" + idList(1, 1000)}, status: 200},
	{name: "bulk-read/negative-id", req: request{method: "GET", path: "/users/bulk?ids=1,-2"}, status: 400},
	{name: "bulk-read/zero-id", req: request{method: "GET", path: "/users/bulk?ids=0"}, status: 400},
	{name: "bulk-read/id-beyond-int64", req: request{method: "GET", path: "/users/bulk?ids=1,9223372036854775808"}, status: 400},
	{name: "bulk-read/trailing-comma", req: request{method: "GET", path: "/users/bulk?ids=1,2,"}, status: 400},
	{name: "bulk-read/id-with-space", req: request{method: "GET", path: "/users/bulk?ids=1,%202"}, status: 400},
	{name: "bulk-read/sql-injection", req: request{method: "GET", path: "/users/bulk?ids=1)%20OR%20(1%3D1"}, status: 400},

	// PATCH /users/bulk
	{name: "bulk-update/each-own-values", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":3,"age":5},{"id":1,"name":"Ada L.","email":"lovelace@example.com"}]`}, status: 200},
	{name: "bulk-update/missing-id-writes-nothing", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1,"age":99},{"id":999,"age":1}]`}, status: 404},
	{name: "bulk-update/taken-email-writes-nothing", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":3,"age":77},{"id":2,"email":"ada@example.com"}]`}, status: 409},
	{name: "bulk-update/duplicate-ids", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1,"age":1},{"id":1,"age":2}]`}, status: 400},
	{name: "bulk-update/empty-patch-item", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1}]`}, status: 400},
	{name: "bulk-update/empty", req: request{method: "PATCH", path: "/users/bulk", body: `[]`}, status: 400},
	{name: "bulk-update/zero-id", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":0,"age":1}]`}, status: 400},
	{name: "bulk-update/negative-id", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1,"age":1},{"id":-2,"age":1}]`}, status: 400},
	{name: "bulk-update/missing-id-field", req: request{method: "PATCH", path: "/users/bulk", body: `[{"age":1}]`}, status: 400},
	{name: "bulk-update/id-as-string", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":"1","age":1}]`}, status: 400},
	{name: "bulk-update/id-beyond-int64", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":9223372036854775808,"age":1}]`}, status: 400},
	{name: "bulk-update/unknown-field", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1,"age":1,"role":"admin"}]`}, status: 400},
	{name: "bulk-update/not-an-array", req: request{method: "PATCH", path: "/users/bulk", body: `{"id":1,"age":1}`}, status: 400},
	{name: "bulk-update/1001-too-many", req: request{method: "PATCH", path: "/users/bulk", body: updateItems(1001)}, status: 400},
	{name: "bulk-update/invalid-utf8-in-item", req: request{method: "PATCH", path: "/users/bulk", body: "[{\"id\":1,\"name\":\"\x80\"}]"}, status: 400},
	{name: "bulk-update/sql-metacharacters-verbatim", req: request{method: "PATCH", path: "/users/bulk", body: `[{"id":1,"name":"') WHERE 1=1; --"},{"id":3,"name":"u.id = v.id OR true"}]`}, status: 200},

	// DELETE /users/bulk
	{name: "bulk-delete/ok-counts-found", req: request{method: "DELETE", path: "/users/bulk?ids=1,3,999"}, status: 200},
	{name: "bulk-delete/none-found", req: request{method: "DELETE", path: "/users/bulk?ids=998,999"}, status: 200},
	{name: "bulk-delete/no-ids", req: request{method: "DELETE", path: "/users/bulk?ids="}, status: 400},
	{name: "bulk-delete/duplicate-ids", req: request{method: "DELETE", path: "/users/bulk?ids=2,2"}, status: 400},
	{name: "bulk-delete/1000-ids-ok", req: request{method: "DELETE", path: "/users/bulk?ids=" + idList(1, 1000)}, status: 200},
	{name: "bulk-delete/too-many-ids", req: request{method: "DELETE", path: "/users/bulk?ids=" + idList(1, 1001)}, status: 400},
	{name: "bulk-delete/zero-id", req: request{method: "DELETE", path: "/users/bulk?ids=0,1"}, status: 400},
	{name: "bulk-delete/sql-injection", req: request{method: "DELETE", path: "/users/bulk?ids=1%3BDROP%20TABLE%20users"}, status: 400},

	// POST /users/{id}/posts
	{name: "post/ok", req: request{method: "POST", path: "/users/3/posts", body: `{"title":"Hi","body":"First post"}`}, status: 201},
	{name: "post/empty-body-text-ok", req: request{method: "POST", path: "/users/3/posts", body: `{"title":"Only a title"}`}, status: 201},
	{name: "post/user-missing", req: request{method: "POST", path: "/users/999/posts", body: `{"title":"Hi","body":""}`}, status: 404},
	{name: "post/empty-title", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"","body":"x"}`}, status: 400},
	{name: "post/body-too-long", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"T","body":"` + strings.Repeat("b", 10001) + `"}`}, status: 400},
	{name: "post/bad-user-id", req: request{method: "POST", path: "/users/abc/posts", body: `{"title":"T"}`}, status: 400},
	{name: "post/negative-user-id", req: request{method: "POST", path: "/users/-1/posts", body: `{"title":"T"}`}, status: 400},
	{name: "post/user-id-beyond-int64", req: request{method: "POST", path: "/users/9223372036854775808/posts", body: `{"title":"T"}`}, status: 400},
	{name: "post/truncated-json", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"T`}, status: 400},
	{name: "post/title-not-string", req: request{method: "POST", path: "/users/1/posts", body: `{"title":true}`}, status: 400},
	{name: "post/user-id-in-body", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"T","user_id":2}`}, status: 400},
	{name: "post/empty-body", req: request{method: "POST", path: "/users/1/posts", ctype: "application/json"}, status: 400},
	{name: "post/body-over-1MiB", req: request{method: "POST", path: "/users/1/posts", body: bodyOfSize(`{"title":"T","body":"`, `"}`, 1<<20+100)}, status: 413},
	{name: "post/title-too-long", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"` + strings.Repeat("t", 201) + `"}`}, status: 400},
	{name: "post/invalid-utf8-body", req: request{method: "POST", path: "/users/1/posts", body: "{\"title\":\"T\",\"body\":\"\xf0\x28\x8c\x28\"}"}, status: 400},
	{name: "post/nul-in-title", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"T\u0000"}`}, status: 400},
	{name: "post/nul-in-body", req: request{method: "POST", path: "/users/1/posts", body: `{"title":"T","body":"a\u0000"}`}, status: 400},
	{name: "post/multipart-content-type", req: request{method: "POST", path: "/users/1/posts", body: `--x--`, ctype: "multipart/form-data; boundary=x"}, status: 415},
	{name: "post/sql-metacharacters-verbatim", req: request{method: "POST", path: "/users/3/posts", body: `{"title":"'); DELETE FROM posts; --","body":"$1 $$ \\ % _ \" ;"}`}, status: 201},

	// Methods and paths outside the contract
	{name: "method/put-user", req: request{method: "PUT", path: "/users/1", body: `{}`}, status: 405},
	{name: "method/delete-collection", req: request{method: "DELETE", path: "/users"}, status: 405},
	{name: "method/patch-collection", req: request{method: "PATCH", path: "/users", body: `{}`}, status: 405},
	{name: "method/put-bulk", req: request{method: "PUT", path: "/users/bulk", body: `[]`}, status: 405},
	{name: "method/post-user", req: request{method: "POST", path: "/users/1", body: `{"name":"X"}`}, status: 405},
	{name: "method/get-posts", req: request{method: "GET", path: "/users/1/posts"}, status: 405},
	{name: "method/options", req: request{method: "OPTIONS", path: "/users"}, status: 405},
	{name: "path/unknown", req: request{method: "GET", path: "/accounts"}, status: 404},
}

// outcome is what one case did on one arm, normalised for comparison.
type outcome struct {
	status int
	allow  string
	body   string
	db     string
}

func (o outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %d\n", o.status)
	if o.allow != "" {
		fmt.Fprintf(&b, "allow: %s\n", o.allow)
	}
	fmt.Fprintf(&b, "body:\n%sdatabase:\n%s", o.body, o.db)
	return b.String()
}

// TestConformance runs every case on every arm and checks that each arm's
// status, body and database state equal the golden file.
func TestConformance(t *testing.T) {
	servers := startArms(t, false)
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "conformance", strings.ReplaceAll(c.name, "/", "_")+".golden")
			for _, s := range servers {
				got := runCase(t, s, c)
				if got.status != c.status {
					t.Errorf("arm=%s: %s: status %d, want %d; body: %s", s.name, c.req, got.status, c.status, got.body)
				}
				if *update && s.name == servers[0].name {
					if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("reading golden file (run with -update to create it): %v", err)
				}
				if got.String() != string(want) {
					t.Errorf("arm=%s: %s differs from %s:\n--- got\n%s\n--- want\n%s", s.name, c.req, golden, got, want)
				}
			}
		})
	}
}

func runCase(t *testing.T, s *armServer, c conformanceCase) outcome {
	t.Helper()
	ctx := context.Background()
	if err := pgtest.Reset(ctx, s.dsn); err != nil {
		t.Fatal(err)
	}
	if err := pgtest.Exec(ctx, s.dsn, fixture); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.setup {
		if st, _, body := do(t, s, r); st >= 300 {
			t.Fatalf("arm=%s: setup %s: status %d: %s", s.name, r, st, body)
		}
	}
	st, allow, body := do(t, s, c.req)
	return outcome{status: st, allow: allow, body: normalise(body), db: dumpDB(t, s.dsn)}
}

func do(t *testing.T, s *armServer, r request) (status int, allow string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(r.method, s.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	switch ct := r.ctype; {
	case ct == noContentType:
	case ct != "":
		req.Header.Set("Content-Type", ct)
	case r.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("arm=%s: %s: %v", s.name, r, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(body) > 0 && resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("arm=%s: %s: Content-Type %q, want application/json", s.name, r, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, resp.Header.Get("Allow"), body
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
func dumpDB(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
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

// TestConcurrentCreateSameEmail sends one email from many clients at once:
// exactly one create succeeds, every other gets 409, one row is written.
func TestConcurrentCreateSameEmail(t *testing.T) {
	const clients = 32
	for _, s := range startArms(t, false) {
		t.Run("arm="+s.name, func(t *testing.T) {
			statuses := make([]int, clients)
			var wg sync.WaitGroup
			for i := range clients {
				wg.Go(func() {
					body := fmt.Sprintf(`{"name":"Racer %d","email":"race@example.com"}`, i)
					resp, err := s.srv.Client().Post(s.srv.URL+"/users", "application/json", strings.NewReader(body))
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				})
			}
			wg.Wait()
			count := map[int]int{}
			for _, st := range statuses {
				count[st]++
			}
			if count[201] != 1 || count[409] != clients-1 {
				t.Errorf("statuses %v: want one 201 and %d 409", count, clients-1)
			}
			var n int
			conn, err := pgx.Connect(context.Background(), s.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email = 'race@example.com'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%d rows hold the email, want 1", n)
			}
		})
	}
}
