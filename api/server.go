// Package api serves yoyaku over HTTP with Gin: the patron JSON API, the staff JSON API, health, liveness and
// the OpenAPI document, and metrics on a handler of their own (MetricsHandler). Handlers stay thin: they bind
// and validate input, call store or workflow code, and map errors to HTTP once (the code table, kit_codes.go).
package api

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"

	"yoyaku/config"
	"yoyaku/internal/temporalx"
	"yoyaku/store"
)

// Server holds the API's dependencies.
type Server struct {
	DB       *sqlx.DB
	Temporal client.Client
	Cfg      config.Config
	Log      *slog.Logger
	Metrics  *temporalx.Metrics

	httpMetricsOnce sync.Once
	httpMetrics     *httpMetrics

	health healthCache // /healthz's shared dependency check (health.go)
}

// maxBody is the largest request body accepted; larger ones get 413 payload_too_large.
const maxBody = 64 << 10

// Router builds the Gin engine with every route.
func (s *Server) Router() *gin.Engine {
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
	r.NoRoute(s.noRoute(http.StatusNotFound, CodeNotFound))
	r.NoMethod(s.noRoute(http.StatusMethodNotAllowed, CodeMethodNotAllowed))
	r.Use(recovery(s.Log), requestLog(s.Log), s.metricsMiddleware(), securityHeaders(s.Cfg.PublicURL), limitBody(maxBody))

	r.GET("/healthz", s.healthz)
	r.GET("/livez", s.livez) // /metrics is not here: it has a listener of its own (MetricsHandler)
	r.GET("/api/openapi.yaml", serveOpenAPI)
	r.GET("/static/*file", serveStatic)
	r.HEAD("/static/*file", serveStatic)

	v1 := r.Group("/api/v1")
	v1.GET("/branches", s.branches)
	s.catalogueRoutes(v1)
	s.sessionRoutes(v1)
	s.patronHoldRoutes(s.patronGroup(v1))
	s.basketRoutes(s.patronGroup(v1))
	s.meRoutes(s.patronGroup(v1))
	s.staffHoldRoutes(s.staffGroup(v1))
	s.staffCatalogueRoutes(s.staffGroup(v1))
	s.webRoutes(r)      // the patron pages (web_patron.go)
	s.staffWebRoutes(r) // the staff console: its own session cookie and CSRF tokens (web_staff.go)
	return r
}

// metricsMiddleware registers the HTTP metrics once per Server, however often Router is called.
func (s *Server) metricsMiddleware() gin.HandlerFunc {
	s.httpMetricsOnce.Do(func() { s.httpMetrics = newHTTPMetrics(s.Metrics) })
	return s.httpMetrics.middleware()
}

func (s *Server) branches(c *gin.Context) {
	bs, err := store.Branches(c.Request.Context(), s.DB)
	if err != nil {
		s.internal(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"branches": bs})
}
