package history_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/history"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// Hand-built histories on two seeded users. Times are in milliseconds
// since the history began.

var (
	ada = history.Row{ID: 1, Name: "Ada", Email: "ada@example.com", Age: 36}
	bob = history.Row{ID: 2, Name: "Bob", Email: "bob@example.com", Age: 41}
	eve = history.Row{ID: 3, Name: "Eve", Email: "eve@example.com", Age: 20}
)

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func user(r history.Row) crudbench.User {
	return crudbench.User{ID: r.ID, Name: r.Name, Email: r.Email, Age: r.Age}
}

func errorBody(code, msg string) []byte {
	return mustJSON(httpapi.ErrorResponse{Error: httpapi.ErrorBody{Code: code, Message: msg}})
}

// op is a request of kind on ids from start to end that got status and body.
func op(kind string, start, end int, ids []int64, status int, body []byte) *history.Op {
	return &history.Op{
		Kind: kind, IDs: ids, Request: apitest.Request{Method: history.Method(kind), Path: "/users"},
		Start: time.Duration(start) * time.Millisecond, End: time.Duration(end) * time.Millisecond,
		Reply: apitest.Reply{Status: status, Body: body},
	}
}

// create asks for in; got, if not nil, is the user the 201 answer holds.
func create(start, end int, in history.Row, got *history.Row) *history.Op {
	o := op(history.Create, start, end, nil, 409, errorBody(crudbench.ECONFLICT, "email taken"))
	if got != nil {
		o.Reply = apitest.Reply{Status: 201, Body: mustJSON(user(*got))}
	}
	o.Creates = []crudbench.UserCreate{{Name: in.Name, Email: in.Email, Age: in.Age}}
	return o
}

// rename renames user id to got.Name; got is the 200 answer.
func rename(start, end int, id int64, got history.Row) *history.Op {
	o := op(history.Update, start, end, []int64{id}, 200, mustJSON(user(got)))
	o.Patches = []crudbench.UserPatch{{Name: &got.Name}}
	return o
}

// read reads user id; got nil is a 404.
func read(start, end int, id int64, got *history.Row) *history.Op {
	if got == nil {
		return op(history.Read, start, end, []int64{id}, 404, errorBody(crudbench.ENOTFOUND, "no such user"))
	}
	return op(history.Read, start, end, []int64{id}, 200, mustJSON(user(*got)))
}

func del(start, end int, id int64) *history.Op {
	return op(history.Delete, start, end, []int64{id}, 204, nil)
}

func lost(o *history.Op) *history.Op {
	o.Reply = apitest.Reply{Status: 409, Body: errorBody(crudbench.ECONFLICT, pgerr.ConcurrentMessage)}
	return o
}

func withName(r history.Row, name string) history.Row { r.Name = name; return r }

func ptr[T any](v T) *T { return &v }

var post = crudbench.Post{ID: 1, UserID: 1, Title: "Hi", Body: "there"}

func createPost(start, end int) *history.Op {
	o := op(history.CreatePost, start, end, []int64{1}, 201, mustJSON(post))
	o.Post = crudbench.PostCreate{Title: post.Title, Body: post.Body}
	return o
}

func users(rows ...history.Row) history.State { return history.State{Users: rows} }

// emails is a bulk update giving user i the email emails[i]; got, if not
// nil, is the 200 answer's users, else the answer is a 409.
func emails(start, end int, ids []int64, mails []string, got []history.Row) *history.Op {
	o := op(history.BulkUpdate, start, end, ids, 409, errorBody(crudbench.ECONFLICT, "email taken"))
	if got != nil {
		items := make([]crudbench.User, len(got))
		for i, r := range got {
			items[i] = user(r)
		}
		o.Reply = apitest.Reply{Status: 200, Body: mustJSON(httpapi.ItemsResponse{Items: items})}
	}
	for _, m := range mails {
		o.Patches = append(o.Patches, crudbench.UserPatch{Email: ptr(m)})
	}
	return o
}

func withEmail(r history.Row, email string) history.Row { r.Email = email; return r }

