package db

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RetryBroken runs fn and, when it failed on a broken connection (the
// server restarted, or an administrator ended the session), drops every
// pooled connection and runs fn once more. pgxpool pings only connections
// idle for over a second before handing them out, so after a PostgreSQL
// restart a busy pool still holds dead connections; one retry on a fresh
// connection turns that into a success instead of an error for the caller.
// fn must be safe to run twice (an idempotent statement or a read).
func RetryBroken(ctx context.Context, pool *pgxpool.Pool, fn func(context.Context) error) error {
	err := fn(ctx)
	if err == nil || !BrokenConn(err) || ctx.Err() != nil {
		return err
	}
	pool.Reset()
	return fn(ctx)
}

// BrokenConn reports an error that says the connection, not the statement,
// failed: the server went away or ended the session (SQLSTATE class 08
// connection exception, 57P01..57P03 shutdown), or the socket broke.
func BrokenConn(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var netErr net.Error
	return pgconn.SafeToRetry(err) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
