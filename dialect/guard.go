package dialect

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/dbrelay/dbrelay/internal/tcpopt"
)

// overrun is how long a statement may run past its context's deadline
// before its connection is closed under it. Within it the driver's own
// cancellation (lib/pq's cancel request, SQL Server's attention) can end
// the statement and keep the connection.
const overrun = 2 * time.Second

// Guard wraps a driver's connector so that every connection's socket (dialed
// through d) carries the deadline of the statement running on it, plus
// overrun. A statement whose database stops answering then fails at that
// deadline and its connection is closed and discarded by database/sql,
// instead of waiting for the kernel's TCP failure (about 15 minutes): lib/pq
// only sends a cancel request when a context ends, which a silent network
// never answers either. A statement without a deadline gets none.
//
// A connection attempt is bounded by its context too: the socket is closed
// if the context ends before the driver has finished logging in.
func Guard(c driver.Connector, d *tcpopt.Dialer) driver.Connector {
	return guardConnector{inner: c, dialer: d}
}

type guardConnector struct {
	inner  driver.Connector
	dialer *tcpopt.Dialer
}

func (g guardConnector) Driver() driver.Driver { return g.inner.Driver() }

func (g guardConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cctx, cp := tcpopt.WithCapture(ctx)
	stop := context.AfterFunc(ctx, func() {
		if s := cp.Conn(); s != nil {
			s.Close()
		}
	})
	c, err := g.inner.Connect(cctx)
	stopped := stop()
	if err != nil {
		return nil, err
	}
	s := cp.Conn()
	if !stopped || s == nil {
		// ctx ended while connecting (the socket is closed), or the driver
		// did not dial through the Dialer (then there is nothing to guard).
		if !stopped {
			c.Close()
			return nil, ctx.Err()
		}
		return c, nil
	}
	return &guardConn{inner: c, sock: s}, nil
}

// guardConn is a driver connection whose socket deadline follows the
// context of each call. database/sql serialises calls on one connection, so
// arming needs no lock.
type guardConn struct {
	inner driver.Conn
	sock  *tcpopt.Conn
}

func (c *guardConn) arm(ctx context.Context) {
	var t time.Time
	if d, ok := ctx.Deadline(); ok {
		t = d.Add(overrun)
	}
	c.sock.SetDeadline(t)
}

// explain says why a statement failed when the guard closed its
// connection (the driver's error is a bare i/o timeout).
func (c *guardConn) explain(err error) error {
	if err != nil && c.sock.Expired() {
		return fmt.Errorf("the database did not answer within the statement's deadline + %s; its connection was closed: %w", overrun, err)
	}
	return err
}

func (c *guardConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *guardConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.arm(ctx)
	var s driver.Stmt
	var err error
	if p, ok := c.inner.(driver.ConnPrepareContext); ok {
		s, err = p.PrepareContext(ctx, query)
	} else {
		s, err = c.inner.Prepare(query)
	}
	if err != nil {
		return nil, c.explain(err)
	}
	return &guardStmt{inner: s, c: c}, nil
}

// Close gives the driver overrun to say goodbye to the server: a silent
// network must not hold a pool's Close.
func (c *guardConn) Close() error {
	c.sock.SetDeadline(time.Now().Add(overrun))
	return c.inner.Close()
}

func (c *guardConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *guardConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.arm(ctx)
	if b, ok := c.inner.(driver.ConnBeginTx); ok {
		tx, err := b.BeginTx(ctx, opts)
		return tx, c.explain(err)
	}
	tx, err := c.inner.Begin() //nolint:staticcheck // the driver has nothing better
	return tx, c.explain(err)
}

func (c *guardConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.arm(ctx)
	rows, err := q.QueryContext(ctx, query, args)
	return rows, c.explain(err)
}

func (c *guardConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	c.arm(ctx)
	res, err := e.ExecContext(ctx, query, args)
	return res, c.explain(err)
}

func (c *guardConn) Ping(ctx context.Context) error {
	p, ok := c.inner.(driver.Pinger)
	if !ok {
		return nil
	}
	c.arm(ctx)
	return c.explain(p.Ping(ctx))
}

func (c *guardConn) ResetSession(ctx context.Context) error {
	if c.sock.Expired() {
		return driver.ErrBadConn
	}
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *guardConn) IsValid() bool {
	if c.sock.Expired() {
		return false
	}
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *guardConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// guardStmt arms its connection's deadline for each execution of a
// prepared statement.
type guardStmt struct {
	inner driver.Stmt
	c     *guardConn
}

// Close may be a round trip (lib/pq waits for CloseComplete): bounded like
// the connection's Close.
func (s *guardStmt) Close() error {
	s.c.sock.SetDeadline(time.Now().Add(overrun))
	return s.inner.Close()
}
func (s *guardStmt) NumInput() int { return s.inner.NumInput() }

func (s *guardStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.inner.Exec(args) //nolint:staticcheck // database/sql calls it only for drivers without ExecContext
}

func (s *guardStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.inner.Query(args) //nolint:staticcheck // as Exec
}

func (s *guardStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.c.arm(ctx)
	if e, ok := s.inner.(driver.StmtExecContext); ok {
		res, err := e.ExecContext(ctx, args)
		return res, s.c.explain(err)
	}
	res, err := s.inner.Exec(values(args)) //nolint:staticcheck // the driver has nothing better
	return res, s.c.explain(err)
}

func (s *guardStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.c.arm(ctx)
	if q, ok := s.inner.(driver.StmtQueryContext); ok {
		rows, err := q.QueryContext(ctx, args)
		return rows, s.c.explain(err)
	}
	rows, err := s.inner.Query(values(args)) //nolint:staticcheck // as Exec
	return rows, s.c.explain(err)
}

// CheckNamedValue is the statement's checker, else its connection's, as
// database/sql would pick without the wrapper.
func (s *guardStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return s.c.CheckNamedValue(nv)
}

// values drops the names of positional arguments, for a driver statement
// without the context methods.
func values(args []driver.NamedValue) []driver.Value {
	v := make([]driver.Value, len(args))
	for i := range args {
		v[i] = args[i].Value
	}
	return v
}
