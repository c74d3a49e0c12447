package crudbench_test

import (
	"testing"

	"github.com/crudbench/crudbench/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, printConfig) }
