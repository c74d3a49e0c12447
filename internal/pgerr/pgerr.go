// Package pgerr translates PostgreSQL and driver errors into crudbench
// errors, so that every arm answers the same failure with the same code and
// message.
package pgerr

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"

	"github.com/crudbench/crudbench"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes this package looks at.
const (
	UniqueViolation      = "23505"
	ForeignKeyViolation  = "23503"
	QueryCanceled        = "57014"
	DeadlockDetected     = "40P01"
	SerializationFailure = "40001"
	TooManyConnections   = "53300"
	AdminShutdown        = "57P01"
	CrashShutdown        = "57P02"
	CannotConnectNow     = "57P03"
)

// ConcurrentMessage is the message of the conflict reported when
// PostgreSQL aborted a transaction because of a concurrent one.
const ConcurrentMessage = "The request conflicted with a concurrent one and was not applied; try again."

// NotFound returns the error every arm gives for a missing user.
func NotFound(id int64) error {
	return crudbench.Errorf(crudbench.ENOTFOUND, "User %d not found.", id)
}

var emailKey = regexp.MustCompile(`^Key \(email\)=\((.*)\) already exists\.$`)

// Translate returns a *crudbench.Error for errors a client or an outage
// causes (taken email, a client that canceled, deadline, unreachable server, a transaction aborted
// for a concurrent one: a deadlock or serialization failure, rolled back
// whole and safe to retry), and err unchanged otherwise. Foreign-key
// violations are left to the caller, which knows the id that was missing.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	// Before anything else: a canceled context also breaks the connection
	// (pgx) or makes PostgreSQL cancel the statement.
	if errors.Is(err, context.Canceled) {
		return Canceled()
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == UniqueViolation && pe.TableName == "users":
			if m := emailKey.FindStringSubmatch(pe.Detail); m != nil {
				return crudbench.Errorf(crudbench.ECONFLICT, "Email %q is already taken.", crudbench.Echo(m[1]))
			}
			return crudbench.Errorf(crudbench.ECONFLICT, "The email is already taken.")
		case pe.Code == QueryCanceled:
			return timeout()
		case pe.Code == DeadlockDetected, pe.Code == SerializationFailure:
			return crudbench.Errorf(crudbench.ECONFLICT, ConcurrentMessage)
		case Unavailable(pe.Code):
			return unavailable()
		}
		// Any other PostgreSQL error met while connecting (a ConnectError
		// wraps it) is still a database that cannot be reached.
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			return unavailable()
		}
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return timeout()
	}
	if lostConnection(err) {
		return unavailable()
	}
	return err
}

// Unavailable reports whether a SQLSTATE says PostgreSQL cannot serve
// the connection right now: class 08 (connection exception), 53300 (too
// many connections), 57P01–57P03 (shutdown, crash shutdown, cannot connect
// now). The HTTP layer answers them 503.
func Unavailable(code string) bool {
	switch code {
	case TooManyConnections, AdminShutdown, CrashShutdown, CannotConnectNow:
		return true
	}
	return len(code) == 5 && code[:2] == "08"
}

// Wrap returns what an arm reports for err, met while doing what format
// and args describe: the *crudbench.Error in err's chain, unwrapped; else
// the *crudbench.Error that Translate makes of err; else err wrapped with
// the description, which the HTTP layer reports as EINTERNAL.
func Wrap(err error, format string, args ...any) error {
	var ce *crudbench.Error
	if errors.As(err, &ce) || errors.As(Translate(err), &ce) {
		return ce
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// lostConnection reports whether err says the connection to PostgreSQL
// could not be opened or broke: a failed connect, a network error, an
// error pgx deems safe to retry (nothing was sent), the server closing the
// connection mid-exchange (EOF: it crashed or was stopped), or database/sql
// finding no live connection (driver.ErrBadConn). A write that met a broken
// connection may or may not have committed; either way the client is told
// the database is unavailable rather than that the server has a bug.
func lostConnection(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, driver.ErrBadConn)
}

// IsEmailTaken reports whether err is a violation of the uniqueness of
// users' emails.
func IsEmailTaken(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == UniqueViolation && pe.TableName == "users"
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == ForeignKeyViolation
}

// Canceled returns the error every arm gives when the client canceled the
// request or went away before the answer.
func Canceled() error {
	return crudbench.Errorf(crudbench.ECANCELED, crudbench.CanceledMessage)
}

func timeout() error {
	return crudbench.Errorf(crudbench.ETIMEOUT, "The database did not answer in time.")
}

func unavailable() error {
	return crudbench.Errorf(crudbench.EUNAVAILABLE, "The database is unavailable; try again shortly.")
}
