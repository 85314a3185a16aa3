package httpkit

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"yoyaku/internal/temporalx"
)

// Recovery turns a panic into a logged 500 with the error envelope, never a stack trace in the body.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if err, ok := r.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(r)
				}
				log.ErrorContext(c.Request.Context(), "panic", "path", c.Request.URL.Path, "panic", fmt.Sprint(r))
				FailCode(c, CodeInternal)
			}
		}()
		c.Next()
	}
}

// RequestLog logs every request: its method, path, status and duration.
func RequestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "http", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", c.Writer.Status(), "ms", time.Since(start).Milliseconds())
	}
}

// contentSecurityPolicy lets the web pages load scripts, styles and images only from this site (no inline
// scripts or styles), post forms only to it, and be framed by no one.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// SecurityHeaders sets the headers every answer carries (JSON and the web pages alike). Answers to
// authenticated requests (bearer token or session cookie) and to unsafe methods (logins hand out tokens)
// are Cache-Control: no-store. HSTS is sent only when the public address is https.
func SecurityHeaders(publicURL string) gin.HandlerFunc {
	hsts := httpsURL(publicURL)
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		_, cookieErr := c.Request.Cookie(SessionCookie)
		if c.Request.Header.Get("Authorization") != "" || cookieErr == nil ||
			(c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
			h.Set("Cache-Control", "no-store")
		}
		c.Next()
	}
}

// LimitBody refuses bodies over n bytes: at once when Content-Length says so, and while reading otherwise
// (handlers then see *http.MaxBytesError and answer 413 through bindJSON).
func LimitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			FailCode(c, CodeTooLarge)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

type HttpMetrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	HealthChecks prometheus.Counter // dependency checks /healthz ran (health.go)
}

func NewHTTPMetrics(m *temporalx.Metrics) *HttpMetrics {
	hm := &HttpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yoyaku_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yoyaku_http_request_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
		HealthChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yoyaku_healthz_checks_total",
			Help: "Checks of PostgreSQL and Temporal run for /healthz (callers within a second share one).",
		}),
	}
	m.Registry.MustRegister(hm.requests, hm.duration, hm.HealthChecks)
	return hm
}

func (hm *HttpMetrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched" // keeps label cardinality bounded
		}
		hm.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(c.Writer.Status())).Inc()
		hm.duration.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
	}
}

// MaxBody is the largest request body accepted; larger ones get 413 payload_too_large.
const MaxBody = 64 << 10
