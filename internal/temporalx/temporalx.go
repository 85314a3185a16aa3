// Package temporalx builds Temporal clients the way every yoyaku process needs them: slog logging,
// Prometheus metrics and a bounded connection attempt.
package temporalx

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	tlog "go.temporal.io/sdk/log"
)

// Metrics is a Prometheus registry that also receives the Temporal SDK's metrics.
type Metrics struct {
	Registry *prometheus.Registry
	handler  client.MetricsHandler
	closer   func() error
}

// NewMetrics makes a registry with Go and process collectors and a Temporal SDK metrics handler on it.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reporter := tallyprom.NewReporter(tallyprom.Options{Registerer: reg})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	scope = sdktally.NewPrometheusNamingScope(scope)
	return &Metrics{Registry: reg, handler: sdktally.NewMetricsHandler(scope), closer: closer.Close}, nil
}

// Handler serves the registry at /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Operator serves what the operators' listener offers: the metrics at /metrics and Go's profiles at
// /debug/pprof/ (`yoyaku bench` takes CPU profiles there). The listener is loopback or a private network,
// never the patrons' one.
func (m *Metrics) Operator() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// Close flushes the SDK metrics scope.
func (m *Metrics) Close() error { return m.closer() }

// Dial connects to Temporal, retrying for up to a minute so that processes started together with the
// server do not fail while it boots.
func Dial(ctx context.Context, hostPort, namespace string, logger *slog.Logger, m *Metrics) (client.Client, error) {
	opts := client.Options{
		HostPort:  hostPort,
		Namespace: namespace,
		Logger:    tlog.NewStructuredLogger(logger.With("component", "temporal")),
	}
	if m != nil {
		opts.MetricsHandler = m.handler
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		c, err := client.DialContext(ctx, opts)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("temporal: connect to %s: %w", hostPort, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
