package tmpl

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
)

func TestRender(t *testing.T) {
	m := &channel.Message{Title: "请审批", Body: `报销单 "#42"`, Address: "13800000000",
		Payload: json.RawMessage(`{"amount": 120, "who": {"name": "张三"}}`)}
	cases := []struct{ text, want string }{
		{`{{.Address}}: {{.Title}}`, "13800000000: 请审批"},
		{`{"text": {{json .Body}}}`, `{"text": "报销单 \"#42\""}`},
		{`{{.Payload.amount}} {{.Payload.who.name}}`, "120 张三"},
		{`{{.Payload.missing}}`, "<no value>"},
		{`{{or .Payload.missing ""}}`, ""},
		{`{{urlquery .Title}}`, "%E8%AF%B7%E5%AE%A1%E6%89%B9"},
	}
	for _, c := range cases {
		tp, err := Parse("t", c.text)
		if err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		got, err := tp.Render(m)
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.text, got, err, c.want)
		}
	}
	// A message without a payload renders payload fields as missing.
	tp, err := Parse("t", `[{{or .Payload.amount "-"}}]`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tp.Render(&channel.Message{}); err != nil || got != "[-]" {
		t.Errorf("no payload: got %q, %v", got, err)
	}
	h, err := ParseHTML("h", `<p>{{.Body}}</p>`)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Render(m); got != `<p>报销单 &#34;#42&#34;</p>` {
		t.Errorf("html: got %q", got)
	}
}

// Errors are caught when the template is parsed, naming where it came from.
func TestErrorsAtParse(t *testing.T) {
	for _, text := range []string{`{{.Titel}}`, `{{.Title`, `{{nosuch .Title}}`} {
		_, err := Parse("config.body_template", text)
		if err == nil || !strings.Contains(err.Error(), "config.body_template") {
			t.Errorf("%s: got %v, want an error naming config.body_template", text, err)
		}
	}
}
