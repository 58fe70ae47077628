package channel

import (
	"strings"
	"testing"
)

func TestCleanJSON(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"object", ` {"cancel": true, "prompt": "请补充"} `, `{"cancel":true,"prompt":"请补充"}`},
		{"array", `[1, 2.50, 12345678901234567890]`, `[1,2.50,12345678901234567890]`},
		{"HTML kept as it is", `{"a": "<b>&"}`, `{"a":"<b>&"}`},
		{"bare scalar: ISJSON on SQL Server 2016 refuses it", `"ok"`, ``},
		{"number", `42`, ``},
		{"not JSON", `OK, thanks`, ``},
		{"trailing garbage", `{"a": 1} x`, ``},
		{"two values", `{"a": 1} {"b": 2}`, ``},
		{"NUL in a string: jsonb refuses it", `{"a": "x\u0000y"}`, ``},
		{"NUL in a key", `{"a\u0000": 1}`, ``},
		{"number beyond a double", `{"a": 1e400}`, ``},
		{"lone surrogate becomes U+FFFD", `{"a": "\ud800"}`, `{"a":"` + "\uFFFD" + `"}`},
		{"invalid UTF-8 becomes U+FFFD", "{\"a\": \"\xff\"}", `{"a":"` + "\uFFFD" + `"}`},
		{"deep", strings.Repeat("[", 64) + strings.Repeat("]", 64), strings.Repeat("[", 64) + strings.Repeat("]", 64)},
		{"too deep", strings.Repeat("[", 66) + strings.Repeat("]", 66), ``},
		{"too large", `["` + strings.Repeat("x", MaxJSONResponse) + `"]`, ``},
		{"empty", ``, ``},
	}
	for _, c := range cases {
		if got := CleanJSON([]byte(c.in)); got != c.want {
			t.Errorf("%s: CleanJSON(%.60q) = %.60q, want %.60q", c.name, c.in, got, c.want)
		}
	}
}

func TestRedactJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"headers":{"Authorization":"Bearer abc.def"}}`, `{"headers":{"Authorization":"[redacted]"}}`},
		{`{"password":["a","b"],"note":"call https://u:pw@example.com/x","token_count":3}`,
			`{"note":"call https://u:[redacted]@example.com/x","password":"[redacted]","token_count":3}`},
		{`{"prompt":"请补充"}`, `{"prompt":"请补充"}`},
		{``, ``},
	}
	for _, c := range cases {
		if got := RedactJSON(c.in); got != c.want {
			t.Errorf("RedactJSON(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}
