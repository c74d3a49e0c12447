// Package bulk holds what the arms share for bulk requests, so that every
// arm answers them alike.
package bulk

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// DeferEmailCheck is the first statement of every arm's bulk update
// transaction: it defers the uniqueness of emails to COMMIT, so that the
// batch is one simultaneous change, checked on the state it leaves (a swap
// of two users' emails succeeds) and not row by row in whatever order the
// query plan visits the rows.
const DeferEmailCheck = `SET CONSTRAINTS users_email_key DEFERRED`

// EmailConflictMessage is the message of a bulk update that would leave an
// email on two users. It names no email: when several collide, which one
// PostgreSQL reports first depends on the order it updated the rows in.
const EmailConflictMessage = "The batch would leave an email on two users; nothing was changed."

// UpdateError returns what a bulk update reports for err: a violation of
// email uniqueness, found at COMMIT, becomes ECONFLICT with
// EmailConflictMessage; any other error is returned unchanged.
func UpdateError(err error) error {
	if pgerr.IsEmailTaken(err) {
		return crudbench.Errorf(crudbench.ECONFLICT, EmailConflictMessage)
	}
	return err
}

// InInputOrder orders the rows a bulk update returned (got, in any order)
// like the request in, and reports the first id of in that no row matched.
func InInputOrder(in []crudbench.UserUpdate, got []crudbench.User) ([]crudbench.User, error) {
	byID := make(map[int64]int, len(got))
	for i := range got {
		byID[got[i].ID] = i
	}
	out := make([]crudbench.User, len(in))
	for i := range in {
		j, ok := byID[in[i].ID]
		if !ok {
			return nil, pgerr.NotFound(in[i].ID)
		}
		out[i] = got[j]
	}
	return out, nil
}
