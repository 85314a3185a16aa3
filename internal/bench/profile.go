package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileSeconds is how long the CPU profiles of a placement run of n holds last: about the run, at most 30 s
// (the operators' listener answers within 30 s).
func profileSeconds(n int) int { return min(25, max(5, n/40)) }

// takeProfiles starts a CPU profile of `seconds` on each service (name → operator listener base URL, Go's
// /debug/pprof/profile) and returns a function that waits for them and lists the files written to dir as
// <name>-<phase>.pprof (read them with `go tool pprof -top <yoyaku binary> <file>`). A profile that fails is
// logged and left out.
func takeProfiles(ctx context.Context, services map[string]string, dir, phase string, seconds int, log *slog.Logger) func() []string {
	if len(services) == 0 || dir == "" {
		return func() []string { return nil }
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		files []string
	)
	hc := &http.Client{Timeout: time.Duration(seconds+20) * time.Second}
	for name, base := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := filepath.Join(dir, fmt.Sprintf("%s-%s.pprof", name, phase))
			if err := fetchProfile(ctx, hc, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, seconds), path); err != nil {
				log.Warn("cpu profile", "service", name, "err", err)
				return
			}
			mu.Lock()
			files = append(files, path)
			mu.Unlock()
		}()
	}
	return func() []string {
		wg.Wait()
		return files
	}
}

func fetchProfile(ctx context.Context, hc *http.Client, url, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		_ = f.Close()
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return f.Close()
}
