package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSpecChanged means the campaign id now holds another message than the
// one the workflow started with (the id was reused by a later start).
var ErrSpecChanged = errors.New("campaign: the stored message for this campaign id changed")

// specStore keeps campaign specs in imshift.campaigns and caches them per
// (id, hash): a page activity reads its campaign's message from memory after
// the first page on a worker.
type specStore struct {
	pool  *pgxpool.Pool
	mu    sync.Mutex
	cache map[string]*Spec // campaignId + "/" + hash
}

// maxCachedSpecs bounds the cache; running campaigns are few.
const maxCachedSpecs = 256

func newSpecStore(pool *pgxpool.Pool) *specStore {
	return &specStore{pool: pool, cache: map[string]*Spec{}}
}

// hashSpec names one exact spec.
func hashSpec(s *Spec) (string, []byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", nil, fmt.Errorf("campaign: encode spec: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), b, nil
}

// save stores s under its campaign id and returns its hash.
func (st *specStore) save(ctx context.Context, s *Spec) (string, error) {
	hash, b, err := hashSpec(s)
	if err != nil {
		return "", err
	}
	_, err = st.pool.Exec(ctx, `
		INSERT INTO imshift.campaigns (campaign_id, spec, spec_hash) VALUES ($1, $2, $3)
		ON CONFLICT (campaign_id) DO UPDATE SET spec = EXCLUDED.spec, spec_hash = EXCLUDED.spec_hash, updated_at = now()`,
		s.CampaignID, b, hash)
	if err != nil {
		return "", fmt.Errorf("campaign: save spec: %w", err)
	}
	return hash, nil
}

// load returns the spec stored for campaignID, which must have hash.
func (st *specStore) load(ctx context.Context, campaignID, hash string) (*Spec, error) {
	key := campaignID + "/" + hash
	st.mu.Lock()
	s := st.cache[key]
	st.mu.Unlock()
	if s != nil {
		return s, nil
	}
	var b []byte
	var stored string
	err := st.pool.QueryRow(ctx, `SELECT spec, spec_hash FROM imshift.campaigns WHERE campaign_id = $1`,
		campaignID).Scan(&b, &stored)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && stored != hash {
		return nil, ErrSpecChanged
	}
	if err != nil {
		return nil, fmt.Errorf("campaign: load spec: %w", err)
	}
	s = new(Spec)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("campaign: decode spec: %w", err)
	}
	st.mu.Lock()
	if len(st.cache) >= maxCachedSpecs {
		clear(st.cache)
	}
	st.cache[key] = s
	st.mu.Unlock()
	return s, nil
}
