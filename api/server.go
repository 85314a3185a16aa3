// Package api serves yoyaku over HTTP with Gin: the patron JSON API, the staff JSON API, health, liveness and
// the OpenAPI document, and metrics on a handler of their own (MetricsHandler); its Router composes them with
// the patron pages (opac) and the staff console (console). Handlers stay thin: they bind input, call the
// library's operations (package library) or read the store, and answer errors through the code table
// (httpkit/codes.go). The contract is api/openapi.yaml and api/README.md.
package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/console"
	"yoyaku/httpkit"
	"yoyaku/internal/temporalx"
	"yoyaku/opac"
	"yoyaku/store"
)

// Server holds the API's dependencies.
type Server struct {
	DB       *sqlx.DB
	Temporal client.Client
	Cfg      config.Config
	Log      *slog.Logger
	Metrics  *temporalx.Metrics
	// Approvals lets placements wait for their holds' approval; nil answers them at once (予約申込).
	Approvals *store.ApprovalWatch

	httpMetricsOnce sync.Once
	httpMetrics     *httpkit.HttpMetrics

	health healthCache // /healthz's shared dependency check (health.go)

	// *Kit is built from the fields above by kit(), which Router calls first.
	*httpkit.Kit
	kitOnce sync.Once
}

// kit is what the surfaces share, built once from the Server's fields.
func (s *Server) kit() *httpkit.Kit {
	s.kitOnce.Do(func() {
		s.Kit = httpkit.NewKit(s.DB, s.Temporal, &s.Cfg, s.Log, []httpkit.TextTable{opac.PatronTexts, console.StaffTexts}, []fs.FS{opac.Templates, console.Templates})
		s.Kit.Lib.Approvals = s.Approvals
	})
	return s.Kit
}

// Router builds the Gin engine with every route.
func (s *Server) Router() *gin.Engine {
	s.kit()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// c.ClientIP() (the login throttle's client address) is the peer address, unless the peer is one of the
	// proxies of YOYAKU_TRUSTED_PROXIES: then it is the last address in X-Forwarded-For that is not a trusted
	// proxy. X-Real-IP is never believed, and with no proxy listed no header is: nobody dodges the throttle.
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(s.Cfg.TrustedProxies); err != nil {
		// config.LoadFrom refuses such a value with a clearer message; this is a Server built without it.
		panic("api: YOYAKU_TRUSTED_PROXIES: " + err.Error())
	}
	r.NoRoute(s.NoRoute(http.StatusNotFound, httpkit.CodeNotFound))
	r.NoMethod(s.NoRoute(http.StatusMethodNotAllowed, httpkit.CodeMethodNotAllowed))
	r.Use(httpkit.Recovery(s.Log), httpkit.RequestLog(s.Log), s.metricsMiddleware(), httpkit.SecurityHeaders(s.Cfg.PublicURL), httpkit.LimitBody(httpkit.MaxBody))

	s.routes(r)
	(&opac.Pages{Kit: s.kit()}).WebRoutes(r)           // the patron pages (package opac)
	(&console.Console{Kit: s.kit()}).StaffWebRoutes(r) // the staff console (package console): its own session cookie and CSRF tokens
	return r
}

// metricsMiddleware registers the HTTP metrics once per Server, however often Router is called.
func (s *Server) metricsMiddleware() gin.HandlerFunc {
	s.httpMetricsOnce.Do(func() { s.httpMetrics = httpkit.NewHTTPMetrics(s.Metrics) })
	return s.httpMetrics.Middleware()
}

func (s *Server) branches(c *gin.Context) {
	bs, err := store.Branches(c.Request.Context(), s.DB)
	if err != nil {
		s.Internal(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"branches": bs})
}

// bindRun is a JSON handler around one operation: it binds the body into a Req, runs op and answers status
// with op's answer, or op's refusal or failure (FailErr) with its code.
func bindRun[Req any](s *Server, c *gin.Context, status int, op func(req Req) (any, error)) {
	var req Req
	if !httpkit.BindJSON(c, &req) {
		return
	}
	out, err := op(req)
	if err != nil {
		s.FailErr(c, err)
		return
	}
	c.JSON(status, out)
}
