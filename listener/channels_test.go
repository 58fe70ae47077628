package listener

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/dbrelay/dbrelay/channel"
	"github.com/dbrelay/dbrelay/secret"
)

type closingSender struct{ closed atomic.Int32 }

func (s *closingSender) Send(context.Context, *channel.Message) channel.Result {
	return channel.Result{Outcome: channel.Sent}
}

func (s *closingSender) Close() error {
	s.closed.Add(1)
	return nil
}

// A sender wrapped by the cache (a rate-limited channel) is still closed,
// once, when its entry is retired. (The full lifecycle, against a real
// database, is the behavioural suite's SenderClosedAfterChange.)
func TestRetireClosesWrappedSender(t *testing.T) {
	s := &closingSender{}
	cfg := Config{Senders: map[string]channel.Factory{
		"webhook": func(channel.Channel, *secret.Env) (channel.Sender, error) { return s, nil },
	}}
	c := newChannelCache(nil, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := c.build(channel.Channel{Code: "limited", Kind: "webhook", Enabled: true, RatePerMinute: 60})
	if e.sender == channel.Sender(s) {
		t.Fatal("the rate-limited channel's sender is not wrapped: the test shows nothing")
	}
	<-e.retire()
	<-e.retire()
	if n := s.closed.Load(); n != 1 {
		t.Fatalf("Close called %d times, want 1", n)
	}
}
