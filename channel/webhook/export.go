package webhook

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dbrelay/dbrelay/channel"
)

// The HTTP rules of this package, for the other kinds that deliver over
// HTTP (sms, the chat robots): the issue asks that their responses decide
// sent, transient or permanent "as for webhooks", and one copy of the rules
// keeps them from drifting apart.

// Classify turns an endpoint's response into a Result by its status, as
// webhook channels do: 2xx sent; 408, 425, 429 and 5xx transient with the
// Retry-After; a redirect, or any other status, permanent. It reads up to
// channel.MaxResponseBody bytes of the body into Result.Body (cleaned for a
// text column) and closes it.
func Classify(resp *http.Response) channel.Result { return classify(resp) }

// Failure classifies an attempt that produced no response: transient, with
// a short reason that never repeats the target URL (its query may be a
// token). parent is the caller's context, attempt the one bounded by
// timeout, so that a shutdown, the caller's deadline and the channel's
// timeout are told apart.
func Failure(parent, attempt context.Context, timeout time.Duration, err error) channel.Result {
	s := Sender{timeout: timeout}
	return s.failed(parent, attempt, err)
}

// ParseTarget checks that a channel's target is an absolute http or https
// URL without user:password@; errors do not repeat the URL.
func ParseTarget(target string) (*url.URL, error) { return parseTarget(target) }

// ValidHeaderName reports whether name is an RFC 9110 token.
func ValidHeaderName(name string) bool { return validHeaderName(name) }

// ValidHeaderValue reports whether v can be sent as a header value (no
// control characters but tab).
func ValidHeaderValue(v string) bool { return validHeaderValue(v) }

// NoRedirect is a CheckRedirect that returns a 3xx response as it is:
// targets may come only from the channel table (see the package
// documentation). Factories that take a caller's client set it on their
// copy.
func NoRedirect(req *http.Request, via []*http.Request) error { return noRedirect(req, via) }
