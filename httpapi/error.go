package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/crudbench/crudbench"
)

// Error codes that only the HTTP layer produces; the domain's are in
// package crudbench.
const (
	codeTooLarge    = "too_large"       // the request body exceeds the limit
	codeNotAllowed  = "not_allowed"     // the method is not served on this path
	codeUnsupported = "unsupported"     // the body's media type is not application/json
	codeReadTimeout = "request_timeout" // the body did not arrive within the read timeout
)

// StatusClientClosed is the status of a request whose client went away
// (or canceled it) before the answer: 499, "client closed request", as
// nginx logs it. The client rarely reads it; logs and counters do.
const StatusClientClosed = 499

// statuses maps each error code to its HTTP status; this is the only place
// that does.
var statuses = map[string]int{
	crudbench.ECONFLICT:    http.StatusConflict,
	crudbench.EINVALID:     http.StatusBadRequest,
	crudbench.ENOTFOUND:    http.StatusNotFound,
	codeTooLarge:           http.StatusRequestEntityTooLarge,
	crudbench.EUNAVAILABLE: http.StatusServiceUnavailable,
	crudbench.ETIMEOUT:     http.StatusGatewayTimeout,
	codeReadTimeout:        http.StatusRequestTimeout,
	crudbench.ECANCELED:    StatusClientClosed,
	codeNotAllowed:         http.StatusMethodNotAllowed,
	codeUnsupported:        http.StatusUnsupportedMediaType,
	crudbench.EINTERNAL:    http.StatusInternalServerError,
}

// errorStatus returns the HTTP status of an error code.
func errorStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody holds an error's code and a message a person can act on.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fail answers with err, logging it when it is internal. When the client
// has gone away (the request's context is canceled, not past its
// deadline), whatever err a store made of that, the answer is ECANCELED,
// logged at Debug only: it is the client's doing, not the server's. A body
// that did not arrive in time keeps its 408 (the server's read deadline
// also cancels the context). PostgreSQL unavailable is logged once per
// episode, at Warn, not per request.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := crudbench.ErrorCode(err)
	switch {
	case code != codeReadTimeout && errors.Is(r.Context().Err(), context.Canceled):
		h.opts.Logger.Debug("client closed request", "method", r.Method, "path", r.URL.Path, "err", err)
		err = crudbench.Errorf(crudbench.ECANCELED, crudbench.CanceledMessage)
	case code == crudbench.EUNAVAILABLE:
		if h.down.CompareAndSwap(false, true) {
			h.opts.Logger.Warn("database unavailable; answering 503 until it is back", "method", r.Method, "path", r.URL.Path)
		}
	case code == crudbench.EINTERNAL:
		h.opts.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, err)
}

// served notes a request the store served: it ends an episode of
// unavailability, if one was on.
func (h *Handler) served() {
	if h.down.Load() && h.down.CompareAndSwap(true, false) {
		h.opts.Logger.Info("database available again")
	}
}

// writeJSON answers status with v, encoded before the status is written:
// a value that cannot be encoded (a stored timestamp outside the years
// 0000–9999) is answered with an error instead of a status without a body.
func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	h.served()
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		h.fail(w, r, unrepresentable(v, err))
		return
	}
	send(w, status, buf.Bytes())
}

// unrepresentable is the error of an answer v that JSON cannot encode
// (err): EINTERNAL, naming the first user or post whose timestamp is out
// of JSON's range when v holds one.
func unrepresentable(v any, err error) error {
	msg := "The answer holds a value that JSON cannot represent."
	if what := firstUnrepresentable(v); what != "" {
		msg = what + " has a timestamp outside the years 0000 to 9999, which the API cannot represent."
	}
	return fmt.Errorf("encoding the answer: %w", errors.Join(&crudbench.Error{Code: crudbench.EINTERNAL, Message: msg}, err))
}

// firstUnrepresentable names the first user or post in v whose timestamp
// JSON cannot encode, or returns "".
func firstUnrepresentable(v any) string {
	var users []crudbench.User
	switch v := v.(type) {
	case *crudbench.User:
		users = []crudbench.User{*v}
	case *crudbench.Post:
		if !encodable(v.CreatedAt) {
			return fmt.Sprintf("Post %d", v.ID)
		}
	case ItemsResponse:
		users = v.Items
	case listResponse:
		users = v.Items
	}
	for _, u := range users {
		if !encodable(u.CreatedAt) || !encodable(u.UpdatedAt) {
			return fmt.Sprintf("User %d", u.ID)
		}
		for _, p := range u.Posts {
			if !encodable(p.CreatedAt) {
				return fmt.Sprintf("Post %d of user %d", p.ID, u.ID)
			}
		}
	}
	return ""
}

// encodable reports whether t has a JSON (RFC 3339) form.
func encodable(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

func writeError(w http.ResponseWriter, err error) {
	code := crudbench.ErrorCode(err)
	body, _ := json.Marshal(ErrorResponse{Error: ErrorBody{Code: code, Message: crudbench.ErrorMessage(err)}})
	send(w, errorStatus(code), append(body, '\n'))
}

// send writes an encoded JSON answer.
func send(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
