package table

import "testing"

func TestTables(t *testing.T) {
	rows := [][]string{{"a|b", "1"}, {"µ", "100"}}
	tests := []struct {
		name, got, want string
	}{
		{"markdown", Markdown([]string{"name", "n"}, RightFrom(2, 1), rows, EscapePipes),
			"| name | n |\n|---|--:|\n| a\\|b | 1 |\n| µ | 100 |\n"},
		{"text", Text(append([][]string{{"name", "n"}}, rows...), RightFrom(2, 1)),
			"name    n\na|b     1\nµ     100\n"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s:\n%q\nwant\n%q", tt.name, tt.got, tt.want)
		}
	}
}
