// Package bulk holds what the arms share for bulk requests, so that every
// arm answers them alike.
package bulk

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// FreeEmails is the first statement of a bulk update that changes emails,
// inside its transaction ($1: all its ids; $2: those whose email it
// changes). It gives each row of $2 a placeholder email that no valid one
// can equal ('#' and the id: no '@'), and returns the ids of $1 that exist.
// The update that follows then meets, in whatever order the query plan
// visits rows, only the emails the batch leaves in place: it fails on a
// taken email exactly when the state it leaves would hold one twice, so
// the batch is one simultaneous change (a swap of two users' emails
// succeeds). Missing ids are known before that: 404 comes before 409.
const FreeEmails = `UPDATE users SET email = CASE WHEN id = ANY($2) THEN '#' || id ELSE email END
WHERE id = ANY($1) RETURNING id`

// EmailIDs returns the ids of in, and those of its items that set an email:
// the arguments of FreeEmails. changing is nil when no item sets an email;
// the batch then needs no FreeEmails.
func EmailIDs(in []crudbench.UserUpdate) (ids, changing []int64) {
	ids = make([]int64, len(in))
	for i := range in {
		ids[i] = in[i].ID
		if in[i].Email != nil {
			changing = append(changing, in[i].ID)
		}
	}
	return ids, changing
}

// Found returns ENOTFOUND for the first id of in, in input order, that is
// not among found, and nil when all are.
func Found(in []crudbench.UserUpdate, found []int64) error {
	have := make(map[int64]bool, len(found))
	for _, id := range found {
		have[id] = true
	}
	for i := range in {
		if !have[in[i].ID] {
			return pgerr.NotFound(in[i].ID)
		}
	}
	return nil
}

// EmailConflictMessage is the message of a bulk update that would leave an
// email on two users. It names no email: when several collide, which one
// PostgreSQL reports first depends on the order it updated the rows in.
const EmailConflictMessage = "The batch would leave an email on two users; nothing was changed."

// UpdateError returns what a bulk update reports for err: a violation of
// email uniqueness becomes ECONFLICT with
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

// MaxParams is the most bind parameters PostgreSQL's protocol allows in
// one statement.
const MaxParams = 65535

// Chunked returns what create returns for in, called on successive chunks
// of at most size items, in input order, concatenated: a bulk create too
// large for one statement's parameters, split. The caller runs it in one
// transaction so that the batch stays all or nothing.
func Chunked(in []crudbench.UserCreate, size int, create func([]crudbench.UserCreate) ([]crudbench.User, error)) ([]crudbench.User, error) {
	out := make([]crudbench.User, 0, len(in))
	for start := 0; start < len(in); start += size {
		us, err := create(in[start:min(start+size, len(in))])
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}
