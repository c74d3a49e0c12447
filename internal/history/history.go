// Package history checks a history of concurrent requests to the crudbench
// API: every request with its answer and when it was sent and answered,
// and the database afterwards. It decides what is decidable from the
// outside without knowing the order in which PostgreSQL committed: that
// each answer fits its request, that every failure and every value read is
// explained by the successes, and that the database holds what the answers
// say was written.
//
// Each write must set a name of its own, so that a value tells which write
// made it.
package history

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// The kinds of request a history holds.
const (
	Create     = "create"      // POST /users
	BulkCreate = "bulk-create" // POST /users/bulk
	Read       = "read"        // GET /users/{id}
	BulkRead   = "bulk-read"   // GET /users/bulk?ids=…
	List       = "list"        // GET /users?after=…&limit=5
	Update     = "update"      // PATCH /users/{id}
	BulkUpdate = "bulk-update" // PATCH /users/bulk
	Delete     = "delete"      // DELETE /users/{id}
	BulkDelete = "bulk-delete" // DELETE /users/bulk?ids=…
	CreatePost = "create-post" // POST /users/{id}/posts
)

// ListLimit is the page size of every List request.
const ListLimit = 5

// Allowed lists, per kind, the statuses a request may get. Every write may
// get 409 for a concurrent write that PostgreSQL made it lose to (a
// deadlock); creates and updates also for a taken email.
var Allowed = map[string][]int{
	Create:     {201, 409},
	BulkCreate: {201, 409},
	Read:       {200, 404},
	BulkRead:   {200},
	List:       {200},
	Update:     {200, 404, 409},
	BulkUpdate: {200, 404, 409},
	Delete:     {204, 404, 409},
	BulkDelete: {200, 409},
	CreatePost: {201, 404, 409},
}

// writes are the kinds of request that write.
var writes = []string{Create, BulkCreate, Update, BulkUpdate, Delete, BulkDelete, CreatePost}

// Method returns the HTTP method of a kind of request.
func Method(kind string) string {
	switch kind {
	case Create, BulkCreate, CreatePost:
		return "POST"
	case Update, BulkUpdate:
		return "PATCH"
	case Delete, BulkDelete:
		return "DELETE"
	}
	return "GET"
}

// Row is what a user is, for comparison: its id and values.
type Row struct {
	ID    int64
	Name  string
	Email string
	Age   int
}

// RowOf returns u's row.
func RowOf(u crudbench.User) Row { return Row{u.ID, u.Name, u.Email, u.Age} }

// Op is one request of a client and its answer.
type Op struct {
	Client, Seq int
	Kind        string
	Request     apitest.Request
	IDs         []int64                // addressed ids, in request order; for List, the id after which it lists
	Creates     []crudbench.UserCreate // Create and BulkCreate input
	Patches     []crudbench.UserPatch  // Update and BulkUpdate input, one per id
	Post        crudbench.PostCreate   // CreatePost input
	Start, End  time.Duration          // since the history began
	Reply       apitest.Reply
}

func (op *Op) String() string {
	return fmt.Sprintf("client %d op %d: %s %s %.120s -> %s", op.Client, op.Seq, op.Kind, op.Request.Path, op.Request.Body, op.Reply)
}

// before reports whether a ended before b began: every observer agrees
// that a happened first.
func (a *Op) before(b *Op) bool { return a.End < b.Start }

// LostRace reports whether op got a 409 for a concurrent write.
func (op *Op) LostRace() bool {
	_, msg := op.Reply.APIError()
	return op.Reply.Status == 409 && msg == pgerr.ConcurrentMessage
}

// touches returns the ids and emails op writes.
func (op *Op) touches() (ids []int64, emails []string) {
	for _, c := range op.Creates {
		emails = append(emails, c.Email)
	}
	for _, p := range op.Patches {
		if p.Email != nil {
			emails = append(emails, *p.Email)
		}
	}
	if slices.Contains(writes, op.Kind) {
		ids = op.IDs
	}
	return ids, emails
}

// Created returns the users a successful create or bulk create made.
func Created(op *Op) []crudbench.User {
	switch {
	case op.Kind == Create && op.Reply.Status == 201:
		var u crudbench.User
		if json.Unmarshal(op.Reply.Body, &u) == nil {
			return []crudbench.User{u}
		}
	case op.Kind == BulkCreate && op.Reply.Status == 201:
		var resp httpapi.ItemsResponse
		if json.Unmarshal(op.Reply.Body, &resp) == nil {
			return resp.Items
		}
	}
	return nil
}

