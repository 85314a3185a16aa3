package testenv

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"

	"yoyaku/contract"
	"yoyaku/internal/devstack"
)

var (
	tOnce sync.Once
	tSrv  *testsuite.DevServer
	tErr  error

	mOnce sync.Once
	mail  Mail
	mErr  error

	tUIPort int // the dev server's Web UI
)

// Temporal returns a client of this test binary's Temporal dev server: the pinned CLI in ./bin, started
// through testsuite.StartDevServer with ExistingPath (so nothing is downloaded), yoyaku's search attributes
// registered and the Web UI on a free port (TemporalUI: the browser tests show operators' view of a hold).
func Temporal(tb testing.TB) client.Client {
	tb.Helper()
	bin := Bin(tb, "temporal")
	tOnce.Do(func() {
		port, err := devstack.FreePort()
		if err != nil {
			tErr = err
			return
		}
		if tUIPort, err = devstack.FreePort(); err != nil {
			tErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		tSrv, tErr = testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
			ExistingPath:     bin,
			ClientOptions:    &client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port), Namespace: "default"},
			SearchAttributes: contract.RegistrationSet(),
			EnableUI:         true,
			UIPort:           strconv.Itoa(tUIPort),
			LogLevel:         "error",
			Stdout:           logSink(),
			Stderr:           logSink(),
		})
		if tErr == nil {
			onStop(func() { _ = tSrv.Stop() })
		}
	})
	if tErr != nil {
		tb.Fatalf("testenv: the Temporal dev server could not start: %v", tErr)
	}
	return tSrv.Client()
}

// TemporalAddress is the host:port of this test binary's Temporal dev server.
func TemporalAddress(tb testing.TB) string {
	tb.Helper()
	Temporal(tb)
	return tSrv.FrontendHostPort()
}

// TemporalUI is the base URL of this test binary's Temporal Web UI.
func TemporalUI(tb testing.TB) string {
	tb.Helper()
	Temporal(tb)
	return fmt.Sprintf("http://127.0.0.1:%d", tUIPort)
}

// Mail is this test binary's Mailpit.
type Mail struct {
	SMTPHost string
	SMTPPort int
	APIURL   string // http://127.0.0.1:port, the web UI and the HTTP API (/api/v1/...)
}

// Mailpit starts (once) a Mailpit that keeps messages in memory.
func Mailpit(tb testing.TB) Mail {
	tb.Helper()
	bin := Bin(tb, "mailpit")
	mOnce.Do(func() {
		var p *devstack.Proc
		mail, p, mErr = startMailpit(bin, "")
		if mErr == nil {
			onStop(func() { _ = p.Stop(5 * time.Second) })
		}
	})
	if mErr != nil {
		tb.Fatalf("testenv: Mailpit could not start (%s): %v", filepath.Base(bin), mErr)
	}
	return mail
}

// MailpitRefusing starts a Mailpit of the test's own (stopped when the test ends) that refuses with 550
// every recipient not matching the regular expression allowed (Mailpit's --smtp-allowed-recipients): a
// real SMTP server that accepts one of a patron's addresses and refuses the other.
func MailpitRefusing(tb testing.TB, allowed string) Mail {
	tb.Helper()
	bin := Bin(tb, "mailpit")
	m, p, err := startMailpit(bin, allowed)
	if err != nil {
		tb.Fatalf("testenv: Mailpit could not start (%s): %v", filepath.Base(bin), err)
	}
	tb.Cleanup(func() { _ = p.Stop(5 * time.Second) })
	return m
}

// startMailpit starts a Mailpit on free ports that keeps messages in memory; allowed, when not "", is its
// --smtp-allowed-recipients.
func startMailpit(bin, allowed string) (Mail, *devstack.Proc, error) {
	smtp, err := devstack.FreePort()
	if err != nil {
		return Mail{}, nil, err
	}
	ui, err := devstack.FreePort()
	if err != nil {
		return Mail{}, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := devstack.StartMailpit(ctx, devstack.MailpitOptions{Bin: bin, SMTPPort: smtp, UIPort: ui, Out: logSink(),
		AllowedRecipients: allowed})
	if err != nil {
		return Mail{}, nil, err
	}
	return Mail{SMTPHost: "127.0.0.1", SMTPPort: smtp, APIURL: fmt.Sprintf("http://127.0.0.1:%d", ui)}, p, nil
}
