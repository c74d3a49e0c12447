package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/crudbench/crudbench"
)

// Error codes that only the HTTP layer produces; the domain's are in
// package crudbench.
const (
	codeTooLarge    = "too_large"   // the request body exceeds the limit
	codeNotAllowed  = "not_allowed" // the method is not served on this path
	codeUnsupported = "unsupported" // the body's media type is not application/json
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
// logged at Debug only: it is the client's doing, not the server's.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		h.opts.Logger.Debug("client closed request", "method", r.Method, "path", r.URL.Path, "err", err)
		err = crudbench.Errorf(crudbench.ECANCELED, crudbench.CanceledMessage)
	} else if crudbench.ErrorCode(err) == crudbench.EINTERNAL {
		h.opts.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, err)
}

func writeError(w http.ResponseWriter, err error) {
	code := crudbench.ErrorCode(err)
	writeJSON(w, errorStatus(code), ErrorResponse{Error: ErrorBody{Code: code, Message: crudbench.ErrorMessage(err)}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
