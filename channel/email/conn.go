package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/wneessen/go-mail/smtp"
)

// conn is one SMTP connection, used by one message at a time.
type conn struct {
	client *smtp.Client
	raw    net.Conn // the TCP connection under client, to break a stuck exchange
	server string   // host:port it is connected to
}

// errBeforeData marks failures before the message was handed over.
var errBeforeData = errors.New("before DATA")

// stageError says at which SMTP command an exchange failed.
type stageError struct {
	stage string
	early bool // before DATA's content was sent
	err   error
}

func (e *stageError) Error() string {
	if line := replyLine(e.err); line != "" {
		return e.stage + ": " + line
	}
	return e.stage + ": " + e.err.Error()
}
func (e *stageError) Unwrap() []error {
	if e.early {
		return []error{e.err, errBeforeData}
	}
	return []error{e.err}
}

// send runs one mail transaction (MAIL, RCPT…, DATA) and returns the
// server's final reply line. The context's deadline bounds every read and
// write; its cancellation closes the connection.
func (c *conn) send(ctx context.Context, out *outgoing) (string, error) {
	if d, ok := ctx.Deadline(); ok {
		if err := c.client.UpdateDeadline(time.Until(d)); err != nil {
			return "", &stageError{"connection", true, err}
		}
	}
	if c.raw != nil {
		stop := context.AfterFunc(ctx, func() { c.raw.Close() })
		defer stop()
	}
	if err := c.client.Mail(out.from); err != nil {
		c.reset()
		return "", &stageError{"MAIL FROM", true, err}
	}
	for _, r := range out.recipients {
		if err := c.client.Rcpt(r); err != nil {
			c.reset()
			return "", &stageError{fmt.Sprintf("RCPT TO:<%s>", r), true, err}
		}
	}
	w, err := c.client.Data()
	if err != nil {
		c.reset()
		return "", &stageError{"DATA", true, err}
	}
	if _, err := w.Write(out.data); err != nil {
		return "", &stageError{"sending the message", false, err}
	}
	if err := w.Close(); err != nil {
		return "", &stageError{"end of DATA", false, err}
	}
	reply := "250"
	if dc, ok := w.(*smtp.DataCloser); ok {
		lines := strings.Split(dc.ServerResponse(), "\n")
		reply = "250 " + lines[len(lines)-1]
	}
	return reply, nil
}

// reset aborts a refused transaction (RSET) so the connection can carry the
// next mail; a failure shows on the next use.
func (c *conn) reset() { _ = c.client.Reset() }

// quit ends the session politely, then closes the connection.
func (c *conn) quit() {
	_ = c.client.UpdateDeadline(5 * time.Second)
	_ = c.client.Quit()
	c.close()
}

func (c *conn) close() {
	_ = c.client.Close()
	if c.raw != nil {
		c.raw.Close()
	}
}

// smtpCode is the reply code of an SMTP error, 0 for other errors.
func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// replyLine is the last line of an SMTP error reply as the server sent it
// ("550 5.1.1 mailbox unavailable"), "" for other errors.
func replyLine(err error) string {
	var te *textproto.Error
	if !errors.As(err, &te) {
		return ""
	}
	lines := strings.Split(te.Msg, "\n")
	return fmt.Sprintf("%03d %s", te.Code, lines[len(lines)-1])
}
