package chaos

import (
	"fmt"
	"strings"
	"time"
)

// Table renders the runs as a Markdown table, then each run's notes and
// failures.
func Table(results []Result) string {
	var b strings.Builder
	b.WriteString("| scenario | pushed | delivered unique | duplicates | lost | stuck | mismatches | wall | result |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range results {
		verdict := "pass"
		if len(r.Failures) > 0 {
			verdict = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %s | %s |\n", r.Scenario, r.Pushed, r.Delivered,
			r.Duplicates, r.Lost, r.Stuck, mismatchCell(r.Counts), r.Wall.Round(100*time.Millisecond), verdict)
	}
	b.WriteString("\n")
	for _, r := range results {
		if len(r.Notes) == 0 && len(r.Failures) == 0 {
			continue
		}
		fmt.Fprintf(&b, "- **%s** (%d requests):", r.Scenario, r.Requests)
		for _, n := range r.Notes {
			b.WriteString(" " + n + ";")
		}
		for _, f := range r.Failures {
			b.WriteString(" FAIL: " + f + ";")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mismatchCell is the mismatch total with its kinds.
func mismatchCell(c Counts) string {
	if c.Mismatches == 0 {
		return "0"
	}
	var kinds []string
	for _, k := range []struct {
		n    int
		name string
	}{{c.Phantom, "phantom attempt rows"}, {c.Unrecorded, "unrecorded"}, {c.DeadAccepted, "dead but accepted"},
		{c.Unknown, "unknown"}, {c.MetricDrift, "metric drift"}} {
		if k.n > 0 {
			kinds = append(kinds, fmt.Sprintf("%d %s", k.n, k.name))
		}
	}
	return fmt.Sprintf("%d (%s)", c.Mismatches, strings.Join(kinds, ", "))
}
