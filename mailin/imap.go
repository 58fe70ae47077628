package mailin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// session is one logged-in IMAP connection with the mailbox selected.
type session struct {
	cfg  *Config
	c    *imapclient.Client
	wake chan struct{} // the server announced new mail (EXISTS)
	idle bool          // the server offers IDLE and it is wanted
}

// dial connects, logs in and selects the mailbox; the connection is
// closed when ctx ends, which unblocks whatever command waits.
func dial(ctx context.Context, cfg *Config) (*session, error) {
	s := &session{cfg: cfg, wake: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		TLSConfig: cfg.TLSConfig,
		Dialer:    &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					s.signal()
				}
			},
		},
	}
	var err error
	switch cfg.TLS {
	case TLSStart:
		s.c, err = imapclient.DialStartTLS(cfg.Server, opts)
	case TLSNone:
		s.c, err = imapclient.DialInsecure(cfg.Server, opts)
	default:
		s.c, err = imapclient.DialTLS(cfg.Server, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to IMAP server %s (%s): %w", cfg.Server, cfg.TLS, err)
	}
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	go func() { <-s.c.Closed(); stop() }()
	if err := s.open(); err != nil {
		s.c.Close()
		return nil, err
	}
	return s, nil
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) open() error {
	cfg := s.cfg
	if err := s.c.WaitGreeting(); err != nil {
		return fmt.Errorf("IMAP server %s: no greeting: %w", cfg.Server, err)
	}
	caps := s.c.Caps()
	var err error
	if caps.Has(imap.AuthCap(sasl.Plain)) {
		err = s.c.Authenticate(sasl.NewPlainClient("", cfg.User, cfg.Password))
	} else {
		err = s.c.Login(cfg.User, cfg.Password).Wait()
	}
	if err != nil {
		return fmt.Errorf("IMAP login as %s at %s: %w (check --imap-user and the password's environment variable)", cfg.User, cfg.Server, err)
	}
	s.idle = !cfg.NoIdle && s.c.Caps().Has(imap.CapIdle)
	if cfg.DoneFolder != "" {
		if err := s.ensureFolder(cfg.DoneFolder); err != nil {
			return err
		}
	}
	sel, err := s.c.Select(cfg.Mailbox, nil).Wait()
	if err != nil {
		return fmt.Errorf("IMAP select %q: %w (check --mailbox)", cfg.Mailbox, err)
	}
	if cfg.DoneFolder == "" && !keepsFlag(sel.PermanentFlags, imap.Flag(cfg.DoneFlag)) {
		return fmt.Errorf("the IMAP server does not keep the flag %s on %q (its permanent flags: %v): name another with --done-flag (e.g. '\\Seen') or move stored mail with --done-folder", cfg.DoneFlag, cfg.Mailbox, sel.PermanentFlags)
	}
	return nil
}

func keepsFlag(permanent []imap.Flag, f imap.Flag) bool {
	return slices.Contains(permanent, f) || (f[0] != '\\' && slices.Contains(permanent, imap.FlagWildcard))
}

// ensureFolder creates the done folder when it does not exist.
func (s *session) ensureFolder(name string) error {
	list, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("IMAP list %q: %w", name, err)
	}
	if len(list) > 0 {
		return nil
	}
	if err := s.c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("IMAP create the done folder %q: %w (create it by hand, or name another with --done-folder)", name, err)
	}
	return nil
}

// pending returns the UIDs of the mails not yet stored, oldest first: in
// the mailbox, not deleted, and (without a done folder) without the done
// flag.
func (s *session) pending() ([]imap.UID, error) {
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	if s.cfg.DoneFolder == "" {
		criteria.NotFlag = append(criteria.NotFlag, imap.Flag(s.cfg.DoneFlag))
	}
	data, err := s.c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("IMAP search: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return uids, nil
}

// fetch reads one mail's bytes without setting \Seen (BODY.PEEK): the whole
// mail, or only its header when it is over MailMax.
func (s *session) fetch(uid imap.UID) (raw []byte, size int64, err error) {
	set := imap.UIDSetNum(uid)
	msgs, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, 0, fmt.Errorf("IMAP fetch size of %d: %w", uid, err)
	}
	if len(msgs) == 0 {
		return nil, 0, errGone
	}
	size = msgs[0].RFC822Size
	section := &imap.FetchItemBodySection{Peek: true}
	if size > s.cfg.MailMax {
		section.Specifier = imap.PartSpecifierHeader
	}
	msgs, err = s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, 0, fmt.Errorf("IMAP fetch %d: %w", uid, err)
	}
	if len(msgs) == 0 {
		return nil, 0, errGone
	}
	return msgs[0].FindBodySection(section), size, nil
}

// errGone is a mail that disappeared between the search and the fetch
// (another client moved or expunged it).
var errGone = errors.New("mail gone from the mailbox")

// done flags a stored mail, or moves it to the done folder.
func (s *session) done(uid imap.UID) error {
	set := imap.UIDSetNum(uid)
	if s.cfg.DoneFolder != "" {
		if _, err := s.c.Move(set, s.cfg.DoneFolder).Wait(); err != nil {
			return fmt.Errorf("IMAP move %d to %q: %w", uid, s.cfg.DoneFolder, err)
		}
		return nil
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.Flag(s.cfg.DoneFlag)}}
	if err := s.c.Store(set, store, nil).Close(); err != nil {
		return fmt.Errorf("IMAP flag %d %s: %w", uid, s.cfg.DoneFlag, err)
	}
	return nil
}

// wait returns when the server announces new mail (IDLE), when the poll
// interval has passed, or when ctx ends.
func (s *session) wait(ctx context.Context) error {
	timer := time.NewTimer(s.cfg.PollInterval)
	defer timer.Stop()
	if !s.idle {
		select {
		case <-ctx.Done():
		case <-timer.C:
		case <-s.wake: // announced in a reply to an earlier command
		}
		return nil
	}
	idle, err := s.c.Idle()
	if err != nil {
		return fmt.Errorf("IMAP idle: %w", err)
	}
	select {
	case <-ctx.Done():
	case <-timer.C:
	case <-s.wake:
	case <-s.c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("IMAP idle: %w", err)
	}
	if err := idle.Wait(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("IMAP idle: %w", err)
	}
	return nil
}

func (s *session) close() {
	s.c.Logout().Wait()
	s.c.Close()
}
