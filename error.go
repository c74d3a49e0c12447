package crudbench

import (
	"errors"
	"fmt"
)

// Error codes of the domain. The HTTP layer maps each one to a status in one
// place; data-access arms translate driver errors to them.
const (
	ECONFLICT    = "conflict"    // a unique value is taken, or a concurrent request got in the way
	EINTERNAL    = "internal"    // a bug or an unexpected failure
	EINVALID     = "invalid"     // the input is malformed or out of range
	ENOTFOUND    = "not_found"   // the addressed row does not exist
	EUNAVAILABLE = "unavailable" // PostgreSQL cannot be reached right now
	ETIMEOUT     = "timeout"     // the request deadline passed
	ECANCELED    = "canceled"    // the client went away (or canceled) before the answer
)

// CanceledMessage is the message of every ECANCELED error.
const CanceledMessage = "The client closed the request before the answer."

// Error is an application error: a code from the list above and a message a
// person can act on.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("crudbench error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message for any other non-nil error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
