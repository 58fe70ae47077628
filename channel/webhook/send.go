package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/channel/oauth"
)

const (
	// maxDrain is how much of a response beyond MaxResponseBody is read and
	// discarded so the connection can be reused; past it, closing the
	// connection is cheaper than reading on.
	maxDrain = 64 << 10
	// maxRetryAfter caps Retry-After: a receiver asking for days should not
	// park a message beyond what backoff and max_attempts plan for.
	maxRetryAfter = 24 * time.Hour
	// maxPooledEnvelope keeps exceptionally large envelopes out of the pool
	// so one huge payload does not pin its buffer for the process lifetime.
	maxPooledEnvelope = 64 << 10
	// maxLocation bounds the redirect target quoted in Result.Err.
	maxLocation = 256
)

// Send posts m to the channel's target once and classifies the outcome. It
// never retries by itself: retries, backoff and dead letters belong to the
// listener so every channel kind behaves the same.
func (s *Sender) Send(ctx context.Context, m *channel.Message) channel.Result {
	if m.Key == "" {
		return permanent("message has no key; receivers de-duplicate on webhook-id, so it cannot be sent without one")
	}
	if !validHeaderValue(m.Key) {
		return permanent("message key contains control characters and cannot be sent as webhook-id")
	}

	// Build "id.timestamp." (when signing) and the envelope in one pooled
	// buffer, so the HMAC runs over one slice and the body is a sub-slice.
	e := getEnvelope()
	b := e.buf[:0]
	var ts int64
	if s.signed {
		ts = time.Now().Unix()
		b = appendSignedPrefix(b, m.Key, ts)
	}
	start := len(b)
	b, err := appendEnvelope(b, m)
	if err != nil {
		e.buf = b
		e.release()
		return permanent(err.Error())
	}
	end := len(b)

	h := make(http.Header, len(s.static)+len(s.dynamic)+3)
	for k, v := range s.static {
		h[k] = v // shared, read-only slices
	}
	if err := s.renderHeaders(h, m); err != nil {
		e.buf = b
		e.release()
		return permanent(err.Error())
	}
	vals := make([]string, 3)
	vals[0] = m.Key
	h[headerID] = vals[0:1:1]
	if s.signed {
		// Append timestamp and signature after the body and turn them
		// into one string: a single allocation for both header values.
		hs := len(b)
		b = strconv.AppendInt(b, ts, 10)
		tsLen := len(b) - hs
		mac := s.macs.Get().(hash.Hash)
		b = appendSignature(b, mac, b[:end])
		s.macs.Put(mac)
		v := string(b[hs:])
		vals[1], vals[2] = v[:tsLen], v[tsLen:]
		h[headerTimestamp] = vals[1:2:2]
		h[headerSignature] = vals[2:3:3]
	}

	actx := ctx
	if s.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel() // after the response body has been read
	}
	// The body gets its own exact-size copy, read through a *bytes.Reader:
	// net/http sends the headers and an in-memory body of a known type in
	// one write (for other body types it flushes the headers first: two
	// syscalls and two TCP packets per message, paid again by the
	// receiver), and the scratch buffer goes back to the pool at once.
	body := append([]byte(nil), b[start:end]...)
	e.buf = b
	e.release()
	req := s.tmpl.WithContext(actx)
	u := *s.tmpl.URL
	req.URL = &u
	req.Header = h
	req.ContentLength = int64(len(body))
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }

	resp, err := s.client.Do(req)
	if err != nil {
		return s.failed(ctx, actx, err)
	}
	r := classify(resp)
	r.Body = s.mask(r.Body)
	r.JSON = s.maskJSON(r.JSON)
	return r
}

func permanent(msg string) channel.Result {
	return channel.Result{Outcome: channel.Permanent, Err: msg}
}

// classify turns a response into a Result, reading (a prefix of) its body and
// closing it.
func classify(resp *http.Response) channel.Result {
	code := resp.StatusCode
	r := channel.Result{StatusCode: code}
	r.Body, r.JSON = readBody(resp.Body)
	// Stored and shown in relay_api like Body, which the listener
	// redacts: redacted here, as JSON, for every kind that uses classify.
	r.JSON = channel.RedactJSON(r.JSON)
	switch {
	case code >= 200 && code <= 299:
		r.Outcome = channel.Sent
	case code == http.StatusRequestTimeout, code == http.StatusTooEarly,
		code == http.StatusTooManyRequests, code >= 500 && code <= 599:
		r.Outcome = channel.Transient
		r.Err = statusErr(code)
		r.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code >= 300 && code <= 399:
		r.Outcome = channel.Permanent
		loc := resp.Header.Get("Location")
		if loc == "" {
			r.Err = statusErr(code) + ": redirect not followed; update the channel's target"
		} else {
			loc = truncateUTF8(strings.ToValidUTF8(withoutSecrets(loc), "\uFFFD"), maxLocation)
			r.Err = statusErr(code) + ": redirect to " + strconv.Quote(loc) + " not followed; update the channel's target"
		}
	default:
		r.Outcome = channel.Permanent
		r.Err = statusErr(code)
	}
	return r
}

// withoutSecrets reduces a redirect's Location to scheme, host and path:
// its query, fragment and user:password@ often carry a token (a signed
// URL, a session), and the error is stored in last_error, which every
// reader of relay_api sees.
func withoutSecrets(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return "(a Location that does not parse)"
	}
	u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
	s := u.String()
	if strings.ContainsAny(loc, "?#") {
		s += " (query and fragment not shown)"
	}
	return s
}

