// Package sms is the "sms" channel kind: one HTTP request per message to an
// SMS gateway, built from the channel's config, so that any gateway with an
// HTTP send-message API can be used without code.
//
// # Config
//
//	{"method": "POST",
//	 "form": {"To": "{{.Address}}", "From": "+15005550006", "Body": "{{.Title}}: {{.Body}}"},
//	 "basic_auth": {"username": "AC0123…", "password_env": "DBRELAY_SECRET_TWILIO_TOKEN"},
//	 "response": {"message_path": "message"}}
//
// The target is the gateway's URL. Every key is optional:
//
//   - method: POST (the default), PUT, PATCH or GET.
//   - query: parameters added to the target URL's query.
//   - form: an application/x-www-form-urlencoded body; or json: a JSON
//     body of any shape (not both). In query and form each value, and in
//     json each string, is a template over the message (package
//     channel/tmpl: {{.Address}}, {{.Title}}, {{.Body}}, {{.Ref}},
//     {{.Payload.x}}, …) or {"value_from_env": "NAME"} for a secret such as
//     an API key. Values are encoded by dbrelay (URL or JSON escaping), so a
//     template never needs to escape anything.
//   - headers: extra request headers, values as above.
//   - basic_auth {"username", "password_env"}, or bearer_token_env: the
//     gateway's credentials, read from the listener's environment.
//   - response: how to read a gateway that answers 200 with an error code
//     inside (see below).
//
// Secrets are read once, when the channel is built, through the operator's
// allow-list (package secret), and masked in stored responses. Templates
// are parsed and tried on a sample message at the same time, so a mistake
// fails when the channel is added or the listener starts.
//
// # Outcomes
//
// The HTTP status decides as for webhooks: 2xx sent; 408, 425, 429, 5xx and
// network errors transient; other statuses (a redirect included)
// permanent. With config.response.path, the answer's JSON is read as well:
//
//	"response": {"path": "Code", "success": "OK",
//	             "transient": ["isp.SYSTEM_ERROR", "isv.BUSINESS_LIMIT_CONTROL"],
//	             "message_path": "Message"}
//
// path is where the gateway's result code is (dot-separated; a number
// indexes an array: "Response.SendStatusSet.0.Code"); a list of paths means
// the first one present. A 2xx answer is sent only when the value there is
// one of success (a value or a list; compared as text, so 0 matches "0").
// A value listed in transient is retried, any other is permanent, and so is
// a 2xx answer that is not JSON or lacks the path: dbrelay cannot tell
// whether the SMS went out, and resending could send it twice.
// message_path names the gateway's explanation, quoted in last_error.
package sms
