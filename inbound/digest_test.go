package inbound

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"strings"
	"testing"

	"github.com/dbrelay/dbrelay/dialect"
)

// digestClient answers a Digest challenge as RFC 7616 describes, written
// from the RFC independently of the server's code.
type digestClient struct {
	user, password string
	nc             int
	cnonce         string
}

// challenge picks the WWW-Authenticate Digest value for algorithm.
func challenge(t *testing.T, r response, algorithm string) map[string]string {
	t.Helper()
	for _, v := range r.header.Values("Www-Authenticate") {
		if !strings.HasPrefix(v, "Digest ") {
			continue
		}
		p := map[string]string{}
		for _, part := range strings.Split(strings.TrimPrefix(v, "Digest "), ", ") {
			k, val, _ := strings.Cut(part, "=")
			p[k] = strings.Trim(val, `"`)
		}
		if p["algorithm"] == algorithm {
			return p
		}
	}
	t.Fatalf("no Digest %s challenge in %q", algorithm, r.header.Values("Www-Authenticate"))
	return nil
}

func (c *digestClient) authorization(ch map[string]string, method, uri string) string {
	var h func() hash.Hash = md5.New
	if ch["algorithm"] == "SHA-256" {
		h = sha256.New
	}
	hx := func(s string) string { x := h(); x.Write([]byte(s)); return hex.EncodeToString(x.Sum(nil)) }
	c.nc++
	nc := fmt.Sprintf("%08x", c.nc)
	if c.cnonce == "" {
		b := make([]byte, 8)
		rand.Read(b)
		c.cnonce = hex.EncodeToString(b)
	}
	cnonce := c.cnonce
	ha1 := hx(c.user + ":" + ch["realm"] + ":" + c.password)
	ha2 := hx(method + ":" + uri)
	resp := hx(ha1 + ":" + ch["nonce"] + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	return fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=%s, qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"`,
		c.user, ch["realm"], ch["nonce"], uri, ch["algorithm"], nc, cnonce, resp, ch["opaque"])
}

func TestDigestAuth(t *testing.T) {
	f := serve(t, Config{}, testEndpoint("/infoplus", dialect.AuthDigest))
	unknown := f.do("POST", "/nowhere", []byte(`{}`), nil)
	first := f.do("POST", "/infoplus", []byte(`{}`), nil)
	checkUnauthorized(t, "no credentials", first, unknown)

	for _, alg := range []string{"MD5", "SHA-256"} {
		ch := challenge(t, first, alg)
		if ch["realm"] != "dbrelay" || ch["qop"] != "auth" {
			t.Fatalf("%s challenge %v", alg, ch)
		}
		good := &digestClient{user: "Mufasa", password: digestPass}
		h := http.Header{"Authorization": {good.authorization(ch, "POST", "/infoplus")}}
		want(t, alg+" digest", f.do("POST", "/infoplus", []byte(`{"alg": "`+alg+`"}`), h), http.StatusCreated, `"caller": "Mufasa"`)
		// The same Authorization again (same nonce, nc, cnonce): a replay.
		checkUnauthorized(t, alg+" digest replayed", f.do("POST", "/infoplus", []byte(`{"alg": "again"}`), h), unknown)
		// The next nc with the same nonce is fine.
		h = http.Header{"Authorization": {good.authorization(ch, "POST", "/infoplus")}}
		want(t, alg+" digest, next nc", f.do("POST", "/infoplus", []byte(`{"alg": "`+alg+`2"}`), h), http.StatusCreated)

		bad := &digestClient{user: "Mufasa", password: "Circle of Death"}
		checkUnauthorized(t, alg+" wrong password", f.do("POST", "/infoplus", []byte(`{}`),
			http.Header{"Authorization": {bad.authorization(ch, "POST", "/infoplus")}}), unknown)
		other := &digestClient{user: "Scar", password: digestPass}
		checkUnauthorized(t, alg+" wrong user", f.do("POST", "/infoplus", []byte(`{}`),
			http.Header{"Authorization": {other.authorization(ch, "POST", "/infoplus")}}), unknown)
		// Computed for another URI: refused.
		checkUnauthorized(t, alg+" other uri", f.do("POST", "/infoplus", []byte(`{}`),
			http.Header{"Authorization": {good.authorization(ch, "POST", "/elsewhere")}}), unknown)
		// A nonce this process did not issue.
		forged := map[string]string{}
		for k, v := range ch {
			forged[k] = v
		}
		forged["nonce"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		checkUnauthorized(t, alg+" forged nonce", f.do("POST", "/infoplus", []byte(`{}`),
			http.Header{"Authorization": {good.authorization(forged, "POST", "/infoplus")}}), unknown)
	}
	if n := f.count(`SELECT count(*) FROM app.orders WHERE caller = 'Mufasa'`); n != 4 {
		t.Fatalf("%d orders, want 4", n)
	}
}

func TestParseAuthParams(t *testing.T) {
	got := parseAuthParams(`username="Mu\"fasa", realm="a, b", nc=00000001, qop=auth,response="ab"`)
	wantParams := map[string]string{"username": `Mu"fasa`, "realm": "a, b", "nc": "00000001", "qop": "auth", "response": "ab"}
	for k, v := range wantParams {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(parseAuthParams(`username="unterminated`)) != 0 {
		t.Error("an unterminated quoted string was accepted")
	}
}
