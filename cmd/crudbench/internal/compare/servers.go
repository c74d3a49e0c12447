package compare

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/pgserver"
)

// Servers are a base and a head "crudbench serve" child on one PostgreSQL
// server, each with a database of its own: two servers would add a fixed
// difference between the sides that alternating requests cannot remove.
type Servers struct {
	Base, Head *study.Child
	pg         *pgserver.Server
}

// StartServers provisions one PostgreSQL server as the tests do
// (CRUDBENCH_POSTGRES) and starts baseBin and headBin serving arm with rows
// users, each told by DSN to create its own database on that server. The
// children's logs go to logw.
func StartServers(ctx context.Context, baseBin, headBin, arm string, rows int, log *slog.Logger, logw io.Writer) (_ *Servers, err error) {
	pg, err := startPostgres(ctx, log)
	if err != nil {
		return nil, err
	}
	s := &Servers{pg: pg}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Stop())
		}
	}()
	env := []string{pgserver.EnvProvider + "=" + pg.DSN("postgres")}
	if s.Base, err = study.StartServeEnv(ctx, study.Exe{baseBin}, arm, rows, env, logw); err != nil {
		return s, fmt.Errorf("starting base %s: %w", baseBin, err)
	}
	if s.Head, err = study.StartServeEnv(ctx, study.Exe{headBin}, arm, rows, env, logw); err != nil {
		return s, fmt.Errorf("starting head %s: %w", headBin, err)
	}
	return s, nil
}

// Stop stops both children, which drop their databases, then PostgreSQL.
func (s *Servers) Stop() error {
	var children []*study.Child
	for _, c := range []*study.Child{s.Base, s.Head} {
		if c != nil {
			children = append(children, c)
		}
	}
	return stopAll(children, s.pg)
}