// State is the database after the history.
type State struct {
	Users []Row
	Posts []crudbench.Post
}

// Result is the verdict on a history.
type Result struct {
	Problems []error                // empty when the history is consistent
	Statuses map[string]map[int]int // kind -> status -> count
	Existed  int                    // rows seeded or created
	Writes   int                    // successful writes of a row, seeds included
	Deleted  int                    // rows deleted, by the answers' count
	Lost     int                    // writes lost to a concurrent one (409)
}

// Summary is one line on the statuses and counts of r.
func (r Result) Summary() string {
	var kinds []string
	for _, kind := range slices.Sorted(maps.Keys(r.Statuses)) {
		kinds = append(kinds, fmt.Sprintf("%s %v", kind, r.Statuses[kind]))
	}
	return fmt.Sprintf("statuses: %s; %d rows existed, %d writes, %d deleted, %d writes lost to a concurrent one (409)",
		strings.Join(kinds, "; "), r.Existed, r.Writes, r.Deleted, r.Lost)
}

// write is a successful request that set a row to a value; seeded rows are
// writes that ended before every request began.
type write struct {
	op  *Op // nil for a seeded row
	row Row
}

func (w write) startsBefore(end time.Duration) bool { return w.op == nil || w.op.Start < end }

// history is what the answers say happened, gathered from every request.
type history struct {
	writes  map[int64][]write  // by id
	byEmail map[string][]write // successful writes that set the email
	existed map[int64]bool     // seeded or created
	deletes map[int64][]*Op    // deletes that may have removed the id: 204, or a bulk delete that removed some
	removed map[int64][]*Op    // deletes that certainly removed the id: 204, or a bulk delete that removed all it named
	deleted int                // rows deleted, by the answers' count
	posts   map[int64]crudbench.Post
	ops     []*Op
}

// Check checks every answer of ops against its request, then the failures
// and reads against the successes, then final against the answers. The
// rows of seeded existed before the first request.
func Check(seeded []Row, ops []*Op, final State) Result {
	h := &history{
		writes: map[int64][]write{}, byEmail: map[string][]write{}, existed: map[int64]bool{},
		deletes: map[int64][]*Op{}, removed: map[int64][]*Op{}, posts: map[int64]crudbench.Post{}, ops: ops,
	}
	for _, r := range seeded {
		h.record(write{row: r})
	}
	res := Result{Statuses: map[string]map[int]int{}}
	fail := func(op *Op, err error) { res.Problems = append(res.Problems, fmt.Errorf("%s\n\t%w", op, err)) }
	allowed := func(op *Op) bool {
		return op.Reply.Err == nil && slices.Contains(Allowed[op.Kind], op.Reply.Status)
	}
	// Pass 1: each answer on its own, and what the successful ones did.
	for _, op := range ops {
		if res.Statuses[op.Kind] == nil {
			res.Statuses[op.Kind] = map[int]int{}
		}
		res.Statuses[op.Kind][op.Reply.Status]++
		if op.LostRace() {
			res.Lost++
		}
		if !allowed(op) {
			fail(op, fmt.Errorf("status not among %v", Allowed[op.Kind]))
			continue
		}
		if err := h.apply(op); err != nil {
			fail(op, err)
		}
	}
	// Pass 2: failures and reads must be explained by what succeeded.
	for _, op := range ops {
		if allowed(op) {
			if err := h.explain(op); err != nil {
				fail(op, err)
			}
		}
	}
	res.Problems = append(res.Problems, h.checkFinal(final)...)
	res.Existed, res.Deleted = len(h.existed), h.deleted
	for _, ws := range h.writes {
		res.Writes += len(ws)
	}
	return res
}

func (h *history) record(w write) {
	h.writes[w.row.ID] = append(h.writes[w.row.ID], w)
	h.byEmail[w.row.Email] = append(h.byEmail[w.row.Email], w)
	if w.op == nil || w.op.Kind == Create || w.op.Kind == BulkCreate {
		h.existed[w.row.ID] = true
	}
}

