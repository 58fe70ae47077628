package inbound

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HTTP Digest (RFC 7616), for callers that only speak it (InfoPlus-style
// integrations): qop=auth with MD5 or SHA-256; not the -sess algorithms,
// auth-int or userhash. Nonces are stateless (a timestamp and its HMAC
// under a key of this process) and valid for the tolerance; each (nonce,
// nc, cnonce) is accepted once, so a captured request cannot be replayed.
// A serve restart invalidates outstanding nonces: callers get a fresh
// challenge, marked stale.

// digestKeys is the process's nonce key and the responses already seen.
type digestKeys struct {
	key       []byte
	opaque    string
	tolerance time.Duration

	mu   sync.Mutex
	seen map[string]time.Time // nonce:nc:cnonce → when the nonce was issued
}

func newDigestKeys(tolerance time.Duration) *digestKeys {
	k := &digestKeys{key: make([]byte, 32), tolerance: tolerance, seen: map[string]time.Time{}}
	rand.Read(k.key)
	o := make([]byte, 12)
	rand.Read(o)
	k.opaque = base64.RawURLEncoding.EncodeToString(o)
	return k
}

// nonce issues a nonce: the time and its HMAC.
func (k *digestKeys) nonce(now time.Time) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 24), uint64(now.UnixNano()))
	mac := hmac.New(sha256.New, k.key)
	mac.Write(b)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(b)[:24])
}

// issued returns when a nonce of ours was issued; ok is false for one we
// did not issue.
func (k *digestKeys) issued(nonce string) (time.Time, bool) {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 24 {
		return time.Time{}, false
	}
	mac := hmac.New(sha256.New, k.key)
	mac.Write(b[:8])
	if !hmac.Equal(mac.Sum(nil)[:16], b[8:]) {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b[:8]))), true
}

// firstUse records a response's (nonce, nc, cnonce) and says whether it is
// new; entries older than the tolerance are dropped along the way.
func (k *digestKeys) firstUse(id string, issued, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, dup := k.seen[id]; dup {
		return false
	}
	if len(k.seen) >= 1024 && len(k.seen)&(len(k.seen)-1) == 0 { // prune at powers of two
		for s, at := range k.seen {
			if now.Sub(at) > k.tolerance {
				delete(k.seen, s)
			}
		}
	}
	k.seen[id] = issued
	return true
}

// challenges are the WWW-Authenticate values inviting Digest.
func (k *digestKeys) challenges(realm string, stale bool) []string {
	n := k.nonce(time.Now())
	extra := ""
	if stale {
		extra = ", stale=true"
	}
	var out []string
	for _, alg := range []string{"SHA-256", "MD5"} {
		out = append(out, fmt.Sprintf(`Digest realm="%s", qop="auth", algorithm=%s, nonce="%s", opaque="%s"%s`, realm, alg, n, k.opaque, extra))
	}
	return out
}

// digestAuth checks an endpoint's Digest credentials.
type digestAuth struct {
	user, password, realm string
	keys                  *digestKeys
}

var errStaleNonce = errors.New("digest nonce expired")

func (*digestAuth) signsBody() bool { return false }

func (a *digestAuth) check(_ context.Context, r *http.Request, _ []byte, _ bool) error {
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Digest") {
		return errNoCredentials
	}
	p := parseAuthParams(rest)
	var h func() hash.Hash
	switch strings.ToUpper(p["algorithm"]) {
	case "", "MD5":
		h = md5.New
	case "SHA-256":
		h = sha256.New
	default:
		return fmt.Errorf("digest algorithm %q not supported (MD5 or SHA-256)", p["algorithm"])
	}
	switch {
	case p["qop"] != "auth":
		return errors.New("digest without qop=auth")
	case p["realm"] != a.realm:
		return errors.New("digest for another realm")
	case p["uri"] != r.RequestURI:
		return errors.New("digest for another uri")
	case p["opaque"] != a.keys.opaque:
		return errors.New("digest with an unknown opaque")
	case len(p["nc"]) != 8 || p["cnonce"] == "":
		return errors.New("digest without a valid nc and cnonce")
	}
	issued, ok := a.keys.issued(p["nonce"])
	if !ok {
		return errors.New("digest nonce not issued by this serve process")
	}
	now := time.Now()
	if d := now.Sub(issued); d > a.keys.tolerance || d < -time.Minute {
		return errStaleNonce
	}
	hexOf := func(parts ...string) string {
		x := h()
		x.Write([]byte(strings.Join(parts, ":")))
		return hex.EncodeToString(x.Sum(nil))
	}
	ha1 := hexOf(a.user, a.realm, a.password)
	ha2 := hexOf(r.Method, p["uri"])
	want := hexOf(ha1, p["nonce"], p["nc"], p["cnonce"], p["qop"], ha2)
	u1, u2 := sha256.Sum256([]byte(p["username"])), sha256.Sum256([]byte(a.user))
	userOK := subtle.ConstantTimeCompare(u1[:], u2[:]) == 1
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(p["response"])), []byte(want)) != 1 || !userOK {
		return errors.New("wrong digest user name or password")
	}
	if !a.keys.firstUse(p["nonce"]+":"+p["nc"]+":"+p["cnonce"], issued, now) {
		return errors.New("digest response replayed (nonce, nc and cnonce already used)")
	}
	return nil
}

// parseAuthParams parses the auth-params of an Authorization header:
// name=token or name="quoted \"string\"", separated by commas. Names are
// lower-cased; a malformed rest ends the parse.
func parseAuthParams(s string) map[string]string {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t,")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return out
		}
		name := strings.ToLower(strings.TrimSpace(s[:eq]))
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val string
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return out // unterminated
			}
			val, s = b.String(), s[i+1:]
		} else {
			end := strings.IndexAny(s, ", \t")
			if end < 0 {
				end = len(s)
			}
			val, s = s[:end], s[end:]
		}
		out[name] = val
	}
}
