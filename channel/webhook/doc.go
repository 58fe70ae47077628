// Package webhook delivers relay messages to HTTP endpoints (channel kind
// "webhook"): one POST per attempt, signed the Standard Webhooks way
// (https://www.standardwebhooks.com), classified into sent, transient or
// permanent so the listener can decide about retries.
//
// # Envelope
//
// The request body is one JSON object, Content-Type application/json:
//
//	{"id":42,"key":"order-42-paid","event":"order.paid","sender":"shop",
//	 "receiver":"crm","address":"","channel":"crm-webhook","title":"…",
//	 "body":"…","payload":{…},"ref":"","created_at":"2025-01-02T03:04:05.123456Z",
//	 "attempt":1}
//
// Every field is always present. payload is the message's JSON value passed
// through unchanged, or null when the message has none; a payload that is not
// valid UTF-8 JSON is never sent (the attempt is permanent, because resending
// cannot repair it). created_at is RFC 3339 in UTC with as many fractional
// digits as needed (Go's time.RFC3339Nano). Strings are escaped like
// encoding/json does but without HTML escaping: <, > and & reach the receiver
// as they are, and non-ASCII text (Chinese, emoji, …) passes byte for byte.
//
// # Headers
//
// webhook-id is always the message key: it is the same on every attempt, so
// receivers de-duplicate retries on it. When the channel has a secret_env,
// the request also carries webhook-timestamp (Unix seconds) and
// webhook-signature ("v1," + base64 HMAC-SHA256 of id.timestamp.body, keyed
// with the base64-decoded secret), which any Standard Webhooks library
// verifies. The secret itself lives in the listener's environment, in the
// usual whsec_<base64> form, never in the database.
//
// The channel's config may add headers (a string, which may be a template
// over the message, package channel/tmpl; or {"value_from_env": "NAME"}),
// and HTTP basic auth whose password also comes from the environment, or an
// OAuth2 client-credentials token (package channel/oauth):
//
//	{"headers": {"X-Tenant": "acme", "X-Ref": "{{.Ref}}"},
//	 "basic_auth": {"username": "relay", "password_env": "CRM_HOOK_PASSWORD"}}
//
//	{"oauth2": {"token_url": "https://login.example/oauth2/token", "client_id": "relay",
//	            "client_secret_env": "DBRELAY_SECRET_CRM_CLIENT", "scope": "hooks.write"}}
//
// Everything about a channel (URL, config, secret, static headers,
// templates) is checked and prepared once when the listener builds the
// sender, so a typo fails at start-up with a message naming the channel and
// what to fix, and the hot path only renders template headers (when there
// are any), encodes, signs and posts. A config naming a "preset" is a chat
// robot, built by package channel/robot instead.
//
// # Classification
//
// 2xx is sent. 408, 425, 429 and 5xx are transient, and their Retry-After
// (seconds or HTTP-date, capped at 24h) is reported to the listener. Every
// other status is permanent: another 4xx means the receiver rejected this
// message and will reject it again. Network failures (timeouts, refused or
// reset connections, DNS, TLS, a connection closed before the response) are
// transient, and so is an attempt interrupted because the listener is
// shutting down. Response bodies are kept up to channel.MaxResponseBody
// bytes, cleaned into valid UTF-8 without NUL so they can be stored in a
// PostgreSQL text column.
//
// # Redirects are not followed
//
// A 3xx answer is permanent and its Location is only reported. Outbound
// targets may come from the channel table alone, which an operator controls;
// following a redirect would let whoever answers at the target send signed
// messages, and the credentials in their headers, to any other host,
// including internal addresses. If an endpoint moved, update the channel's
// target.
package webhook
