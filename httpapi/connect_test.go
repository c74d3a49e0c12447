package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/httpapi"
)

// TestConnectIsJSON sends CONNECT in authority form, which ServeMux
// answers itself, in text/plain, unless the handler intercepts it: the
// answer must be a JSON error like every other. The store is never
// reached.
func TestConnectIsJSON(t *testing.T) {
	h := httpapi.NewHandler(nil, httpapi.Options{})
	for _, raw := range []string{
		"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
		"CONNECT /users HTTP/1.1\r\nHost: crudbench\r\n\r\n",
	} {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body httpapi.ErrorResponse
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Error.Code == "" {
			t.Errorf("%q: %d, Content-Type %q, body %q; want a JSON error", strings.SplitN(raw, "\r\n", 2)[0], rec.Code, ct, rec.Body)
		}
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%q: status %d; want 404 or 405", strings.SplitN(raw, "\r\n", 2)[0], rec.Code)
		}
	}
}
