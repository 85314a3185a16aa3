package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
)

// healthTTL is how long /healthz reuses a dependency check: however often it is called, PostgreSQL and
// Temporal are asked at most once per healthTTL (plus the check's own duration) per API process.
const healthTTL = time.Second

// healthTimeout bounds one dependency check.
const healthTimeout = 3 * time.Second

// healthResult is one dependency check: the status /healthz answers and its body. checks is never changed
// once the result is stored, so callers may share it.
type healthResult struct {
	status int
	checks gin.H
}

// healthCache shares dependency checks between /healthz callers: a result younger than healthTTL is reused,
// and callers that arrive while a check runs wait for it instead of starting their own. The check runs in
// the goroutine of the caller that started it (no goroutine of its own), bounded by healthTimeout.
type healthCache struct {
	mu       sync.Mutex
	result   healthResult
	at       time.Time     // when result was measured (its check finished); zero before the first
	inflight chan struct{} // closed when the running check ends; nil when none runs
}

// get returns a fresh enough result, running check when there is none. A waiting caller whose ctx ends
// gets ctx's error.
func (h *healthCache) get(ctx context.Context, check func() healthResult) (healthResult, error) {
	h.mu.Lock()
	if wait := h.inflight; wait != nil {
		h.mu.Unlock()
		select {
		case <-wait:
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.result, nil
		case <-ctx.Done():
			return healthResult{}, ctx.Err()
		}
	}
	if !h.at.IsZero() && time.Since(h.at) < healthTTL {
		defer h.mu.Unlock()
		return h.result, nil
	}
	done := make(chan struct{})
	h.inflight = done
	h.mu.Unlock()

	var r healthResult
	defer func() { // also when check panics: waiters must never wait for ever
		if r.status == 0 {
			r = healthResult{status: http.StatusServiceUnavailable, checks: gin.H{"postgres": "unreachable", "temporal": "unreachable"}}
		}
		h.mu.Lock()
		h.result, h.at, h.inflight = r, time.Now(), nil
		h.mu.Unlock()
		close(done)
	}()
	r = check()
	return r, nil
}

// healthz answers 200 when PostgreSQL and Temporal are reachable, else 503 naming the unreachable one. A
// check younger than healthTTL is reused, so /healthz cannot be used to load the dependencies.
func (s *Server) healthz(c *gin.Context) {
	ctx := c.Request.Context()
	r, err := s.health.get(ctx, func() healthResult {
		// The check serves every caller waiting for it: the first caller going away must not cut it short.
		return s.checkDependencies(context.WithoutCancel(ctx))
	})
	if err != nil { // the client went away while waiting
		c.AbortWithStatus(http.StatusServiceUnavailable)
		return
	}
	c.JSON(r.status, r.checks)
}

// checkDependencies pings PostgreSQL and Temporal once each (counted in yoyaku_healthz_checks_total).
func (s *Server) checkDependencies(ctx context.Context) healthResult {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	if s.httpMetrics != nil {
		s.httpMetrics.HealthChecks.Inc()
	}
	r := healthResult{status: http.StatusOK, checks: gin.H{"postgres": "ok", "temporal": "ok"}}
	if err := s.DB.PingContext(ctx); err != nil {
		s.Log.WarnContext(ctx, "healthz: postgres", "err", err)
		r.checks["postgres"], r.status = "unreachable", http.StatusServiceUnavailable
	}
	if _, err := s.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		s.Log.WarnContext(ctx, "healthz: temporal", "err", err)
		r.checks["temporal"], r.status = "unreachable", http.StatusServiceUnavailable
	}
	return r
}

// livez answers 200 while the process serves HTTP, without touching PostgreSQL or Temporal: a liveness probe
// that restarts nothing when a dependency is down.
func (s *Server) livez(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// MetricsHandler serves GET /metrics (Prometheus) and Go's profiles (/debug/pprof/). The API serves it on a
// listener of its own (YOYAKU_METRICS_ADDR), never on the patron listener that Router serves.
func (s *Server) MetricsHandler() http.Handler {
	return s.Metrics.Operator()
}
