// Package codec encrypts every Temporal payload imshift writes (workflow and
// activity inputs and results, signals, queries, memos, failure messages)
// with AES-256-GCM, so push titles, bodies and user ids are not stored in
// clear in Temporal's history. Keys come from IMSHIFT_CODEC_KEYS; the first
// key encrypts and every key decrypts, so keys rotate without rewriting
// history. Its HTTP handler is the codec server the Temporal UI and
// `temporal --codec-endpoint` call to show plaintext to operators.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding marks an encrypted payload; anything else passes through
	// decoding untouched, so histories written before encryption still read.
	Encoding = "binary/encrypted"
	// KeyIDMetadata names the key that encrypted a payload.
	KeyIDMetadata = "encryption-key-id"
)

// Key is one named AES-256 key.
type Key struct {
	ID   string
	AEAD cipher.AEAD
}

// ParseKeys reads the IMSHIFT_CODEC_KEYS form: a comma-separated list of
// id:base64key, each key 32 bytes (standard or URL base64). Errors name the
// entry by position or id, never the key material.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		id, b64, ok := strings.Cut(entry, ":")
		id = strings.TrimSpace(id)
		if !ok || id == "" {
			return nil, fmt.Errorf("entry %d is not id:base64key", i+1)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		raw, err := decodeBase64(strings.TrimSpace(b64))
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key %q is not 32 bytes of base64 (AES-256; make one with `openssl rand -base64 32`)", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("key %q: %v", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("key %q: %v", id, err)
		}
		keys = append(keys, Key{ID: id, AEAD: aead})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("holds no key")
	}
	return keys, nil
}

func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("not base64")
}

// Codec is a converter.PayloadCodec: Encode seals each payload, whole
// (metadata and data), with the first key; Decode opens it with the key its
// metadata names.
type Codec struct {
	keys []Key
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a codec over keys; keys[0] encrypts.
func New(keys []Key) *Codec { return &Codec{keys: keys} }

// Encode implements converter.PayloadCodec.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	key := c.keys[0]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, key.AEAD.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				KeyIDMetadata:              []byte(key.ID),
			},
			Data: key.AEAD.Seal(nonce, nonce, plain, []byte(key.ID)),
		}
	}
	return out, nil
}

// Decode implements converter.PayloadCodec.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[KeyIDMetadata])
		key, ok := c.key(id)
		if !ok {
			return nil, fmt.Errorf("payload encrypted with key %q, which is not in IMSHIFT_CODEC_KEYS", id)
		}
		ns := key.AEAD.NonceSize()
		if len(p.Data) < ns {
			return nil, fmt.Errorf("encrypted payload is too short")
		}
		plain, err := key.AEAD.Open(nil, p.Data[:ns], p.Data[ns:], []byte(key.ID))
		if err != nil {
			return nil, fmt.Errorf("decrypt payload with key %q: %w", id, err)
		}
		out[i] = &commonpb.Payload{}
		if err := proto.Unmarshal(plain, out[i]); err != nil {
			return nil, fmt.Errorf("decrypted payload: %w", err)
		}
	}
	return out, nil
}

func (c *Codec) key(id string) (Key, bool) {
	for _, k := range c.keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}
