package inbound

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/webhooksig"
	"golang.org/x/crypto/bcrypt"
)

// authenticator checks one endpoint's credentials.
type authenticator interface {
	// signsBody is true when the credentials cover the body (webhook), so
	// that check needs it; the others are checked before it is read.
	signsBody() bool
	// check returns nil when r carries the endpoint's credentials, and
	// otherwise why not (for the audit trail; the caller only ever hears
	// 401). cheap forbids the slow path (bcrypt): serve uses it to tell a
	// mistyped path from a probe without spending a bcrypt per endpoint.
	check(ctx context.Context, r *http.Request, body []byte, cheap bool) error
}

var errNoCredentials = errors.New("no credentials")

// newAuthenticator builds the check of endpoint e; the secret comes from
// the environment variable it names (resolved by secretOf) or its hash.
func newAuthenticator(e dialect.Endpoint, secretOf func(string) (string, error), cfg *Config, digest *digestKeys) (authenticator, error) {
	var plain string
	if e.SecretEnv != "" {
		v, err := secretOf(e.SecretEnv)
		if err != nil {
			return nil, err
		}
		plain = v
	}
	switch e.Auth {
	case dialect.AuthBasic:
		return &basicAuth{user: e.Caller, secret: newSecretCheck(plain, e.SecretHash)}, nil
	case dialect.AuthBearer:
		return &bearerAuth{secret: newSecretCheck(plain, e.SecretHash)}, nil
	case dialect.AuthWebhook:
		key, err := webhooksig.DecodeSecret(plain)
		if err != nil {
			return nil, fmt.Errorf("the secret in %s is not a Standard Webhooks secret (whsec_ followed by padded standard base64): %v", e.SecretEnv, err)
		}
		return &webhookAuth{key: key, tolerance: cfg.Tolerance}, nil
	case dialect.AuthDigest:
		return &digestAuth{user: e.Caller, password: plain, realm: cfg.Realm, keys: digest}, nil
	}
	return nil, fmt.Errorf("auth %q: use basic, bearer, webhook or digest", e.Auth)
}

// secretCheck compares a presented secret (a password or a token) with the
// endpoint's, in constant time: with the value from the environment, or
// with a bcrypt hash. A bcrypt check costs tens of milliseconds of CPU, so
// the SHA-256 of the last secret that matched is kept, and a caller that
// keeps presenting it pays one SHA-256; wrong secrets always take the slow
// path, at most GOMAXPROCS at a time.
type secretCheck struct {
	plain [sha256.Size]byte // SHA-256 of the secret from the environment
	hash  []byte            // bcrypt hash, when the secret is not known
	good  atomic.Pointer[[sha256.Size]byte]
}

// bcryptSlots bounds the CPU that wrong passwords against hashed
// endpoints can take.
var bcryptSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

func newSecretCheck(plain, hash string) *secretCheck {
	if hash != "" {
		return &secretCheck{hash: []byte(hash)}
	}
	return &secretCheck{plain: sha256.Sum256([]byte(plain))}
}

// matches compares presented with the secret. Comparing SHA-256 digests
// keeps the time independent of both lengths.
func (s *secretCheck) matches(ctx context.Context, presented string, cheap bool) bool {
	sum := sha256.Sum256([]byte(presented))
	if s.hash == nil {
		return subtle.ConstantTimeCompare(sum[:], s.plain[:]) == 1
	}
	if g := s.good.Load(); g != nil && subtle.ConstantTimeCompare(sum[:], g[:]) == 1 {
		return true
	}
	if cheap {
		return false
	}
	select {
	case bcryptSlots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	err := bcrypt.CompareHashAndPassword(s.hash, []byte(presented))
	<-bcryptSlots
	if err != nil {
		return false
	}
	s.good.Store(&sum)
	return true
}

// basicAuth is HTTP Basic (RFC 7617): the endpoint's caller and secret.
type basicAuth struct {
	user   string
	secret *secretCheck
}

func (*basicAuth) signsBody() bool { return false }

func (a *basicAuth) check(ctx context.Context, r *http.Request, _ []byte, cheap bool) error {
	user, password, ok := r.BasicAuth()
	if !ok {
		return errNoCredentials
	}
	// Both comparisons always run, so the time says nothing about which
	// one failed.
	u1, u2 := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(a.user))
	userOK := subtle.ConstantTimeCompare(u1[:], u2[:]) == 1
	if !a.secret.matches(ctx, password, cheap) || !userOK {
		return errors.New("wrong user name or password")
	}
	return nil
}

// bearerAuth is "Authorization: Bearer <token>" (RFC 6750).
type bearerAuth struct{ secret *secretCheck }

func (*bearerAuth) signsBody() bool { return false }

func (a *bearerAuth) check(ctx context.Context, r *http.Request, _ []byte, cheap bool) error {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return errNoCredentials
	}
	if !a.secret.matches(ctx, strings.TrimSpace(token), cheap) {
		return errors.New("wrong bearer token")
	}
	return nil
}

// webhookAuth is a Standard Webhooks signature over the body, within the
// timestamp tolerance.
type webhookAuth struct {
	key       []byte
	tolerance time.Duration
}

func (*webhookAuth) signsBody() bool { return true }

func (a *webhookAuth) check(_ context.Context, r *http.Request, body []byte, _ bool) error {
	h := r.Header
	if h.Get(webhooksig.HeaderSignature) == "" {
		return errNoCredentials
	}
	return webhooksig.Verify(a.key, h.Get(webhooksig.HeaderID), h.Get(webhooksig.HeaderTimestamp),
		h.Get(webhooksig.HeaderSignature), body, time.Now(), a.tolerance)
}
