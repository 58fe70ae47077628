package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Behaviour is how the receiver answers the requests of one channel.
type Behaviour struct {
	// Delay holds every answer this long (a slow endpoint).
	Delay time.Duration
	// Fail503 is the fraction of requests answered 503.
	Fail503 float64
	// Hang is the fraction of requests never answered: the handler waits
	// until the client gives up (its timeout) or the receiver closes.
	Hang float64
}

// Request is one request the receiver got, as it recorded it.
type Request struct {
	Channel string // the channel named in the URL path (/c/<channel>)
	Key     string // the webhook-id header: the message key
	ID      int64  // the envelope's "id"
	Attempt int    // the envelope's "attempt"
	At      time.Time
	// Code is what the receiver answered: 0 when it answered nothing
	// (a hang, or the client went away before the delayed answer).
	Code int
	Done time.Time
}

// Accepted reports whether the receiver answered 2xx.
func (r Request) Accepted() bool { return r.Code >= 200 && r.Code <= 299 }

// Receiver is an HTTP endpoint on 127.0.0.1 that records every request:
// the message key, id and attempt number, when it came and what it was
// answered. Channels' targets point at URL(channel); each channel's answers
// follow its Behaviour.
type Receiver struct {
	srv  *http.Server
	ln   net.Listener
	base string

	mu        sync.Mutex
	reqs      []Request
	behaviour map[string]Behaviour
	accepted  int
	changed   chan struct{} // closed and replaced whenever accepted grows
	closing   chan struct{}
}

// StartReceiver listens on a free port of 127.0.0.1.
func StartReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, base: "http://" + ln.Addr().String(), behaviour: map[string]Behaviour{},
		changed: make(chan struct{}), closing: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /c/{channel}", r.handle)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

// URL is the target for channel code.
func (r *Receiver) URL(code string) string { return r.base + "/c/" + code }

// Set makes channel code answer as b from now on.
func (r *Receiver) Set(code string, b Behaviour) {
	r.mu.Lock()
	r.behaviour[code] = b
	r.mu.Unlock()
}

// Requests returns a copy of every request recorded so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Reset forgets the recorded requests and behaviours (between runs).
func (r *Receiver) Reset() {
	r.mu.Lock()
	r.reqs, r.accepted = nil, 0
	r.behaviour = map[string]Behaviour{}
	r.mu.Unlock()
}

// AcceptedCount is how many requests were answered 2xx so far.
func (r *Receiver) AcceptedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

// WaitAccepted waits until at least n requests were answered 2xx, or ctx
// ends; it returns the count reached.
func (r *Receiver) WaitAccepted(ctx context.Context, n int) int {
	for {
		r.mu.Lock()
		got, changed := r.accepted, r.changed
		r.mu.Unlock()
		if got >= n {
			return got
		}
		select {
		case <-ctx.Done():
			return got
		case <-changed:
		}
	}
}

// Close stops the receiver; hanging handlers return at once.
func (r *Receiver) Close() error {
	close(r.closing)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

// envelope is the part of the webhook body the receiver records.
type envelope struct {
	ID      int64 `json:"id"`
	Attempt int   `json:"attempt"`
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var env envelope
	if err == nil {
		err = json.Unmarshal(body, &env)
	}
	code := req.PathValue("channel")
	rec := Request{Channel: code, Key: req.Header.Get("webhook-id"), ID: env.ID, Attempt: env.Attempt, At: time.Now()}
	r.mu.Lock()
	i := len(r.reqs)
	r.reqs = append(r.reqs, rec)
	b := r.behaviour[code]
	r.mu.Unlock()
	if err != nil {
		r.answer(w, i, http.StatusBadRequest)
		return
	}

	roll := rand.Float64()
	switch {
	case roll < b.Hang:
		select { // never answer: wait for the client to give up
		case <-req.Context().Done():
		case <-r.closing:
		}
		r.abort(i)
	case b.Delay > 0:
		t := time.NewTimer(b.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			r.abort(i) // the client gave up before the answer
		case <-r.closing:
			r.abort(i)
		}
	}
	if roll < b.Hang+b.Fail503 {
		r.answer(w, i, http.StatusServiceUnavailable)
		return
	}
	r.answer(w, i, http.StatusOK)
}

// abort records that request i got no answer and drops its connection
// without one (a handler that merely returned would answer 200).
func (r *Receiver) abort(i int) {
	r.answer(nil, i, 0)
	panic(http.ErrAbortHandler)
}

// answer writes code (0: nothing) and records it on request i.
func (r *Receiver) answer(w http.ResponseWriter, i, code int) {
	if w != nil {
		w.WriteHeader(code)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if i >= len(r.reqs) {
		return // Reset ran meanwhile
	}
	r.reqs[i].Code, r.reqs[i].Done = code, time.Now()
	if code >= 200 && code <= 299 {
		r.accepted++
		close(r.changed)
		r.changed = make(chan struct{})
	}
}

// Stall is an endpoint that accepts TCP connections and never reads or
// answers: the worst neighbour a channel can have (it costs each attempt
// its whole timeout).
type Stall struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	done  chan struct{}
}

// StartStall listens on a free port of 127.0.0.1.
func StartStall() (*Stall, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Stall{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	return s, nil
}

// URL is a webhook target on the stalled endpoint.
func (s *Stall) URL() string { return "http://" + s.ln.Addr().String() + "/stall" }

// Accepted is how many connections it has taken.
func (s *Stall) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close closes the listener and every held connection.
func (s *Stall) Close() error {
	err := s.ln.Close()
	<-s.done
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
