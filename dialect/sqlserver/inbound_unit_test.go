package sqlserver

import (
	"strings"
	"testing"
)

// The endpoint contract as sys.parameters describes it (max_length in
// bytes, -1 for max), checked without a server.
func TestEndpointContract(t *testing.T) {
	good := []param{{"bigint", 8, false}, {"nvarchar", 400, false}, {"nvarchar", -1, false},
		{"nvarchar", -1, false}, {"int", 4, true}, {"nvarchar", -1, true}}
	if !contract(good) {
		t.Fatal("relay.on_inbound's own parameters are refused")
	}
	for name, change := range map[string]func([]param){
		"short endpoint":       func(p []param) { p[1].maxLength = 200 }, // nvarchar(100)
		"body not max":         func(p []param) { p[3].maxLength = 8000 },
		"status not OUTPUT":    func(p []param) { p[4].output = false },
		"response not OUTPUT":  func(p []param) { p[5].output = false },
		"status a bigint":      func(p []param) { p[4].typ = "bigint" },
		"varchar body":         func(p []param) { p[3].typ = "varchar" },
		"inbound_id an output": func(p []param) { p[0].output = true },
	} {
		ps := append([]param(nil), good...)
		change(ps)
		if contract(ps) {
			t.Errorf("%s: accepted", name)
		}
	}
	if contract(good[:5]) || contract(append(append([]param(nil), good...), param{"int", 4, false})) {
		t.Error("a procedure with five or seven parameters was accepted")
	}
}

func TestQuoteName(t *testing.T) {
	for in, want := range map[string]string{"relay": "[relay]", "on_inbound": "[on_inbound]", "a]b": "[a]]b]", "x];DROP": "[x]];DROP]"} {
		if got := quoteName(in); got != want {
			t.Errorf("quoteName(%q) = %s, want %s", in, got, want)
		}
	}
	if !strings.Contains(callProcedure, "%s @p1, @p2, @p3, @p4, @status OUTPUT, @response OUTPUT") {
		t.Error("the call batch passes other arguments than the contract's")
	}
}
