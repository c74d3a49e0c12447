package apitest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/apitest"
)

// echo answers with the request's method, Content-Type and body, or with
// an API error for /error.
func echo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/error" {
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":{"code":"conflict","message":"taken"}}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	io.WriteString(w, r.Method+" ct="+r.Header.Get("Content-Type")+" body="+string(body))
}

func TestSend(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	ctx := context.Background()
	cases := []struct {
		req  apitest.Request
		want string
	}{
		{apitest.Get("/users/1"), "GET ct= body="},
		{apitest.Post("/users", `{"a":1}`), `POST ct=application/json body={"a":1}`},
		{apitest.Request{Method: "POST", Path: "/users", Body: "x=1", ContentType: "application/x-www-form-urlencoded"}, "POST ct=application/x-www-form-urlencoded body=x=1"},
		{apitest.Request{Method: "POST", Path: "/users", Body: "{}", ContentType: apitest.NoContentType}, "POST ct= body={}"},
	}
	for _, c := range cases {
		rep := apitest.Send(ctx, srv.Client(), srv.URL, &c.req, nil)
		if rep.Err != nil || rep.Status != 200 || string(rep.Body) != c.want || rep.Took <= 0 {
			t.Errorf("%s: %s; want 200 %q", &c.req, rep, c.want)
		}
	}

	var buf bytes.Buffer
	rep := apitest.Send(ctx, srv.Client(), "", &apitest.Request{Method: "DELETE", Path: srv.URL + "/x"}, &buf)
	if string(rep.Body) != "DELETE ct= body=" || &rep.Body[0] != &buf.Bytes()[0] {
		t.Errorf("with a buffer and an absolute URL: %s; want the body read into the buffer", rep)
	}

	rep = apitest.Send(ctx, srv.Client(), srv.URL, &apitest.Request{Method: "GET", Path: "/error"}, nil)
	if code, msg := rep.APIError(); rep.Status != 409 || code != "conflict" || msg != "taken" {
		t.Errorf("error answer: %s gives code %q message %q", rep, code, msg)
	}
	if code, msg := (apitest.Reply{Body: []byte("not json")}).APIError(); code != "" || msg != "" {
		t.Errorf("APIError of a body that is no error: %q %q, want empty", code, msg)
	}

	srv.Close()
	if rep := apitest.Send(ctx, srv.Client(), srv.URL, &apitest.Request{Method: "GET", Path: "/"}, nil); rep.Err == nil {
		t.Errorf("a closed server answered: %s", rep)
	}
}

func TestCheck(t *testing.T) {
	req := apitest.Request{Method: "GET", Path: "/users/1", Status: 200, Want: []byte(`"id":1`)}
	for _, c := range []struct {
		rep  apitest.Reply
		want string // in the error; empty for none
	}{
		{apitest.Reply{Status: 200, Body: []byte(`{"id":1}`)}, ""},
		{apitest.Reply{Status: 404, Body: []byte(`{}`)}, "status 404, want 200"},
		{apitest.Reply{Status: 200, Body: []byte(`{"id":2}`)}, `body lacks "\"id\":1"`},
		{apitest.Reply{Err: io.ErrUnexpectedEOF}, "unexpected EOF"},
	} {
		err := req.Check(c.rep)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v; want no error", c.rep, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v; want an error saying %q", c.rep, err, c.want)
		}
	}
	if err := (&apitest.Request{Method: "GET", Path: "/"}).Check(apitest.Reply{Status: 500}); err != nil {
		t.Errorf("a request without expectations rejected a reply: %v", err)
	}
}

// TestCheckAllocatesNothing: benchmarks check every answer inside the timed
// region, so a check must not add to their allocations.
func TestCheckAllocatesNothing(t *testing.T) {
	req := apitest.Request{Status: 200, Want: []byte(`{"id":12345,"name":"renamed 12345678",`)}
	rep := apitest.Reply{Status: 200, Body: []byte(strings.Repeat("x", 100) + `{"id":12345,"name":"renamed 12345678","age":1}`)}
	if n := testing.AllocsPerRun(100, func() { _ = req.Check(rep) }); n != 0 {
		t.Errorf("Check allocates %v times, want 0", n)
	}
}

func TestCheckIDs(t *testing.T) {
	body := []byte(`{"items":[{"id":12,"name":"a"},{"id":3,"name":"b"},{"id":120,"name":"c"}]}`)
	for _, tc := range []struct {
		ids []int64
		ok  bool
	}{
		{[]int64{12, 3, 120}, true},
		{[]int64{3, 12, 120}, false}, // out of order
		{[]int64{12, 3}, false},      // one too many in the answer
		{[]int64{12, 3, 12}, false},  // 120 is not 12
		{[]int64{1, 3, 120}, false},  // 12 is not 1
	} {
		r := apitest.Request{Method: "GET", Path: "/x", Status: 200, IDs: tc.ids}
		err := r.Check(apitest.Reply{Status: 200, Body: body})
		if (err == nil) != tc.ok {
			t.Errorf("ids %v: %v, want ok=%v", tc.ids, err, tc.ok)
		}
	}
	r := apitest.Request{Status: 200, IDs: []int64{12, 3, 120}}
	if n := testing.AllocsPerRun(100, func() { _ = r.Check(apitest.Reply{Status: 200, Body: body}) }); n != 0 {
		t.Errorf("checking ids allocates %.0f times, want 0", n)
	}
}
