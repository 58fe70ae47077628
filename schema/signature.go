package schema

import (
	"regexp"
	"strings"
)

// Signatures lists the parameter names of every procedure and function that
// text creates (an object file, or a definition read from the database:
// pg_get_functiondef's text, or a T-SQL module's, CREATE or ALTER), by normalised object
// name; an object created more than once (PostgreSQL overloads) has one
// list per CREATE. Names are in lower case, without T-SQL's @.
//
// It reads what a signature check needs and no more: the parenthesised
// list after the name (PostgreSQL, or T-SQL written with parentheses), or
// T-SQL's bare list up to AS or WITH.
func Signatures(text string) map[string][][]string {
	code := blankComments(text)
	out := map[string][][]string{}
	for _, m := range routineRe.FindAllStringSubmatchIndex(code, -1) {
		name := normalName(code[m[2]:m[3]])
		out[name] = append(out[name], parameterNames(code[m[3]:]))
	}
	return out
}

var (
	// routineRe finds a routine's header, ALTER included: SQL Server keeps
	// the text a module was last altered with.
	routineRe    = regexp.MustCompile(`(?i)\b(?:create(?:\s+or\s+(?:replace|alter))?|alter)\s+(?:function|procedure|proc)\s+(` + qualified + `)`)
	routineEndRe = regexp.MustCompile(`(?i)\b(as|with|returns|language)\b`)
	modeRe       = regexp.MustCompile(`(?i)^(in|out|inout|variadic)$`)
)

// parameterNames reads the parameter list at the start of rest (what
// follows a routine's name).
func parameterNames(rest string) []string {
	trimmed := strings.TrimLeft(rest, " \t\r\n")
	var list string
	if strings.HasPrefix(trimmed, "(") {
		depth, end := 0, -1
		for i, r := range trimmed {
			if r == '(' {
				depth++
			} else if r == ')' {
				if depth--; depth == 0 {
					end = i
					break
				}
			}
		}
		if end < 0 {
			return nil
		}
		list = trimmed[1:end]
	} else {
		end := len(trimmed)
		if m := routineEndRe.FindStringIndex(trimmed); m != nil {
			end = m[0]
		}
		list = trimmed[:end]
	}
	names := []string{}
	depth, start := 0, 0
	for i := 0; i <= len(list); i++ {
		if i < len(list) {
			switch list[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth != 0 {
					continue
				}
			default:
				continue
			}
		}
		if f := strings.Fields(list[start:i]); len(f) > 0 {
			if modeRe.MatchString(f[0]) && len(f) > 1 {
				f = f[1:]
			}
			names = append(names, normalName(strings.TrimPrefix(f[0], "@")))
		}
		start = i + 1
	}
	return names
}
