package sqlcheck

import "strings"

// Lang says which lexical rules strip follows.
type Lang int

const (
	// TSQL: '…' strings ('' escapes, N prefix), [bracketed] and "quoted"
	// identifiers, -- and nested /* */ comments.
	TSQL Lang = iota
	// PostgreSQL: '…' strings, E'…' strings with backslash escapes,
	// $tag$…$tag$ bodies, "quoted" identifiers, -- and nested /* */ comments.
	PostgreSQL
)

// Strip blanks out comments (always) and the contents of string literals and
// dollar-quoted bodies (when blankStrings), replacing each removed character
// with a space but keeping newlines, so that positions and line numbers in
// the result are those of the input. Quotes themselves are kept: a blanked
// string reads N'   '.
func Strip(text string, lang Lang, blankStrings bool) string {
	b := []byte(text)
	out := make([]byte, len(b))
	copy(out, b)
	blank := func(from, to int) {
		for i := from; i < to && i < len(out); i++ {
			if out[i] != '\n' && out[i] != '\r' {
				out[i] = ' '
			}
		}
	}
	i := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c == '-' && i+1 < len(b) && b[i+1] == '-':
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(b) - i
			}
			blank(i, i+end)
			i += end
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			depth, j := 1, i+2
			for j < len(b) && depth > 0 {
				switch {
				case b[j] == '/' && j+1 < len(b) && b[j+1] == '*':
					depth++
					j += 2
				case b[j] == '*' && j+1 < len(b) && b[j+1] == '/':
					depth--
					j += 2
				default:
					j++
				}
			}
			blank(i, j)
			i = j
		case c == '\'':
			backslash := lang == PostgreSQL && i > 0 && (b[i-1] == 'E' || b[i-1] == 'e') && (i < 2 || !isIdent(b[i-2]))
			j := i + 1
			for j < len(b) {
				if backslash && b[j] == '\\' {
					j += 2
					continue
				}
				if b[j] == '\'' {
					if j+1 < len(b) && b[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if blankStrings {
				blank(i+1, j)
			}
			i = j + 1
		case c == '"':
			j := i + 1
			for j < len(b) && !(b[j] == '"' && (j+1 >= len(b) || b[j+1] != '"')) {
				if b[j] == '"' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '[' && lang == TSQL:
			j := i + 1
			for j < len(b) && !(b[j] == ']' && (j+1 >= len(b) || b[j+1] != ']')) {
				if b[j] == ']' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '$' && lang == PostgreSQL && (i == 0 || !isIdent(b[i-1])):
			tagEnd := i + 1
			for tagEnd < len(b) && isIdent(b[tagEnd]) && b[tagEnd] != '$' {
				tagEnd++
			}
			if tagEnd >= len(b) || b[tagEnd] != '$' || (tagEnd > i+1 && b[i+1] >= '0' && b[i+1] <= '9') {
				i++ // $1, or a lone $
				continue
			}
			tag := text[i : tagEnd+1]
			end := strings.Index(text[tagEnd+1:], tag)
			if end < 0 {
				end = len(b) - tagEnd - 1
			}
			if blankStrings {
				blank(tagEnd+1, tagEnd+1+end)
			}
			i = tagEnd + 1 + end + len(tag)
		default:
			i++
		}
	}
	return string(out)
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// stringLiterals returns the T-SQL string literals of text (comments
// ignored) with their start offsets (of the opening quote).
func stringLiterals(text string) (lits []string, at []int) {
	code := Strip(text, TSQL, false)
	blanked := Strip(text, TSQL, true)
	for i := 0; i < len(code); i++ {
		if code[i] != '\'' || blanked[i] != '\'' {
			continue
		}
		j := i + 1
		for j < len(code) && !(code[j] == '\'' && blanked[j] == '\'') {
			j++
		}
		lits = append(lits, strings.ReplaceAll(text[i+1:min(j, len(text))], "''", "'"))
		at = append(at, i)
		i = j
	}
	return lits, at
}

// splitTopLevel splits s on sep where no parenthesis is open. s should be
// stripped (strings blanked) first.
func splitTopLevel(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// lineOf is the 1-based line of offset i in text.
func lineOf(text string, i int) int {
	return strings.Count(text[:min(i, len(text))], "\n") + 1
}
