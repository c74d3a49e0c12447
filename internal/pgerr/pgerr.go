// Package pgerr translates PostgreSQL and driver errors into crudbench
// errors, so that every arm answers the same failure with the same code and
// message.
package pgerr

import (
	"context"
	"errors"
	"net"
	"regexp"

	"github.com/crudbench/crudbench"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes this package looks at.
const (
	UniqueViolation     = "23505"
	ForeignKeyViolation = "23503"
	QueryCanceled       = "57014"
)

// NotFound returns the error every arm gives for a missing user.
func NotFound(id int64) error {
	return crudbench.Errorf(crudbench.ENOTFOUND, "User %d not found.", id)
}

var emailKey = regexp.MustCompile(`^Key \(email\)=\((.*)\) already exists\.$`)

// Translate returns a *crudbench.Error for errors a client or an outage
// causes (taken email, deadline, unreachable server), and err unchanged
// otherwise. Foreign-key violations are left to the caller, which knows the
// id that was missing.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == UniqueViolation && pe.TableName == "users":
			if m := emailKey.FindStringSubmatch(pe.Detail); m != nil {
				return crudbench.Errorf(crudbench.ECONFLICT, "Email %q is already taken.", m[1])
			}
			return crudbench.Errorf(crudbench.ECONFLICT, "The email is already taken.")
		case pe.Code == QueryCanceled:
			return timeout()
		case pe.Code[:2] == "08", pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return unavailable()
		}
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return timeout()
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) {
		return unavailable()
	}
	return err
}

// IsForeignKeyViolation reports whether err is a foreign-key violation.
func IsForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == ForeignKeyViolation
}

func timeout() error {
	return crudbench.Errorf(crudbench.ETIMEOUT, "The database did not answer in time.")
}

func unavailable() error {
	return crudbench.Errorf(crudbench.EUNAVAILABLE, "The database is unavailable; try again shortly.")
}
