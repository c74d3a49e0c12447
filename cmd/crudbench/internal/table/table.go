// Package table writes the tables of the gate and the report, as aligned
// plain text or as GitHub-flavoured Markdown.
package table

import (
	"strings"
	"unicode/utf8"
)

// RightFrom returns the alignment of n columns of which the first left
// are left-aligned (text) and the rest right-aligned (numbers).
func RightFrom(n, left int) []bool {
	right := make([]bool, n)
	for i := left; i < n; i++ {
		right[i] = true
	}
	return right
}

// EscapePipes keeps a cell from breaking a Markdown table.
func EscapePipes(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Markdown renders a Markdown table; right marks the right-aligned
// columns and escape, applied to every body cell, keeps cells from
// breaking the table (EscapePipes, or more).
func Markdown(header []string, right []bool, rows [][]string, escape func(string) string) string {
	var sb strings.Builder
	sb.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for i := range header {
		if right[i] {
			sb.WriteString("--:|")
		} else {
			sb.WriteString("---|")
		}
	}
	sb.WriteString("\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = escape(c)
		}
		sb.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return sb.String()
}

// Text renders rows (the header first) as plain text with columns padded
// to equal width, counted in runes since scaled values hold "µ", and
// separated by two spaces; right marks the right-aligned columns. The
// last column is not padded.
func Text(rows [][]string, right []bool) string {
	width := make([]int, len(right))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var sb strings.Builder
	for _, row := range rows {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				sb.WriteString("  ")
			}
			switch {
			case right[i]:
				sb.WriteString(pad + c)
			case i < len(row)-1:
				sb.WriteString(c + pad)
			default:
				sb.WriteString(c)
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
