package httpapi

import (
	"encoding/json"
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

// statuses maps each error code to its HTTP status; this is the only place
// that does.
var statuses = map[string]int{
	crudbench.ECONFLICT:    http.StatusConflict,
	crudbench.EINVALID:     http.StatusBadRequest,
	crudbench.ENOTFOUND:    http.StatusNotFound,
	codeTooLarge:           http.StatusRequestEntityTooLarge,
	crudbench.EUNAVAILABLE: http.StatusServiceUnavailable,
	crudbench.ETIMEOUT:     http.StatusGatewayTimeout,
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

// fail answers with err, logging it when it is internal.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if crudbench.ErrorCode(err) == crudbench.EINTERNAL {
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
