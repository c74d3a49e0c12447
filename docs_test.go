package crudbench_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/arms"
)

// readmeMaxLines keeps README.md a front door; the rest is in docs/.
const readmeMaxLines = 150

// docFiles returns README.md, every docs/*.md and every results/*/README.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	for _, pattern := range []string{"docs/*.md", "results/*/README.md"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSettingsTable compares docs/settings.md's table with every
// CRUDBENCH_* name the Go source reads: every string literal that starts
// with such a name, whether passed to os.Getenv or os.LookupEnv or held in
// a constant such as suite.EnvFull.
func TestSettingsTable(t *testing.T) {
	literal := regexp.MustCompile(`"(CRUDBENCH_[A-Z0-9_]*[A-Z0-9])`)
	inCode := map[string]string{} // name -> a file that reads it
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			inCode[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `(CRUDBENCH_[A-Z0-9_]+)` \\|")
	var inTable []string
	for _, m := range row.FindAllStringSubmatch(readFile(t, "docs/settings.md"), -1) {
		inTable = append(inTable, m[1])
	}
	for name, file := range inCode {
		if !slices.Contains(inTable, name) {
			t.Errorf("%s reads %s, which docs/settings.md's table lacks", file, name)
		}
	}
	for _, name := range inTable {
		if _, ok := inCode[name]; !ok {
			t.Errorf("docs/settings.md lists %s, which no Go file reads", name)
		}
	}
}

// TestDocArmSets holds every arm list and arm table of the docs to the
// table of package arms.
func TestDocArmSets(t *testing.T) {
	for _, f := range docFiles(t) {
		for _, s := range arms.StaleSets(readFile(t, f)) {
			t.Errorf("%s: %s", f, s)
		}
	}
}

// TestDocLinks checks that every relative link of the docs points at a
// file or folder that exists.
func TestDocLinks(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, f := range docFiles(t) {
		for _, m := range link.FindAllStringSubmatch(readFile(t, f), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links to %s: %v", f, target, err)
			}
		}
	}
}

// TestREADMEIsAFrontDoor keeps README.md short and its Layout true: it
// names every top-level folder and every root test file, and every path
// it names exists.
func TestREADMEIsAFrontDoor(t *testing.T) {
	readme := readFile(t, "README.md")
	if n := strings.Count(readme, "\n"); n > readmeMaxLines {
		t.Errorf("README.md has %d lines, want at most %d: move the detail to docs/", n, readmeMaxLines)
	}
	_, layout, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no Layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	_, block, _ := strings.Cut(layout, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var named []string
	for _, l := range strings.Split(block, "\n") {
		fields := strings.Fields(l)
		for _, f := range fields {
			if !strings.HasSuffix(f, "/") && !strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, ".sql") {
				break // the description starts
			}
			named = append(named, f)
			if _, err := os.Stat(f); err != nil {
				t.Errorf("README.md's Layout names %s: %v", f, err)
			}
		}
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir() && !slices.Contains(named, name+"/"):
			t.Errorf("README.md's Layout does not name the folder %s/", name)
		case strings.HasSuffix(name, "_test.go") && !slices.Contains(named, name):
			t.Errorf("README.md's Layout does not name the test file %s", name)
		}
	}
}
