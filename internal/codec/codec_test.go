package codec

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

const (
	keyA = "a:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	keyB = "b:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
)

func mustCodec(t *testing.T, spec string) *Codec {
	t.Helper()
	keys, err := ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	return New(keys)
}

func plainPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEncodeHidesDataAndDecodeRestoresIt(t *testing.T) {
	c := mustCodec(t, keyA)
	in := plainPayload(t, map[string]string{"title": "Your code", "body": "123456"})
	enc, err := c.Encode([]*commonpb.Payload{in})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc[0].Data, []byte("123456")) || string(enc[0].Metadata["encoding"]) != Encoding {
		t.Fatalf("encoded payload is not encrypted: %q", enc[0].Metadata)
	}
	if got := string(enc[0].Metadata[KeyIDMetadata]); got != "a" {
		t.Fatalf("key id = %q, want a", got)
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dec[0].Data, in.Data) || string(dec[0].Metadata["encoding"]) != "json/plain" {
		t.Fatalf("decoded %q, want %q", dec[0].Data, in.Data)
	}
}

func TestRotationNewKeyEncryptsOldKeyStillDecrypts(t *testing.T) {
	old := mustCodec(t, keyA)
	enc, err := old.Encode([]*commonpb.Payload{plainPayload(t, "before rotation")})
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustCodec(t, keyB+","+keyA)
	if _, err := rotated.Decode(enc); err != nil {
		t.Fatalf("rotated codec cannot read the old key's payload: %v", err)
	}
	fresh, err := rotated.Encode([]*commonpb.Payload{plainPayload(t, "after rotation")})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fresh[0].Metadata[KeyIDMetadata]); got != "b" {
		t.Fatalf("rotated codec encrypts with %q, want b (the first key)", got)
	}
	_, err = old.Decode(fresh)
	if err == nil || !strings.Contains(err.Error(), `key "b"`) {
		t.Fatalf("decode without the key: err = %v, want one naming key b", err)
	}
}

func TestDecodePassesUnencryptedPayloadsThrough(t *testing.T) {
	in := plainPayload(t, "written before encryption was on")
	out, err := mustCodec(t, keyA).Decode([]*commonpb.Payload{in})
	if err != nil || out[0] != in {
		t.Fatalf("plain payload changed: %v", err)
	}
}

func TestTamperedPayloadIsRefused(t *testing.T) {
	c := mustCodec(t, keyA)
	enc, _ := c.Encode([]*commonpb.Payload{plainPayload(t, "x")})
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	if _, err := c.Decode(enc); err == nil {
		t.Fatal("a modified ciphertext decoded")
	}
}

func TestParseKeysNamesTheBadEntryNeverTheKey(t *testing.T) {
	for spec, want := range map[string]string{
		"":                      "holds no key",
		"nokey":                 "entry 1 is not id:base64key",
		"a:c2hvcnQ=":            `key "a" is not 32 bytes`,
		keyA + ",a:c2hvcnQ=":    `key id "a" appears twice`,
		"k:not-base64!!!!!!!!!": `key "k" is not 32 bytes`,
	} {
		_, err := ParseKeys(spec)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeys(%q) = %v, want %q", spec, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "c2hvcnQ") {
			t.Errorf("error quotes key material: %v", err)
		}
	}
}

func TestServerSpeaksTheRemoteCodecProtocolWithAuthAndCORS(t *testing.T) {
	c := mustCodec(t, keyA)
	token := "codec-token-0123456789"
	srv := httptest.NewServer(Handler(c, ServerOptions{Tokens: []string{token}, Origins: []string{"http://ui.example"}}))
	defer srv.Close()

	// The SDK's own remote codec client is what `temporal --codec-endpoint` uses.
	remote := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: srv.URL,
		ModifyRequest: func(r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		},
	})
	enc, err := c.Encode([]*commonpb.Payload{plainPayload(t, "otp 654321")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := remote.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dec[0].Data, []byte("otp 654321")) {
		t.Fatalf("remote decode = %q", dec[0].Data)
	}
	reenc, err := remote.Encode(dec)
	if err != nil || string(reenc[0].Metadata["encoding"]) != Encoding {
		t.Fatalf("remote encode: %v", err)
	}

	anonymous := converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{Endpoint: srv.URL})
	if _, err := anonymous.Decode(enc); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("decode without a token: err = %v, want Unauthorized", err)
	}

	pre, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	pre.Header.Set("Origin", "http://ui.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") {
		t.Fatalf("preflight = %d %v", resp.StatusCode, resp.Header)
	}
	pre.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("an unlisted origin was allowed")
	}
}