// matches reports whether u is what patch p makes of a row with id.
func matches(u crudbench.User, id int64, p crudbench.UserPatch) bool {
	return u.ID == id && (p.Name == nil || *p.Name == u.Name) && (p.Email == nil || *p.Email == u.Email) && (p.Age == nil || *p.Age == u.Age)
}

// decode decodes the body of op's answer as a T.
func decode[T any](op *Op) (T, error) {
	var v T
	if err := json.Unmarshal(op.Reply.Body, &v); err != nil {
		return v, fmt.Errorf("decoding the answer: %w", err)
	}
	return v, nil
}

// usersOf decodes the users of a single-user or items answer.
func usersOf(op *Op, single bool) ([]crudbench.User, error) {
	if single {
		u, err := decode[crudbench.User](op)
		return []crudbench.User{u}, err
	}
	resp, err := decode[httpapi.ItemsResponse](op)
	return resp.Items, err
}

// apply checks a successful answer against its request and records what
// it did.
func (h *history) apply(op *Op) error {
	if op.Reply.Status >= 300 {
		return nil // a failure did nothing
	}
	switch op.Kind {
	case Create, BulkCreate:
		created := Created(op)
		if len(created) != len(op.Creates) {
			return fmt.Errorf("%d users in the answer for %d created", len(created), len(op.Creates))
		}
		for i, u := range created {
			in := op.Creates[i]
			if u.ID <= 0 || u.Name != in.Name || u.Email != in.Email || u.Age != in.Age {
				return fmt.Errorf("item %d: created %+v, asked for %+v", i, RowOf(u), in)
			}
			if h.existed[u.ID] {
				return fmt.Errorf("id %d handed out twice", u.ID)
			}
			h.record(write{op, RowOf(u)})
		}
	case Update, BulkUpdate:
		got, err := usersOf(op, op.Kind == Update)
		if err != nil {
			return err
		}
		if len(got) != len(op.IDs) {
			return fmt.Errorf("%d users in the answer for %d updated", len(got), len(op.IDs))
		}
		for i, u := range got {
			if !matches(u, op.IDs[i], op.Patches[i]) {
				return fmt.Errorf("item %d: updated to %+v, not what the patch sets on id %d", i, RowOf(u), op.IDs[i])
			}
			h.record(write{op, RowOf(u)})
		}
	case Delete:
		h.deletes[op.IDs[0]] = append(h.deletes[op.IDs[0]], op)
		h.removed[op.IDs[0]] = append(h.removed[op.IDs[0]], op)
		h.deleted++
	case BulkDelete:
		resp, err := decode[httpapi.DeletedResponse](op)
		if err != nil {
			return err
		}
		if resp.Deleted < 0 || resp.Deleted > len(op.IDs) {
			return fmt.Errorf("deleted %d of %d ids", resp.Deleted, len(op.IDs))
		}
		h.deleted += resp.Deleted
		for _, id := range op.IDs {
			if resp.Deleted > 0 {
				h.deletes[id] = append(h.deletes[id], op)
			}
			if resp.Deleted == len(op.IDs) {
				h.removed[id] = append(h.removed[id], op)
			}
		}
	case CreatePost:
		p, err := decode[crudbench.Post](op)
		if err != nil {
			return err
		}
		if p.ID <= 0 || p.UserID != op.IDs[0] || p.Title != op.Post.Title || p.Body != op.Post.Body {
			return fmt.Errorf("created post %+v, asked for %+v on user %d", p, op.Post, op.IDs[0])
		}
		if _, dup := h.posts[p.ID]; dup {
			return fmt.Errorf("post id %d handed out twice", p.ID)
		}
		h.posts[p.ID] = p
	}
	return nil
}

// overlapsWriter reports whether another write ran while op did that
// shares a row with op, or an email that one of them sets and the other
// sets or may release: a row's old email stays in the unique index until
// its update commits, so a write that claims it waits on that update, and
// two such waits in opposite directions are a deadlock.
func (h *history) overlapsWriter(op *Op) bool {
	ids, emails := op.touches()
	held := h.heldBy(ids)
	for _, o := range h.ops {
		if o == op || !slices.Contains(writes, o.Kind) || o.End < op.Start || op.End < o.Start {
			continue
		}
		oids, oemails := o.touches()
		if shares(ids, oids) || shares(emails, oemails) || shares(emails, h.heldBy(oids)) || shares(oemails, held) {
			return true
		}
	}
	return false
}

