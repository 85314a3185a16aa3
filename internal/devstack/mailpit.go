package devstack

import (
	"context"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// MailpitOptions configures StartMailpit.
type MailpitOptions struct {
	Bin      string
	Database string // SQLite file; empty keeps messages in memory
	SMTPPort int
	UIPort   int
	Out      io.Writer
	// AllowedRecipients, a regular expression, makes Mailpit refuse (550) every recipient that does not
	// match it (--smtp-allowed-recipients); empty accepts all. Tests use it as a server that refuses one
	// address.
	AllowedRecipients string
}

// StartMailpit runs Mailpit, the SMTP sink with a web UI and an HTTP API, on loopback.
func StartMailpit(ctx context.Context, o MailpitOptions) (*Proc, error) {
	if _, err := os.Stat(o.Bin); err != nil {
		return nil, fmt.Errorf("mailpit not found at %s: run `make tools`", o.Bin)
	}
	for _, p := range []int{o.SMTPPort, o.UIPort} {
		if !PortFree(p) {
			return nil, fmt.Errorf("mailpit: port %d is already in use (is another yoyaku dev running?)", p)
		}
	}
	args := []string{
		"--smtp", fmt.Sprintf("127.0.0.1:%d", o.SMTPPort),
		"--listen", fmt.Sprintf("127.0.0.1:%d", o.UIPort),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure",
		"--smtp-disable-rdns", "--disable-version-check", // no network here: never look anything up
		"--max", "100000", "--quiet",
	}
	if o.Database != "" {
		args = append(args, "--database", o.Database)
	}
	if o.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", o.AllowedRecipients)
	}
	p, err := Start("mailpit", o.Out, syscall.SIGTERM, nil, nil, o.Bin, args...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if err := httpOK(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", o.UIPort)); err == nil {
			if err := WaitTCP(ctx, fmt.Sprintf("127.0.0.1:%d", o.SMTPPort)); err != nil {
				_ = p.Stop(5 * time.Second)
				return nil, err
			}
			return p, nil
		}
		select {
		case <-p.Done():
			return nil, fmt.Errorf("mailpit exited while starting: %v", p.Err())
		case <-ctx.Done():
			_ = p.Stop(5 * time.Second)
			return nil, fmt.Errorf("mailpit did not become ready: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
