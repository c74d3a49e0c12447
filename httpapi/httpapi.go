// Package httpapi serves the crudbench HTTP contract over any
// crudbench.Store: every arm answers through these same handlers, so only
// data access differs between them.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/crudbench/crudbench"
)

// Defaults of Options.
const (
	defaultMaxBodyBytes = 1 << 20         // 1 MiB
	defaultTimeout      = 5 * time.Second // per request, passed down to the database
)

// Options tune a Handler; zero fields take the defaults.
type Options struct {
	MaxBodyBytes int64         // larger bodies are answered with 413
	Timeout      time.Duration // deadline of each request's context
	Logger       *slog.Logger  // receives internal errors; nil means slog.Default()
	// Routes are extra routes (pattern → handler) served through the same
	// mux, deadline and body limit as the API's own; their patterns must
	// not overlap the API's. Benchmarks mount their floors here.
	Routes map[string]http.Handler
}

// Handler is the HTTP API over one store.
type Handler struct {
	store crudbench.Store
	opts  Options
	mux   *http.ServeMux
	// down is on while PostgreSQL is unavailable: from the first 503 to
	// the next request the store serves.
	down atomic.Bool
}

// NewHandler returns the API over store.
func NewHandler(store crudbench.Store, opts Options) *Handler {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = defaultMaxBodyBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Handler{store: store, opts: opts, mux: http.NewServeMux()}
	routes := []struct {
		pattern string
		handle  http.HandlerFunc
	}{
		{"POST /users", h.createUser},
		{"GET /users", h.listUsers},
		{"GET /users/{id}", h.getUser},
		{"PATCH /users/{id}", h.updateUser},
		{"DELETE /users/{id}", h.deleteUser},
		{"POST /users/bulk", h.createUsers},
		{"GET /users/bulk", h.getUsers},
		{"PATCH /users/bulk", h.updateUsers},
		{"DELETE /users/bulk", h.deleteUsers},
		{"POST /users/{id}/posts", h.createPost},
	}
	for _, r := range routes {
		h.mux.HandleFunc(r.pattern, r.handle)
	}
	for pattern, handler := range opts.Routes {
		h.mux.Handle(pattern, handler)
	}
	// Whatever no route matches: 405 with Allow on a known path, else 404.
	h.mux.HandleFunc("/", h.unrouted)
	return h
}

// ServeHTTP implements http.Handler: it bounds the request's time and body
// and dispatches it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	r = r.WithContext(ctx)
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	}
	if err := checkRequest(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if r.Method == http.MethodConnect {
		h.unrouted(w, r) // ServeMux would answer it in text/plain
		return
	}
	h.mux.ServeHTTP(w, r)
}

// checkRequest rejects a query string that does not parse (a bad escape,
// a ';' separator, too many parameters): no route may quietly drop it.
func checkRequest(r *http.Request) error {
	if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
		return crudbench.Errorf(crudbench.EINVALID, "The query string does not parse: %s.", truncate(err.Error(), 80))
	}
	return nil
}

// unrouted answers requests that no route matches, in JSON: 405 with an
// Allow header when the path is served with other methods, else 404.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host}
		if _, pattern := h.mux.Handler(probe); pattern != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		h.fail(w, r, crudbench.Errorf(crudbench.ENOTFOUND, "No such path: %s.", crudbench.Echo(r.URL.Path)))
		return
	}
	list := strings.Join(allow, ", ")
	w.Header().Set("Allow", list)
	h.fail(w, r, crudbench.Errorf(codeNotAllowed, "Method %s is not allowed on %s; use %s.", crudbench.Echo(r.Method), crudbench.Echo(r.URL.Path), list))
}
