package config

import (
	"strings"
	"testing"
)

func TestCodecServerNeedsKeysAndTokensOffLoopback(t *testing.T) {
	for name, tc := range map[string]struct {
		set  map[string]string
		want string // "" means accepted
	}{
		"off":               {map[string]string{}, ""},
		"loopback, no auth": {map[string]string{"IMSHIFT_CODEC_ADDR": "127.0.0.1:8081", "IMSHIFT_CODEC_KEYS": "k:x"}, ""},
		"no keys":           {map[string]string{"IMSHIFT_CODEC_ADDR": "127.0.0.1:8081"}, "setting IMSHIFT_CODEC_KEYS: is missing"},
		"public, no token":  {map[string]string{"IMSHIFT_CODEC_ADDR": ":8081", "IMSHIFT_CODEC_KEYS": "k:x"}, "setting IMSHIFT_CODEC_TOKENS: is missing"},
		"short token": {map[string]string{"IMSHIFT_CODEC_ADDR": ":8081", "IMSHIFT_CODEC_KEYS": "k:x",
			"IMSHIFT_CODEC_TOKENS": "short"}, "at least 16"},
		"behind a proxy": {map[string]string{"IMSHIFT_CODEC_ADDR": ":8081", "IMSHIFT_CODEC_KEYS": "k:x",
			"IMSHIFT_CODEC_ALLOW_UNAUTHENTICATED": "true"}, ""},
	} {
		env := validWorkerEnv(t)
		for k, v := range tc.set {
			env[k] = v
		}
		_, err := LoadWorker(lookup(env))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}
