package devstack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"

	"yoyaku/contract"

	"go.temporal.io/sdk/client"
)

// TemporalOptions configures StartTemporal.
type TemporalOptions struct {
	Bin    string // the pinned temporal CLI
	DBFile string // SQLite file that keeps workflows between runs
	Port   int
	UIPort int
	Out    io.Writer
}

// StartTemporal runs `temporal server start-dev` with the Web UI and yoyaku's search attributes registered.
// The test harness uses testsuite.StartDevServer instead; `yoyaku dev` runs the CLI itself so that the
// server sits in its own process group and dies with its parent (Pdeathsig), which StartDevServer does not do.
func StartTemporal(ctx context.Context, o TemporalOptions) (*Proc, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("temporal CLI not found at %s: run `make tools`", o.Bin)
	}
	for _, p := range []int{o.Port, o.UIPort} {
		if !PortFree(p) {
			return nil, fmt.Errorf("temporal: port %d is already in use (is another yoyaku dev running?)", p)
		}
	}
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1", "--port", strconv.Itoa(o.Port),
		"--ui-ip", "127.0.0.1", "--ui-port", strconv.Itoa(o.UIPort),
		"--db-filename", o.DBFile, "--namespace", "default",
		"--log-level", "warn", "--log-format", "pretty",
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false"}
	for _, name := range contract.SearchAttributeNames() {
		args = append(args, "--search-attribute", name+"="+contract.SearchAttributeType(name))
	}
	p, err := Start("temporal", o.Out, syscall.SIGINT, nil, nil, o.Bin, args...)
	if err != nil {
		return nil, err
	}
	if err := waitTemporal(ctx, p, fmt.Sprintf("127.0.0.1:%d", o.Port), fmt.Sprintf("http://127.0.0.1:%d/", o.UIPort)); err != nil {
		_ = p.Stop(10 * time.Second)
		return nil, err
	}
	return p, nil
}

func waitTemporal(ctx context.Context, p *Proc, hostPort, uiURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var last error
	for {
		select {
		case <-p.Done():
			return fmt.Errorf("temporal exited while starting: %v", p.Err())
		case <-ctx.Done():
			return fmt.Errorf("temporal did not become ready: %w (last error: %v)", ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
		if last = temporalReady(ctx, hostPort, uiURL); last == nil {
			return nil
		}
	}
}

func temporalReady(ctx context.Context, hostPort, uiURL string) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Logger: quietLogger{}})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return err
	}
	if uiURL == "" { // the Temporal server has no Web UI of its own
		return nil
	}
	return httpOK(ctx, uiURL)
}

func httpOK(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// quietLogger drops the SDK's log lines while polling for readiness.
type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}
