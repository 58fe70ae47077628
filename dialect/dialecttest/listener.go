package dialecttest

import "testing"

// runListenerSuite runs the listener's behaviour against the dialect.
func runListenerSuite(t *testing.T, h Harness) {}
