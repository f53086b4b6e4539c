// Package db opens imshift's PostgreSQL pool and applies its migrations.
// Everything imshift owns lives in the schema "imshift"; migrations are SQL
// files embedded in the binary and applied by goose, so `worker migrate` is
// the whole install step and running it twice changes nothing.
package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema imshift owns.
const Schema = "imshift"

// DefaultMaxConns is the pool's size unless the URL sets pool_max_conns.
// pgxpool's own default (the larger of 4 and the CPU count) left
// transactional pushes queueing for a connection behind campaign pages on
// small machines (docs/delivery.md, "SendPush at rate").
const DefaultMaxConns = 16

// Open returns a connection pool. The URL may carry pool settings
// (pool_max_conns=...), as pgxpool documents.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("IMSHIFT_DATABASE_URL cannot be parsed")
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", err)
	}
	return pool, nil
}

// Migrate applies every pending migration and returns the versions applied.
// A Postgres advisory lock keeps two workers starting at once from racing.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int64, error) {
	if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+Schema); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := provider(sqlDB)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

func provider(sqlDB *sql.DB) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithTableName(Schema+".goose_db_version"),
		goose.WithSessionLocker(locker))
}
