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

	mu  sync.Mutex // guards tok; held while fetching so one fetch serves all
	tok cachedToken
}

type cachedToken struct {
	value     string
	refreshAt time.Time
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
		base:   strings.TrimRight(cfg.BaseURL, "/"),
		admin:  cfg.AdminUserID,
		secret: cfg.Secret,
		hc:     hc,
		now:    time.Now,
	}
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

func (c *Client) adminToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok.value != "" && c.now().Before(c.tok.refreshAt) {
		return c.tok.value, nil
	}
	var reply struct {
		Token             string `json:"token"`
		ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
	}
	req := struct {
		Secret string `json:"secret"`
		UserID string `json:"userID"`
	}{c.secret, c.admin}
	if err := c.post(ctx, pathGetAdminToken, "", req, &reply); err != nil {
		return "", err
	}
	if reply.Token == "" {
		return "", &Error{Path: pathGetAdminToken, HTTPStatus: http.StatusOK, Msg: "BadResponse", Dlt: "no token in the reply"}
	}
	c.tok = cachedToken{value: reply.Token, refreshAt: refreshAt(reply.Token, reply.ExpireTimeSeconds, c.now())}
	return reply.Token, nil
}

// dropToken forgets tok unless another caller has already replaced it.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	if c.tok.value == tok {
		c.tok = cachedToken{}
	}
	c.mu.Unlock()
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
