package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dbrelay/dbrelay/dialect"
	"github.com/dbrelay/dbrelay/schema"
	"github.com/emersion/go-imap/v2"
)

// Reader turns one mailbox into rows of relay.inbound_mail.
type Reader struct {
	cfg   Config
	conn  *dialect.Conn
	store dialect.MailStore
	log   *slog.Logger
}

// Outcomes of one mail, as logged and counted.
const (
	OutcomeStored     = "stored"      // new, parsed, the hook ran
	OutcomeDuplicate  = "duplicate"   // its Message-ID was stored before: nothing written
	OutcomeUnparsed   = "unparsed"    // stored raw with parse_error
	OutcomeHookFailed = "hook_failed" // relay.on_mail raised: stored with hook_error
	OutcomeFailed     = "failed"      // not stored; left in the mailbox for the next round
)

// New checks the configuration and the database (installed, at this
// binary's schema version, with mail-in's tables).
func New(ctx context.Context, conn *dialect.Conn, cfg Config) (*Reader, error) {
	cfg = cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store, ok := conn.Dialect.(dialect.MailStore)
	if !ok {
		return nil, fmt.Errorf("the %s dialect cannot store mail", conn.Dialect.Name())
	}
	if err := schema.Check(ctx, conn); err != nil {
		return nil, err
	}
	return &Reader{cfg: cfg, conn: conn, store: store, log: cfg.Logger}, nil
}

// Run reads the mailbox until ctx ends. An error on the first connection
// (a wrong server, password or mailbox) is returned at once; later ones
// are logged and the reader reconnects, backing off up to PollInterval.
func (r *Reader) Run(ctx context.Context) error {
	backoff := time.Second
	connected := false
	for ctx.Err() == nil {
		s, err := dial(ctx, &r.cfg)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if !connected {
				return err
			}
			r.log.Error("mail-in: cannot read the mailbox; retrying", "err", err, "retry_in", backoff)
			r.cfg.Metrics.imapError()
			sleep(ctx, backoff)
			backoff = min(backoff*2, r.cfg.PollInterval)
			continue
		}
		if !connected {
			r.log.Info("mail-in: reading", "server", r.cfg.Server, "mailbox", r.cfg.Mailbox, "idle", s.idle)
		}
		connected, backoff = true, time.Second
		err = r.serve(ctx, s)
		s.close()
		if err != nil && ctx.Err() == nil {
			r.log.Error("mail-in: connection lost; reconnecting", "err", err)
			r.cfg.Metrics.imapError()
			sleep(ctx, backoff)
		}
	}
	return nil
}

// serve reads new mail, waits for more, and again, on one connection.
func (r *Reader) serve(ctx context.Context, s *session) error {
	for {
		if err := r.drain(ctx, s); err != nil {
			return err
		}
		if err := s.wait(ctx); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// drain stores every pending mail, oldest first. A mail that cannot be
// stored while the database answers is left for the next round and does
// not stop the others; when the database does not answer, drain stops.
func (r *Reader) drain(ctx context.Context, s *session) error {
	uids, err := s.pending()
	if err != nil {
		return err
	}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return nil
		}
		if err := r.one(ctx, s, uid); err != nil {
			return err
		}
	}
	return nil
}

// one reads, stores and flags one mail. It returns an error only for
// trouble that stops the round (IMAP or the database unreachable).
func (r *Reader) one(ctx context.Context, s *session, uid imap.UID) error {
	raw, size, err := s.fetch(uid)
	if errors.Is(err, errGone) {
		return nil
	}
	if err != nil {
		return err
	}
	m := Parse(raw, r.cfg.Mailbox, r.cfg.AttachmentMax)
	if size > r.cfg.MailMax {
		m.Size = size
		m.Text, m.HTML, m.Attachments = "", "", nil
		m.ParseError = fmt.Sprintf("the mail is %d bytes, over --mail-max %d: only its header was read (raw_message holds it)", size, r.cfg.MailMax)
		m.Raw = raw
	}
	log := r.log.With("uid", uint32(uid), "message_id", m.MessageID)
	outcome, id, err := r.save(ctx, m, raw)
	if err != nil {
		r.cfg.Metrics.count(OutcomeFailed)
		if pingErr := r.conn.Ping(ctx); pingErr != nil {
			return pingErr // the database is away: stop, and read this mail again later
		}
		log.Error("mail-in: could not store the mail; it stays in the mailbox and is tried again next round", "err", err)
		return nil
	}
	if r.cfg.afterStore != nil && outcome != OutcomeDuplicate {
		r.cfg.afterStore()
	}
	if err := s.done(uid); err != nil {
		// Stored but not marked: read again next round, and then a
		// duplicate (the Message-ID is stored).
		return err
	}
	r.cfg.Metrics.count(outcome)
	log.Info("mail-in: "+outcome, "id", id, "subject", m.Subject, "from", m.From, "parse_error", m.ParseError)
	return nil
}

// save stores m; if relay.on_mail raises, it stores m again with the
// hook's error; if the database refuses the parsed mail, it stores it raw
// with the reason. The error is what remains when all of that failed.
func (r *Reader) save(ctx context.Context, m *dialect.InboundMail, raw []byte) (string, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	res, err := r.store.StoreMail(ctx, r.conn.DB, m)
	var hookErr *dialect.HookError
	if errors.As(err, &hookErr) {
		m.HookError = hookErr.Error()
		res, err = r.store.StoreMail(ctx, r.conn.DB, m)
	}
	if err != nil && m.Raw == nil && r.conn.Ping(ctx) == nil {
		bare := &dialect.InboundMail{MessageID: m.MessageID, Mailbox: m.Mailbox, Size: m.Size, Raw: raw,
			ParseError: "parsed, but the database refused the parsed mail: " + err.Error(), HookError: m.HookError}
		*m = *bare
		res, err = r.store.StoreMail(ctx, r.conn.DB, m)
	}
	switch {
	case err != nil:
		return OutcomeFailed, 0, err
	case res.Duplicate:
		return OutcomeDuplicate, res.ID, nil
	case m.HookError != "":
		return OutcomeHookFailed, res.ID, nil
	case m.ParseError != "":
		return OutcomeUnparsed, res.ID, nil
	}
	return OutcomeStored, res.ID, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
