// Package chaos is dbrelay's fault harness (issue 13): it runs the real
// `dbrelay listen` binary as a child process against a private, durable
// PostgreSQL (fsync on, so a crash is a real crash) reached through a TCP
// proxy that can cut or black-hole connections (internal/faultproxy), lets
// it deliver to a recording receiver, injects one kind of fault per
// scenario (SIGKILL, SIGTERM, PostgreSQL crashes and restarts, lost replies,
// a stalled endpoint …), and at the end compares every message's outcome in
// the database with what the receiver saw.
//
// Run it with `make chaos` (every scenario, well under 15 minutes on 2
// cores) or `make chaos ONLY=sigkill-loop,flapping N=5000`. The scenarios
// are Go tests behind the build tag `chaos`, so `make test` only compiles
// (vets) them and runs the harness's own fast unit tests.
//
// For each run it reports pushed, delivered unique, duplicates, lost, stuck,
// mismatches and wall time (see Tally for the exact definitions), and fails
// on any lost, stuck or mismatched message, and on duplicates where no fault
// explains one: a SIGKILL, a PostgreSQL crash or a database unreachable at
// shutdown can make a listener deliver a message again; a healthy listener
// must not.
package chaos
