//go:build !linux

package tcpopt

import (
	"errors"
	"time"
)

// setUserTimeout does nothing where TCP_USER_TIMEOUT does not exist (it is
// Linux's); keepalive and the statement deadlines still apply.
func setUserTimeout(uintptr, time.Duration) error { return nil }

func userTimeoutOf(uintptr) (time.Duration, error) {
	return 0, errors.New("TCP_USER_TIMEOUT is Linux's")
}
