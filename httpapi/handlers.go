package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/crudbench/crudbench"
)

// listResponse is the body of GET /users: a page of users and the cursor of
// the next page (nil on the last page).
type listResponse struct {
	Items []crudbench.User `json:"items"`
	Next  *int64           `json:"next"`
}

// ItemsResponse is the body of bulk create, read and update.
type ItemsResponse struct {
	Items []crudbench.User `json:"items"`
}

// DeletedResponse is the body of a bulk delete.
type DeletedResponse struct {
	Deleted int `json:"deleted"`
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in crudbench.UserCreate
	if err := decodeBody(r, &in); err != nil {
		h.fail(w, r, err)
		return
	} else if err := in.Validate(); err != nil {
		h.fail(w, r, err)
		return
	}
	u, err := h.store.CreateUser(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusCreated, u)
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var u *crudbench.User
	switch inc := r.URL.Query().Get("include"); inc {
	case "":
		u, err = h.store.User(r.Context(), id)
	case "posts":
		u, err = h.store.UserWithPosts(r.Context(), id)
	default:
		err = crudbench.Errorf(crudbench.EINVALID, "Cannot include %q; the only choice is include=posts.", crudbench.Echo(inc))
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, u)
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) {
	writeOne(h, w, r, (*crudbench.UserPatch).Validate, h.store.UpdateUser, http.StatusOK)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteUser(r.Context(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.served()
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after int64
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			h.fail(w, r, crudbench.Errorf(crudbench.EINVALID, "Invalid after %q: give the last id of the previous page (0 or more).", crudbench.Echo(s)))
			return
		}
		after = n
	}
	limit := crudbench.DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > crudbench.MaxLimit {
			h.fail(w, r, crudbench.Errorf(crudbench.EINVALID, "Invalid limit %q: give 1 to %d.", crudbench.Echo(s), crudbench.MaxLimit))
			return
		}
		limit = n
	}
	users, err := h.store.ListUsers(r.Context(), after, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp := listResponse{Items: users}
	if len(users) == limit {
		resp.Next = &users[len(users)-1].ID
	}
	h.writeJSON(w, r, http.StatusOK, resp)
}

func (h *Handler) createUsers(w http.ResponseWriter, r *http.Request) {
	writeUsers(h, w, r, crudbench.ValidateCreates, h.store.CreateUsers, http.StatusCreated)
}

func (h *Handler) updateUsers(w http.ResponseWriter, r *http.Request) {
	writeUsers(h, w, r, crudbench.ValidateUpdates, h.store.UpdateUsers, http.StatusOK)
}

// writeUsers serves a bulk create or update: it decodes the body into an
// In, checks it, runs it on the store and answers status with the users.
func writeUsers[In any](h *Handler, w http.ResponseWriter, r *http.Request,
	check func(In) error, run func(context.Context, In) ([]crudbench.User, error), status int) {
	var in In
	if err := decodeBody(r, &in); err != nil {
		h.fail(w, r, err)
		return
	} else if err := check(in); err != nil {
		h.fail(w, r, err)
		return
	}
	users, err := run(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, status, ItemsResponse{Items: users})
}

func (h *Handler) getUsers(w http.ResponseWriter, r *http.Request) {
	ids, err := parseIDs(r.URL.Query().Get("ids"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	users, err := h.store.UsersByID(r.Context(), ids)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, ItemsResponse{Items: users})
}

func (h *Handler) deleteUsers(w http.ResponseWriter, r *http.Request) {
	ids, err := parseIDs(r.URL.Query().Get("ids"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	n, err := h.store.DeleteUsers(r.Context(), ids)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, http.StatusOK, DeletedResponse{Deleted: n})
}

func (h *Handler) createPost(w http.ResponseWriter, r *http.Request) {
	writeOne(h, w, r, (*crudbench.PostCreate).Validate, h.store.CreatePost, http.StatusCreated)
}

// writeOne serves a request that sends a body to one row: it parses the id
// of the path, decodes the body into an In, checks it, runs it on the store
// and answers status with what the store returned.
func writeOne[In, Out any](h *Handler, w http.ResponseWriter, r *http.Request,
	check func(*In) error, run func(context.Context, int64, In) (Out, error), status int) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var in In
	if err := decodeBody(r, &in); err != nil {
		h.fail(w, r, err)
		return
	} else if err := check(&in); err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := run(r.Context(), id, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, status, out)
}