// heldBy returns every email a successful write or the seed gave to a row
// of ids.
func (h *history) heldBy(ids []int64) []string {
	var emails []string
	for _, id := range ids {
		for _, w := range h.writes[id] {
			emails = append(emails, w.row.Email)
		}
	}
	return emails
}

// shares reports whether a and b have an element in common.
func shares[T comparable](a, b []T) bool {
	return slices.ContainsFunc(a, func(v T) bool { return slices.Contains(b, v) })
}

// mayBeGone reports whether some delete of id had begun before op ended.
func (h *history) mayBeGone(id int64, op *Op) bool {
	for _, d := range h.deletes[id] {
		if d != op && d.Start < op.End {
			return true
		}
	}
	return false
}

// mayBeTaken reports whether a write to a row other than those of mine
// had set email before op ended. mine are the rows op itself gives an
// email: op is checked on the state it leaves, where they hold op's emails.
func (h *history) mayBeTaken(email string, mine []int64, op *Op) bool {
	for _, w := range h.byEmail[email] {
		if !slices.Contains(mine, w.row.ID) && w.op != op && w.startsBefore(op.End) {
			return true
		}
	}
	return false
}

// wasWritten reports whether u is a value some successful write that had
// begun before op ended gave to its row.
func (h *history) wasWritten(u crudbench.User, op *Op) bool {
	for _, w := range h.writes[u.ID] {
		if w.row == RowOf(u) && w.startsBefore(op.End) {
			return true
		}
	}
	return false
}

// overwritten returns a successful write of u's row that began after the
// write of u's value ended and ended before op began, if any: op must not
// have seen u then.
func (h *history) overwritten(u crudbench.User, op *Op) *Op {
	i := slices.IndexFunc(h.writes[u.ID], func(w write) bool { return w.row == RowOf(u) })
	if i < 0 {
		return nil
	}
	from := h.writes[u.ID][i].op
	for _, w := range h.writes[u.ID] {
		if w.op != nil && w.op.before(op) && (from == nil || from.before(w.op)) {
			return w.op
		}
	}
	return nil
}

// goneBefore returns a delete that certainly removed id and ended before
// op began, if any: after it, nothing may find the row.
func (h *history) goneBefore(id int64, op *Op) *Op {
	for _, d := range h.removed[id] {
		if d.before(op) {
			return d
		}
	}
	return nil
}

// explainFailure checks that a 404 or 409 had a cause among the successes.
func (h *history) explainFailure(op *Op) error {
	switch {
	case op.Reply.Status == 404:
		for _, id := range op.IDs {
			if h.mayBeGone(id, op) {
				return nil
			}
		}
		return fmt.Errorf("404, but no delete of %v had begun: a row was lost", op.IDs)
	case op.LostRace():
		if h.overlapsWriter(op) {
			return nil
		}
		return fmt.Errorf("409 for a concurrent request, but no other write of its rows or emails was running")
	case op.Kind == Create || op.Kind == BulkCreate:
		for _, in := range op.Creates {
			if h.mayBeTaken(in.Email, nil, op) {
				return nil
			}
		}
		return fmt.Errorf("409, but no other request had set any of its emails")
	}
	// An update is one simultaneous change, checked on the state it
	// leaves: a row it gives an email no longer holds its old one, so a
	// swap of two emails within a batch is no conflict.
	var mine []int64
	for i, p := range op.Patches {
		if p.Email != nil {
			mine = append(mine, op.IDs[i])
		}
	}
	seen := map[string]bool{}
	for _, p := range op.Patches {
		if p.Email == nil {
			continue
		}
		if seen[*p.Email] || h.mayBeTaken(*p.Email, mine, op) {
			return nil // kept by a row outside the batch, or given to two rows of it
		}
		seen[*p.Email] = true
	}
	return fmt.Errorf("409, but no row outside it had been given any of its emails, nor did it give one twice")
}

