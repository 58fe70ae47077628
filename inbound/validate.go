package inbound

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dbrelay/dbrelay/dialect"
)

// Limits of relay.endpoint, checked here with messages that say what to do
// (the table's constraints hold the same rules for rows written by hand).
const (
	MaxPathLength   = 200
	MaxCallerLength = 200
	MaxBodyLimit    = 64 << 20
	DefaultMaxBody  = 1 << 20
	maxKeyLength    = 200
)

var (
	pathRe      = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)
	dotSegRe    = regexp.MustCompile(`/\.\.?(/|$)`)
	procedureRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}\.[A-Za-z_][A-Za-z0-9_]{0,62}$`)
	envNameRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	bcryptRe    = regexp.MustCompile(`^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$`)
)

// ValidateEndpoint checks an endpoint before it is written: the error names
// the field and the fix.
func ValidateEndpoint(e dialect.Endpoint) error {
	switch {
	case len(e.Path) > MaxPathLength || !pathRe.MatchString(e.Path) || dotSegRe.MatchString(e.Path):
		return fmt.Errorf("path %q: write it as /segment/segment, each segment of letters, digits and . _ ~ - (no . or .. segment, no trailing /), at most %d characters", e.Path, MaxPathLength)
	case !procedureRe.MatchString(e.Procedure):
		return fmt.Errorf("procedure %q: write it as schema.name (letters, digits and _, e.g. %s)", e.Procedure, dialect.DefaultProcedure)
	case e.Caller == "" || len(e.Caller) > MaxCallerLength || strings.ContainsFunc(e.Caller, func(r rune) bool { return r == ':' || r < 0x20 || r == 0x7f }):
		return fmt.Errorf("caller %q: name who calls (the Basic or Digest user name), 1 to %d characters, without ':' or control characters", e.Caller, MaxCallerLength)
	case e.MaxBodyBytes < 1 || e.MaxBodyBytes > MaxBodyLimit:
		return fmt.Errorf("max body %d bytes: use 1 to %d", e.MaxBodyBytes, MaxBodyLimit)
	case e.RatePerMinute < 0 || e.RatePerMinute > 6000000:
		return fmt.Errorf("rate %d per minute: use 1 to 6000000, or 0 for no limit", e.RatePerMinute)
	case (e.SecretEnv == "") == (e.SecretHash == ""):
		return fmt.Errorf("give the secret in exactly one way: the name of an environment variable of serve (--secret-env) or a bcrypt hash (--secret-hash, --secret-stdin)")
	case e.SecretEnv != "" && !envNameRe.MatchString(e.SecretEnv):
		return fmt.Errorf("secret env %q is not an environment variable name (letters, digits and _, not starting with a digit)", e.SecretEnv)
	case e.SecretHash != "" && !bcryptRe.MatchString(e.SecretHash):
		return fmt.Errorf("secret hash: not a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters), e.g. from 'htpasswd -nbB user password' or --secret-stdin")
	}
	switch e.Auth {
	case dialect.AuthBasic, dialect.AuthBearer:
	case dialect.AuthWebhook, dialect.AuthDigest:
		if e.SecretHash != "" {
			return fmt.Errorf("auth %s needs the secret itself (to check a signature or a digest), not a hash: name an environment variable with --secret-env", e.Auth)
		}
	default:
		return fmt.Errorf("auth %q: use basic, bearer, webhook or digest", e.Auth)
	}
	return nil
}
