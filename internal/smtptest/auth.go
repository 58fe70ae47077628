package smtptest

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// loginServer is the server side of AUTH LOGIN (draft-murchison-sasl-login),
// which go-sasl no longer ships: it asks for the user name, then the
// password, each as a challenge.
type loginServer struct {
	check    func(user, pass string) error
	user     string
	step     int
	initUser bool
}

func newLoginServer(check func(user, pass string) error) sasl.Server {
	return &loginServer{check: check}
}

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		s.step++
		if response != nil { // AUTH LOGIN <user> sends the user name at once
			s.user = string(response)
			s.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		s.user = string(response)
		s.step++
		return []byte("Password:"), false, nil
	case 2:
		s.step++
		return nil, true, s.check(s.user, string(response))
	}
	return nil, false, errors.New("unexpected client response")
}
