package compare

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
)

func TestPeerList(t *testing.T) {
	for _, c := range []struct {
		in      string
		control bool
		want    []string
		err     string
	}{
		{in: "", control: true, want: nil},
		{in: "rust, flask-raw-gunicorn", control: false, want: []string{"rust", "flask-raw-gunicorn"}},
		{in: "rust,flask-raw-gunicorn", control: true, want: []string{"rust", "rust'", "flask-raw-gunicorn"}},
		{in: "flask-orm-dev", control: true, want: []string{"flask-orm-dev", "flask-orm-dev'"}},
		{in: "django", err: `"django" is not a peer`},
		{in: "pgx", err: `"pgx" is not a peer`},
		{in: "rust,rust", err: `"rust" is named twice`},
		{in: "rust'", err: `is not a peer`},
	} {
		got, err := peerList(c.in, c.control)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("peerList(%q): error %v, want one saying %s", c.in, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("peerList(%q, %v) = %q, %v; want %q", c.in, c.control, got, err, c.want)
		}
	}
}

func TestPeersFlag(t *testing.T) {
	var stderr bytes.Buffer
	if code := Main([]string{"-peers", "rust,nosuch"}, &bytes.Buffer{}, &stderr); code != cli.ExitUsage {
		t.Fatalf("exit %d, want %d (bad flags); stderr: %s", code, cli.ExitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"nosuch" is not a peer`) || !strings.Contains(stderr.String(), "flask-raw-gunicorn") {
		t.Errorf("stderr %q: want the unknown name and the known peers", stderr.String())
	}
	stderr.Reset()
	if code := Main([]string{"-peers", "rust", "-base", "http://x"}, &bytes.Buffer{}, &stderr); code != cli.ExitUsage {
		t.Errorf("-peers with -base: exit %d, want %d; stderr: %s", code, cli.ExitUsage, stderr.String())
	}
}