// statusErr formats a status for Result.Err, e.g. "HTTP 503 Service
// Unavailable". The reason phrase is Go's, not the server's, so it is short
// and consistent.
func statusErr(code int) string {
	if text := http.StatusText(code); text != "" {
		return "HTTP " + strconv.Itoa(code) + " " + text
	}
	return "HTTP " + strconv.Itoa(code)
}

// parseRetryAfter reads a Retry-After value (delta-seconds or HTTP-date,
// RFC 9110 section 10.2.3). Absent, invalid and past values give 0; values
// beyond maxRetryAfter are capped.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseUint(v, 10, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			if err != nil || secs > uint64(maxRetryAfter/time.Second) {
				return maxRetryAfter
			}
			return time.Duration(secs) * time.Second
		}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return 0
	case d > maxRetryAfter:
		return maxRetryAfter
	}
	return d
}

// failed classifies an attempt that produced no response. All of these are
// transient: the network, DNS and TLS can all recover, and the listener's
// max_attempts bounds how long that is waited for.
func (s *Sender) failed(parent, attempt context.Context, err error) channel.Result {
	r := channel.Result{Outcome: channel.Transient}
	switch {
	case errors.Is(parent.Err(), context.Canceled):
		r.Err = "attempt interrupted: " + context.Cause(parent).Error()
	case parent.Err() != nil:
		r.Err = "timeout: the caller's deadline passed"
	case attempt.Err() != nil:
		r.Err = "timeout after " + s.timeout.String()
	default:
		r.Err = describeError(err)
	}
	// Getting the OAuth2 token failed: its own verdict (refused
	// credentials are permanent) and its own words.
	var tokenErr *oauth.Error
	if errors.As(err, &tokenErr) {
		if !tokenErr.Transient {
			r.Outcome = channel.Permanent
		}
		if parent.Err() == nil {
			r.Err = tokenErr.Msg
			if attempt.Err() != nil {
				r.Err += ": timeout after " + s.timeout.String()
			} else if tokenErr.Err != nil {
				r.Err += ": " + describeError(tokenErr.Err)
			}
		}
	}
	return r
}

// describeError gives a short, human reason for a failed request. It drops
// url.Error's `Post "<target>":` prefix because the target's path or query
// may itself be a secret token.
func describeError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		netErr   net.Error
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connect: connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		// The endpoint hung up while the request was being written; the
		// transport then closes its side, hence "use of closed connection".
		return "connection closed by the endpoint while sending the request"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the endpoint before a complete response (EOF)"
	case errors.As(err, &dnsErr):
		return "dns: lookup " + dnsErr.Name + ": " + dnsErr.Err
	case errors.As(err, &certErr):
		return "tls: certificate verification failed: " + certErr.Err.Error()
	case errors.As(err, &recErr):
		return "tls: the endpoint did not answer with TLS (is it http rather than https?)"
	case errors.As(err, &alertErr):
		return "tls: handshake failed: " + alertErr.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout: " + err.Error()
	}
	return err.Error()
}

var responseBufs = sync.Pool{New: func() any { return new([channel.MaxResponseBody]byte) }}

// readBody returns the cleaned first MaxResponseBody bytes of body and,
// when the body is a JSON object or array (its first byte that is not
// white space is { or [, whatever the Content-Type says) of at most
// MaxJSONResponse bytes, the whole of it as channel.CleanJSON makes it.
// Then it drains up to maxDrain more and closes body so the connection goes
// back to the pool instead of being torn down.
func readBody(body io.ReadCloser) (text, js string) {
	p := responseBufs.Get().(*[channel.MaxResponseBody]byte)
	n, err := io.ReadFull(body, p[:])
	full := err == nil
	if looksJSON(p[:n]) {
		if !full {
			js = channel.CleanJSON(p[:n])
		} else {
			all := make([]byte, n, 2*n)
			copy(all, p[:n])
			all, _ = readUpTo(body, all, channel.MaxJSONResponse+1)
			if len(all) <= channel.MaxJSONResponse {
				js = channel.CleanJSON(all)
			}
		}
	}
	text = cleanBody(p[:n], full)
	responseBufs.Put(p)
	if full {
		io.CopyN(io.Discard, body, maxDrain)
	}
	body.Close()
	return text, js
}

// looksJSON reports whether b starts, after white space, like a JSON
// object or array.
func looksJSON(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// readUpTo appends r's bytes to b until b holds max bytes or r ends.
func readUpTo(r io.Reader, b []byte, max int) ([]byte, error) {
	for len(b) < max {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):min(cap(b), max)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
	return b, nil
}

// cleanBody makes b storable in a PostgreSQL text column: valid UTF-8 (bad
// bytes become U+FFFD) and no NUL. When b was cut at the size limit, a
// multi-byte character split by the cut is dropped rather than turned into
// U+FFFD. The result is at most MaxResponseBody bytes.
func cleanBody(b []byte, truncated bool) string {
	if truncated {
		b = trimPartialRune(b)
	}
	if utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
		return string(b)
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	return truncateUTF8(s, channel.MaxResponseBody)
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			return b
		}
	}
	return b
}

// truncateUTF8 cuts valid UTF-8 s to at most max bytes on a rune boundary.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// envelope is a pooled scratch buffer in which one request's signed content
// and body (buf[start:end]) are built; the body is copied out before the
// request is sent, so the buffer is free again as soon as Send has signed.
type envelope struct {
	buf        []byte
	start, end int
}

var envelopes = sync.Pool{New: func() any { return &envelope{buf: make([]byte, 0, 2048)} }}

func getEnvelope() *envelope { return envelopes.Get().(*envelope) }

func (e *envelope) release() {
	if cap(e.buf) <= maxPooledEnvelope {
		envelopes.Put(e)
	}
}
