package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/internal/db"
)

// benchDB is the throwaway database the bench seeds.
type benchDB struct {
	admin, name, url string
}

func createDB(ctx context.Context, admin string) (*benchDB, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	d := &benchDB{admin: admin, name: "imshift_bench_" + hex.EncodeToString(b)}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	u.Path = "/" + d.name
	d.url = u.String()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+d.name)
	return d, err
}

// open migrates the database and returns a pool on it.
func (d *benchDB) open(ctx context.Context) (*pgxpool.Pool, error) {
	pool, err := db.Open(ctx, d.url)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func (d *benchDB) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		logf("drop %s: %v", d.name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)"); err != nil {
		logf("drop %s: %v", d.name, err)
	}
}
