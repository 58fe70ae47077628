// Package inbound is `dbrelay serve`: other systems call into the database
// over HTTP. Each request is a POST of a JSON body to a path registered in
// relay.endpoint; serve authenticates it (HTTP Basic, a bearer token,
// Standard Webhooks HMAC or HTTP Digest, per endpoint), and in one
// transaction records it in relay.inbound and calls the endpoint's
// procedure, which answers with a status and a JSON value.
//
// What it never does: run a procedure that is not registered for the path
// (the name comes from relay.endpoint, is resolved in the catalog and
// quoted; nothing from the request reaches SQL except as a parameter), run
// a procedure twice for one idempotency key (webhook-id or
// Idempotency-Key), or leave anything behind a refused request but its row
// in relay.inbound. docs/inbound.md is the guide for integrators and
// operators.
//
// Shape of a request:
//
//	path ─▶ endpoint (or 401/404) ─▶ auth (401) ─▶ body (413) ─▶ rate (429)
//	     ─▶ JSON (400) ─▶ one transaction: record, claim key, call, record answer
//	                       ─▶ 2xx commit │ 4xx refused │ raise → 422 │ replay → first answer
package inbound