// readUsers returns the users a successful read, bulk read or list
// answered with, checking they are those it asked for.
func (h *history) readUsers(op *Op) ([]crudbench.User, error) {
	users, err := usersOf(op, op.Kind == Read)
	if err != nil {
		return nil, err
	}
	for i, u := range users {
		switch {
		case op.Kind == Read && u.ID != op.IDs[0]:
			return nil, fmt.Errorf("asked for %d, got %d", op.IDs[0], u.ID)
		case i > 0 && u.ID <= users[i-1].ID:
			return nil, fmt.Errorf("ids out of order: %d after %d", u.ID, users[i-1].ID)
		case op.Kind == BulkRead && !slices.Contains(op.IDs, u.ID):
			return nil, fmt.Errorf("got id %d, not asked for", u.ID)
		case op.Kind == List && (u.ID <= op.IDs[0] || i >= ListLimit):
			return nil, fmt.Errorf("page after %d of limit %d holds id %d at %d", op.IDs[0], ListLimit, u.ID, i)
		}
	}
	if op.Kind == BulkRead {
		for _, id := range op.IDs {
			if !slices.ContainsFunc(users, func(u crudbench.User) bool { return u.ID == id }) && !h.mayBeGone(id, op) {
				return nil, fmt.Errorf("id %d missing from the answer, but no delete of it had begun", id)
			}
		}
	}
	return users, nil
}

// explain checks that a failure had a cause among the successes, and that
// what a read returned was written and not yet deleted.
func (h *history) explain(op *Op) error {
	st := op.Reply.Status
	if st == 404 || st == 409 {
		return h.explainFailure(op)
	}
	if op.Kind == Read || op.Kind == BulkRead || op.Kind == List {
		users, err := h.readUsers(op)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !h.wasWritten(u, op) {
				return fmt.Errorf("read %+v, a value no successful write gave that row", RowOf(u))
			}
			if w := h.overwritten(u, op); w != nil {
				return fmt.Errorf("read %+v, but this later write had replaced it before the read began: %s", RowOf(u), w)
			}
			if d := h.goneBefore(u.ID, op); d != nil {
				return fmt.Errorf("read id %d after it was deleted by %s", u.ID, d)
			}
		}
	}
	// Writes after a certain delete must not have found the row.
	if op.Kind == Update || op.Kind == BulkUpdate || op.Kind == CreatePost {
		for _, id := range op.IDs {
			if d := h.goneBefore(id, op); d != nil {
				return fmt.Errorf("wrote id %d after it was deleted by %s", id, d)
			}
		}
	}
	return nil
}

// checkFinal compares the database afterwards with the history.
func (h *history) checkFinal(s State) []error {
	var errs []error
	final := map[int64]Row{}
	emails := map[string]int64{}
	for _, r := range s.Users {
		final[r.ID] = r
		id := r.ID
		if !h.existed[id] {
			errs = append(errs, fmt.Errorf("row %+v in the database, but no answer created it", r))
			continue
		}
		if other, dup := emails[r.Email]; dup {
			errs = append(errs, fmt.Errorf("rows %d and %d share email %s", other, id, r.Email))
		}
		emails[r.Email] = id
		if len(h.removed[id]) > 0 {
			errs = append(errs, fmt.Errorf("row %d is still there after %s", id, h.removed[id][0]))
		}
		// The final value is that of a last write: one that no other
		// successful write of the row began after.
		var last []Row
		for _, w := range h.writes[id] {
			if !slices.ContainsFunc(h.writes[id], func(o write) bool { return o.op != nil && (w.op == nil || w.op.before(o.op)) }) {
				last = append(last, w.row)
			}
		}
		if !slices.Contains(last, r) {
			errs = append(errs, fmt.Errorf("row %d is %+v; the last successful writes gave it %+v", id, r, last))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(h.existed)) {
		if _, ok := final[id]; !ok && len(h.deletes[id]) == 0 {
			errs = append(errs, fmt.Errorf("row %d is gone, but no answer says it was deleted", id))
		}
	}
	if want := len(h.existed) - h.deleted; len(final) != want {
		errs = append(errs, fmt.Errorf("%d rows in the database; %d were created or seeded and the answers deleted %d, which leaves %d", len(final), len(h.existed), h.deleted, want))
	}
	posts := map[int64]bool{}
	for _, p := range s.Posts {
		posts[p.ID] = true
		want, ok := h.posts[p.ID]
		if !ok || want.UserID != p.UserID || want.Title != p.Title || want.Body != p.Body {
			errs = append(errs, fmt.Errorf("post %+v in the database, but no answer created it", p))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(h.posts)) {
		p := h.posts[id]
		if _, userThere := final[p.UserID]; !posts[id] && userThere {
			errs = append(errs, fmt.Errorf("post %d of user %d, created with 201, is gone while its user is there", id, p.UserID))
		}
	}
	return errs
}
