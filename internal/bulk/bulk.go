// Package bulk holds what the arms share for bulk requests, so that every
// arm answers them alike.
package bulk

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

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
