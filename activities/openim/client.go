package openim

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config says where the server is and how to become its admin.
type Config struct {
	BaseURL     string // e.g. http://openim-api:10002, no path prefix
	AdminUserID string // one of the server's imAdminUserID
	Secret      string // share.yml secret
	// HTTPClient nil means a client with a 30 s timeout and a pooled transport.
	HTTPClient *http.Client
}

// Client is safe for concurrent use.
type Client struct {
	base   string
	admin  string
	secret string
	hc     *http.Client
	now    func() time.Time
	cfgErr error // a Config no call can succeed with

	fetching chan struct{} // one token fetch at a time serves all callers
	mu       sync.Mutex    // guards tok
	tok      cachedToken
}

// maxResponse bounds a response body; the server's own bound is 8 MiB.
const maxResponse = 32 << 20

// New returns a client; it does not contact the server.
func New(cfg Config) *Client {
	hc := cfg.HTTPClient
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64 // batch workers call one host in parallel
		hc = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	return &Client{
		base:     strings.TrimRight(cfg.BaseURL, "/"),
		admin:    cfg.AdminUserID,
		secret:   cfg.Secret,
		hc:       hc,
		now:      time.Now,
		cfgErr:   checkConfig(cfg),
		fetching: make(chan struct{}, 1),
	}
}

func checkConfig(cfg Config) error {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return invalidf("BaseURL %q is not an http(s) URL", cfg.BaseURL)
	case cfg.AdminUserID == "":
		return invalidf("AdminUserID is empty")
	case cfg.Secret == "":
		return invalidf("Secret is empty")
	}
	return nil
}

// call posts with the admin token and retries once with a new token when the
// server rejects the cached one.
func (c *Client) call(ctx context.Context, path string, in, out any) error {
	tok, err := c.adminToken(ctx)
	if err != nil {
		return err
	}
	err = c.post(ctx, path, tok, in, out)
	if !tokenRejected(err) {
		return err
	}
	c.dropToken(tok)
	if tok, err = c.adminToken(ctx); err != nil {
		return err
	}
	return c.post(ctx, path, tok, in, out)
}

// post sends one request. token "" sends no token header (get_admin_token).
func (c *Client) post(ctx context.Context, path, token string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("openim %s: encoding the request: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: openim %s: %v", ErrInvalidArgument, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("operationID", newOperationID())
	if token != "" {
		req.Header.Set("token", token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, path, token, err)
	}
	defer resp.Body.Close()
	raw, err := readBody(resp)
	if err != nil {
		return c.transportError(ctx, path, token, err)
	}
	e := c.decode(path, token, resp.StatusCode, raw, out)
	countRequest(path, codeLabel(e))
	if e != nil {
		return e
	}
	return nil
}

func (c *Client) transportError(ctx context.Context, path, token string, err error) error {
	countRequest(path, "transport")
	if ctx.Err() != nil {
		return fmt.Errorf("openim %s: %w", path, ctx.Err())
	}
	return &Error{Path: path, Dlt: c.redact(err.Error(), token), cause: err}
}

// readBody also undoes gzip when the transport did not (a caller's transport
// with DisableCompression that still asks for gzip).
func readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	return io.ReadAll(io.LimitReader(r, maxResponse))
}

// decode reads the envelope. data may be absent or null; both leave out as is.
func (c *Client) decode(path, token string, status int, raw []byte, out any) *Error {
	var env struct {
		ErrCode *int            `json:"errCode"`
		ErrMsg  string          `json:"errMsg"`
		ErrDlt  string          `json:"errDlt"`
		Data    json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &env) != nil || env.ErrCode == nil {
		// A panic (500, empty body), an unknown path (404, plain text) or
		// something that is not OpenIM at all.
		if status == http.StatusOK {
			return &Error{Path: path, HTTPStatus: status, Msg: "BadResponse", Dlt: "the reply is not an OpenIM envelope"}
		}
		return &Error{Path: path, HTTPStatus: status, Msg: http.StatusText(status)}
	}
	if *env.ErrCode != 0 {
		return &Error{Path: path, Code: *env.ErrCode, Msg: env.ErrMsg, Dlt: c.redact(env.ErrDlt, token), HTTPStatus: status}
	}
	if status != http.StatusOK {
		return &Error{Path: path, HTTPStatus: status, Msg: http.StatusText(status), Dlt: "errCode 0 with a non-200 status"}
	}
	if out == nil || len(env.Data) == 0 || string(env.Data) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return &Error{Path: path, HTTPStatus: status, Msg: "BadResponse", Dlt: "data: " + err.Error()}
	}
	return nil
}

// redact keeps the secret and the request's token out of error texts,
// whatever the server or the transport chose to echo.
func (c *Client) redact(s, token string) string {
	if c.secret != "" {
		s = strings.ReplaceAll(s, c.secret, "[secret]")
	}
	if token != "" {
		s = strings.ReplaceAll(s, token, "[token]")
	}
	return s
}

// newOperationID is a millisecond timestamp plus a random suffix, new for
// every request so server logs can be joined to ours.
func newOperationID() string {
	return "imshift_" + strconv.FormatInt(time.Now().UnixMilli(), 10) + "_" + strconv.FormatUint(rand.Uint64()&0xffffffff, 36)
}