func TestCheck(t *testing.T) {
	seeded := []history.Row{ada, bob}
	ada2 := withName(ada, "Ada 2")
	cases := []struct {
		name  string
		ops   []*history.Op
		final history.State
		want  string // in a problem; empty for a consistent history
	}{
		{name: "good/nothing-happened", final: users(ada, bob)},
		{name: "good/create-then-read", ops: []*history.Op{create(0, 1, eve, &eve), read(2, 3, 3, &eve)}, final: users(ada, bob, eve)},
		{name: "good/reads-during-an-update-see-either-value",
			ops:   []*history.Op{rename(0, 10, 1, ada2), read(1, 2, 1, &ada), read(3, 4, 1, &ada2)},
			final: users(ada2, bob)},
		{name: "good/read-after-delete-is-404", ops: []*history.Op{del(0, 1, 2), read(2, 3, 2, nil)}, final: users(ada)},
		{name: "good/create-of-a-taken-email-is-409", ops: []*history.Op{create(0, 1, withName(ada, "Ann"), nil)}, final: users(ada, bob)},
		{name: "good/409-lost-to-an-overlapping-write",
			ops:   []*history.Op{rename(0, 5, 1, ada2), lost(rename(1, 4, 1, withName(ada, "Ada 3")))},
			final: users(ada2, bob)},
		{name: "good/post-created", ops: []*history.Op{createPost(0, 1)}, final: history.State{Users: []history.Row{ada, bob}, Posts: []crudbench.Post{post}}},
		{name: "good/list-in-id-order",
			ops:   []*history.Op{op(history.List, 0, 1, []int64{0}, 200, mustJSON(httpapi.ItemsResponse{Items: []crudbench.User{user(ada), user(bob)}}))},
			final: users(ada, bob)},

		{name: "good/bulk-update-swaps-two-emails",
			ops:   []*history.Op{emails(0, 1, []int64{1, 2}, []string{bob.Email, ada.Email}, []history.Row{withEmail(ada, bob.Email), withEmail(bob, ada.Email)})},
			final: users(withEmail(ada, bob.Email), withEmail(bob, ada.Email))},
		{name: "good/409-lost-to-a-write-claiming-an-email-it-releases",
			ops:   []*history.Op{lost(emails(0, 5, []int64{1}, []string{"new@example.com"}, nil)), emails(1, 4, []int64{2}, []string{ada.Email}, nil)},
			final: users(ada, bob)},
		{name: "good/409-lost-to-a-write-releasing-an-email-it-claims",
			ops: []*history.Op{emails(0, 5, []int64{1}, []string{"new@example.com"}, []history.Row{withEmail(ada, "new@example.com")}),
				lost(emails(1, 4, []int64{2}, []string{ada.Email}, nil))},
			final: users(withEmail(ada, "new@example.com"), bob)},
		{name: "good/bulk-update-409-for-an-email-kept-outside-the-batch",
			ops:   []*history.Op{emails(0, 1, []int64{1}, []string{bob.Email}, nil)},
			final: users(ada, bob)},
		{name: "good/bulk-update-409-for-an-email-given-twice",
			ops:   []*history.Op{emails(0, 1, []int64{1, 2}, []string{eve.Email, eve.Email}, nil)},
			final: users(ada, bob)},
		{name: "bad/bulk-update-409-for-a-swap",
			ops:   []*history.Op{emails(0, 1, []int64{1, 2}, []string{bob.Email, ada.Email}, nil)},
			final: users(ada, bob), want: "no row outside it had been given any of its emails"},
		{name: "bad/status-not-allowed", ops: []*history.Op{op(history.Read, 0, 1, []int64{1}, 500, nil)}, final: users(ada, bob),
			want: "status not among"},
		{name: "bad/created-other-than-asked", ops: []*history.Op{create(0, 1, eve, ptr(withName(eve, "Eva")))}, final: users(ada, bob, withName(eve, "Eva")),
			want: "asked for"},
		{name: "bad/id-handed-out-twice", ops: []*history.Op{create(0, 1, eve, &history.Row{ID: 1, Name: eve.Name, Email: eve.Email, Age: eve.Age})}, final: users(ada, bob),
			want: "handed out twice"},
		{name: "bad/update-answer-not-the-patch", ops: []*history.Op{func() *history.Op {
			o := rename(0, 1, 1, ada2)
			o.Patches[0].Name = ptr("Ada 9")
			return o
		}()}, final: users(ada2, bob), want: "not what the patch sets"},
		{name: "bad/404-without-a-delete", ops: []*history.Op{read(0, 1, 2, nil)}, final: users(ada, bob),
			want: "a row was lost"},
		{name: "bad/read-a-value-never-written", ops: []*history.Op{read(0, 1, 1, ptr(withName(ada, "Zed")))}, final: users(ada, bob),
			want: "no successful write gave"},
		{name: "bad/stale-read-after-an-update-ended", ops: []*history.Op{rename(0, 1, 1, ada2), read(2, 3, 1, &ada)}, final: users(ada2, bob),
			want: "had replaced it before the read began"},
		{name: "bad/read-after-delete-ended", ops: []*history.Op{del(0, 1, 2), read(2, 3, 2, &bob)}, final: users(ada),
			want: "after it was deleted"},
		{name: "bad/update-after-delete-ended", ops: []*history.Op{del(0, 1, 1), rename(2, 3, 1, ada2)}, final: users(bob),
			want: "wrote id 1 after it was deleted"},
		{name: "bad/409-concurrent-with-nothing-running", ops: []*history.Op{rename(0, 1, 1, ada2), lost(rename(2, 3, 1, withName(ada, "Ada 3")))}, final: users(ada2, bob),
			want: "no other write of its rows or emails was running"},
		{name: "bad/409-for-an-email-nobody-had", ops: []*history.Op{create(0, 1, eve, nil)}, final: users(ada, bob),
			want: "no other request had set any of its emails"},
		{name: "bad/409-on-update-for-an-email-nobody-had", ops: []*history.Op{func() *history.Op {
			o := op(history.Update, 0, 1, []int64{1}, 409, errorBody(crudbench.ECONFLICT, "email taken"))
			o.Patches = []crudbench.UserPatch{{Email: ptr("new@example.com")}}
			return o
		}()}, final: users(ada, bob), want: "no row outside it had been given any of its emails"},
		{name: "bad/list-out-of-order",
			ops:   []*history.Op{op(history.List, 0, 1, []int64{0}, 200, mustJSON(httpapi.ItemsResponse{Items: []crudbench.User{user(bob), user(ada)}}))},
			final: users(ada, bob), want: "out of order"},
		{name: "bad/row-nobody-created", final: users(ada, bob, eve), want: "no answer created it"},
		{name: "bad/row-still-there-after-delete", ops: []*history.Op{del(0, 1, 2)}, final: users(ada, bob), want: "is still there after"},
		{name: "bad/final-value-not-the-last-write", ops: []*history.Op{rename(0, 1, 1, ada2)}, final: users(ada, bob),
			want: "the last successful writes gave it"},
		{name: "bad/row-gone-without-delete", final: users(ada), want: "no answer says it was deleted"},
		{name: "bad/post-nobody-created", final: history.State{Users: []history.Row{ada, bob}, Posts: []crudbench.Post{post}},
			want: "post {ID:1"},
		{name: "bad/created-post-gone", ops: []*history.Op{createPost(0, 1)}, final: users(ada, bob),
			want: "is gone while its user is there"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := history.Check(seeded, c.ops, c.final)
			if c.want == "" {
				for _, p := range res.Problems {
					t.Errorf("a consistent history rejected: %v", p)
				}
				return
			}
			for _, p := range res.Problems {
				if strings.Contains(p.Error(), c.want) {
					return
				}
			}
			t.Errorf("problems %v; want one saying %q", res.Problems, c.want)
		})
	}
}

func TestCheckCounts(t *testing.T) {
	ops := []*history.Op{create(0, 1, eve, &eve), del(2, 3, 2), lost(rename(2, 4, 1, ada)), rename(3, 5, 1, withName(ada, "Ada 2"))}
	res := history.Check([]history.Row{ada, bob}, ops, users(withName(ada, "Ada 2"), eve))
	if len(res.Problems) != 0 {
		t.Fatalf("problems: %v", res.Problems)
	}
	if res.Existed != 3 || res.Deleted != 1 || res.Lost != 1 || res.Writes != 4 || res.Statuses[history.Update][409] != 1 {
		t.Errorf("got %s; want 3 rows existed, 4 writes, 1 deleted, 1 lost, one update 409", res.Summary())
	}
}
