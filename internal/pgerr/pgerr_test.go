package pgerr

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestTranslate(t *testing.T) {
	boom := errors.New("boom")
	syntax := &pgconn.PgError{Code: "42601", Message: "syntax error"}
	for _, c := range []struct {
		name string
		err  error
		code string // "" means Translate must return err itself
	}{
		{"email taken", &pgconn.PgError{Code: UniqueViolation, TableName: "users", Detail: "Key (email)=(a@b.c) already exists."}, crudbench.ECONFLICT},
		{"unique violation without detail", &pgconn.PgError{Code: UniqueViolation, TableName: "users"}, crudbench.ECONFLICT},
		{"statement cancelled", &pgconn.PgError{Code: QueryCanceled}, crudbench.ETIMEOUT},
		{"deadlock victim", fmt.Errorf("ent: updating 2 users: %w", &pgconn.PgError{Code: DeadlockDetected}), crudbench.ECONFLICT},
		{"serialization failure", &pgconn.PgError{Code: SerializationFailure}, crudbench.ECONFLICT},
		{"client canceled", context.Canceled, crudbench.ECANCELED},
		{"statement canceled: a deadline or a client, which the HTTP layer tells apart", fmt.Errorf("rawsql: reading user 1: %w", &pgconn.PgError{Code: QueryCanceled}), crudbench.ETIMEOUT},
		{"client canceled inside a network error", fmt.Errorf("ent: %w", &net.OpError{Op: "read", Net: "tcp", Err: context.Canceled}), crudbench.ECANCELED},
		{"deadline, wrapped", fmt.Errorf("reading: %w", context.DeadlineExceeded), crudbench.ETIMEOUT},
		{"connection failure class 08", &pgconn.PgError{Code: "08006"}, crudbench.EUNAVAILABLE},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, crudbench.EUNAVAILABLE},
		{"crash shutdown", &pgconn.PgError{Code: "57P02"}, crudbench.EUNAVAILABLE},
		{"starting up", &pgconn.PgError{Code: "57P03"}, crudbench.EUNAVAILABLE},
		{"too many connections", &pgconn.PgError{Code: "53300", Severity: "FATAL", Message: "sorry, too many clients already"}, crudbench.EUNAVAILABLE},
		{"too many connections, wrapped", fmt.Errorf("gorm: creating user: %w", &pgconn.PgError{Code: "53300"}), crudbench.EUNAVAILABLE},
		{"other class 53 (disk full) is not unavailability", &pgconn.PgError{Code: "53100"}, ""},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, crudbench.EUNAVAILABLE},
		{"server closed the connection mid-reply", fmt.Errorf("rawsql: reading user 1: %w", io.ErrUnexpectedEOF), crudbench.EUNAVAILABLE},
		{"server closed the connection between replies", fmt.Errorf("ent: %w", io.EOF), crudbench.EUNAVAILABLE},
		{"database/sql found no live connection", fmt.Errorf("ent: %w", driver.ErrBadConn), crudbench.EUNAVAILABLE},
		{"foreign key violation is the caller's", &pgconn.PgError{Code: ForeignKeyViolation}, ""},
		{"unique violation of another table", &pgconn.PgError{Code: UniqueViolation, TableName: "posts"}, ""},
		{"syntax error", syntax, ""},
		{"unknown error", boom, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Translate(c.err)
			if c.code == "" {
				if got != c.err {
					t.Fatalf("Translate(%v) = %v, want the error unchanged", c.err, got)
				}
				return
			}
			var e *crudbench.Error
			if !errors.As(got, &e) || e.Code != c.code || e.Message == "" {
				t.Fatalf("Translate(%v) = %v, want a %s error", c.err, got, c.code)
			}
		})
	}
	if Translate(nil) != nil {
		t.Error("Translate(nil) != nil")
	}
}
