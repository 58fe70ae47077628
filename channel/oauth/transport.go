package oauth

import (
	"io"
	"net/http"
)

// maxDrain is how much of a 401 answer is read before the request is sent
// again, so its connection can be reused.
const maxDrain = 64 << 10

// Transport returns an http.RoundTripper that sends every request through
// base with the channel's token in the Authorization header. When the
// endpoint answers 401 it drops that token, fetches a new one and sends the
// request once more (tokens can be revoked or expire early; one retry
// covers that, and a second 401 is the endpoint's real answer). A request
// whose body cannot be replayed (no GetBody) is not retried.
//
// A failure to get a token is returned as an *Error from RoundTrip, so the
// caller's client wraps it in a *url.Error: find it with errors.As.
func (t *Tokens) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{tokens: t, base: base}
}

type transport struct {
	tokens *Tokens
	base   http.RoundTripper
}

func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := tr.tokens.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := tr.base.RoundTrip(authorized(req, tok.Type()+" "+tok.AccessToken))
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.GetBody == nil) {
		return resp, err
	}
	var body io.ReadCloser
	if req.GetBody != nil {
		if body, err = req.GetBody(); err != nil {
			return resp, nil // cannot replay: the 401 stands
		}
	}
	io.CopyN(io.Discard, resp.Body, maxDrain)
	resp.Body.Close()
	tr.tokens.Invalidate(tok)
	fresh, err := tr.tokens.Token(ctx)
	if err != nil {
		// The token endpoint decides now: unreachable is transient, refused
		// credentials permanent, as for the first token.
		if body != nil {
			body.Close()
		}
		return nil, err
	}
	retry := authorized(req, fresh.Type()+" "+fresh.AccessToken)
	retry.Body = body
	return tr.base.RoundTrip(retry)
}

// authorized is a shallow copy of req with its own header map carrying the
// Authorization value; a RoundTripper must not modify the caller's request.
func authorized(req *http.Request, value string) *http.Request {
	r := req.Clone(req.Context()) // copies the header map; Body is shared
	r.Header.Set("Authorization", value)
	return r
}

// closeBody closes a request body the transport will not send, as a
// RoundTripper must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// CloseIdleConnections passes the call to base, so http.Client's method
// still reaches the pool.
func (tr *transport) CloseIdleConnections() {
	if c, ok := tr.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
