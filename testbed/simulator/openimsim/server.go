package openimsim

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/testbed/simulator/delay"
)

// Defaults of a stock OpenIM deployment (config/share.yml, openim-rpc-auth.yml).
const (
	DefaultSecret      = "openIM123"
	DefaultAdminUserID = "imAdmin"
	DefaultTokenTTL    = 90 * 24 * time.Hour
)

// maxBody bounds a request body; the real bound is the 8 MiB gRPC limit.
const maxBody = 64 << 20

// Options configures a Server. Zero values take the defaults above.
type Options struct {
	Secret       string        // shared secret and JWT signing key
	AdminUserIDs []string      // imAdminUserID; created at start like the user service does
	TokenTTL     time.Duration // tokenPolicy.expire
	Latency      time.Duration // added before every API answer
	Webhooks     WebhookConfig // presence webhooks (off when URL is empty)
}

// Server is the simulator; it implements http.Handler.
type Server struct {
	opts     Options
	admins   map[string]bool
	routes   map[string]*endpoint
	requests map[string]*atomic.Int64 // per API path; keys fixed at New
	control  *http.ServeMux

	latency     atomic.Int64 // nanoseconds
	clockOffset atomic.Int64 // nanoseconds added to time.Now

	hooks *webhooks // presence webhook sender; kept across Reset

	mu sync.RWMutex
	st *store
}

// caller is who the token header says is calling.
type caller struct {
	userID     string
	platformID int
	admin      bool
}

type endpoint struct {
	// public endpoints take no token header (the router's whitelist).
	public bool
	handle func(s *Server, c caller, body []byte) (any, *apiError)
}

// New returns a Server holding only the admin accounts.
func New(opts Options) *Server {
	if opts.Secret == "" {
		opts.Secret = DefaultSecret
	}
	if len(opts.AdminUserIDs) == 0 {
		opts.AdminUserIDs = []string{DefaultAdminUserID}
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	s := &Server{opts: opts, admins: map[string]bool{}, routes: routes(), requests: map[string]*atomic.Int64{}}
	for _, id := range opts.AdminUserIDs {
		s.admins[id] = true
	}
	for path := range s.routes {
		s.requests[path] = new(atomic.Int64)
	}
	s.control = s.controlMux()
	s.hooks = newWebhooks()
	if err := s.SetWebhooks(opts.Webhooks); err != nil {
		panic(err) // a test's or main's own constant
	}
	s.Reset()
	return s
}

func routes() map[string]*endpoint {
	return map[string]*endpoint{
		"/auth/get_admin_token":         {public: true, handle: getAdminToken},
		"/auth/get_user_token":          {handle: getUserToken},
		"/auth/parse_token":             {public: true, handle: parseToken},
		"/auth/force_logout":            {handle: forceLogout},
		"/user/user_register":           {handle: userRegister},
		"/user/account_check":           {handle: accountCheck},
		"/user/get_users_info":          {handle: getUsersInfo},
		"/user/get_users_online_status": {handle: getUsersOnlineStatus},
		"/user/get_users_status":        {handle: getUsersStatus},
		"/third/fcm_update_token":       {handle: fcmUpdateToken},
	}
}

// ServeHTTP answers the API in the order the real middleware chain does:
// CORS/OPTIONS, route, operationID, token, body, handler. Faults and latency
// come first so they act like the network or a broken dependency.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.control.ServeHTTP(w, r)
		return
	}
	setCORS(w.Header())
	if r.Method == http.MethodOptions {
		writeJSON(w, r, http.StatusOK, "Options Request!")
		return
	}
	ep, ok := s.routes[r.URL.Path]
	if !ok || r.Method != http.MethodPost {
		writeNotFound(w)
		return
	}
	s.requests[r.URL.Path].Add(1)
	// Read the body first: only then does net/http notice a client that
	// gives up during the wait.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if !s.wait(r.Context()) {
		return
	}
	if f, ok := s.fault(r.URL.Path, body); ok {
		writeFault(w, r, f)
		return
	}
	if r.Header.Get("operationID") == "" {
		s.reply(w, r, nil, argsErr("header must have operationID"))
		return
	}
	c, e := s.authenticate(ep, r.Header.Get("token"))
	if e != nil {
		s.reply(w, r, nil, e)
		return
	}
	data, e := ep.handle(s, c, body)
	s.reply(w, r, data, e)
}

// wait holds the answer for the configured latency; false when the client
// went away meanwhile.
func (s *Server) wait(ctx context.Context) bool {
	return delay.Wait(ctx, time.Duration(s.latency.Load()))
}

func (s *Server) now() time.Time {
	return time.Now().Add(time.Duration(s.clockOffset.Load()))
}

func (s *Server) authenticate(ep *endpoint, token string) (caller, *apiError) {
	if ep.public {
		return caller{}, nil
	}
	if token == "" {
		return caller{}, argsErr("header must have token")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	cl, e := s.verifyLocked(token)
	if e != nil {
		return caller{}, e
	}
	return caller{userID: cl.UserID, platformID: cl.PlatformID, admin: s.admins[cl.UserID]}, nil
}
