package imaptest

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"

	"github.com/dbrelay/dbrelay/internal/testcert"
)

// writeCertificates writes a throw-away CA (ca.pem) and a certificate for
// 127.0.0.1 signed by it (cert.pem, key.pem) into dir.
func writeCertificates(dir string) error {
	pair, err := testcert.New()
	if err != nil {
		return err
	}
	ca, cert, key, err := pair.PEM()
	if err != nil {
		return err
	}
	files := map[string][]byte{"ca.pem": ca, "cert.pem": cert, "key.pem": key}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func certPool(caFile string) (*x509.CertPool, error) {
	b, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New(caFile + ": no certificate")
	}
	return pool, nil
}
