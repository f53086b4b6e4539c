// Package temporalclient is the one place imshift dials Temporal: the
// worker, `worker setup`, the HTTP API (through the worker's client) and
// `starter` all connect here, with the TEMPORAL_* settings (envconfig) and,
// when IMSHIFT_CODEC_KEYS is set, payload encryption.
package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/internal/codec"
	"github.com/imshift/imshift/internal/config"
)

// Options returns the client options from the environment (lookup is
// os.LookupEnv when nil), with the encrypting data converter when keys are
// set.
func Options(lookup func(string) (string, bool)) (client.Options, error) {
	opts, err := config.Temporal()
	if err != nil {
		return opts, err
	}
	c, err := Codec(lookup)
	if err != nil || c == nil {
		return opts, err
	}
	Encrypt(&opts, c)
	return opts, nil
}

// Codec returns the codec of IMSHIFT_CODEC_KEYS, or nil when it is unset.
func Codec(lookup func(string) (string, bool)) (*codec.Codec, error) {
	raw := config.CodecKeys(lookup)
	if raw == "" {
		return nil, nil
	}
	keys, err := codec.ParseKeys(raw)
	if err != nil {
		return nil, &config.Error{Name: "IMSHIFT_CODEC_KEYS", Problem: err.Error()}
	}
	return codec.New(keys), nil
}

// Encrypt makes opts encrypt every payload with c. Failure messages and
// stack traces are encrypted too (they can quote a title or a user id).
func Encrypt(opts *client.Options, c *codec.Codec) {
	dc := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: true,
	})
}

// Dial connects with Options; configure, when not nil, adds what only the
// caller knows (logger, metrics).
func Dial(ctx context.Context, configure func(*client.Options)) (client.Client, error) {
	opts, err := Options(nil)
	if err != nil {
		return nil, err
	}
	if configure != nil {
		configure(&opts)
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}
