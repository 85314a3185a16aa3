package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"yoyaku/auth"
	"yoyaku/internal/devstack"
	"yoyaku/internal/seed"
	"yoyaku/internal/testenv"
)

// TestAPIDrainsInFlightRequestsOnSIGTERM runs the real `yoyaku api` and sends it SIGTERM while a hold
// placement is in flight (its body half sent): the listener closes at once, so new connections are refused,
// but the placement still gets its real answer, with PostgreSQL and Temporal still connected, and the process
// then exits cleanly.
func TestAPIDrainsInFlightRequestsOnSIGTERM(t *testing.T) {
	bin := buildYoyaku(t)
	ctx := t.Context()
	dbURL := testenv.DatabaseURL(t)
	db, err := sqlx.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := seed.Demo(ctx, db); err != nil {
		t.Fatal(err)
	}
	var patronID, titleID int64
	if err := db.GetContext(ctx, &patronID, `SELECT id FROM patrons WHERE card_number = '1000001'`); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &titleID, `INSERT INTO titles (title, format, search_text) VALUES ('停止試験', 'book', '停止試験') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	token, err := auth.Issue(ctx, db, auth.KindPatron, patronID, auth.PatronTokenTTL)
	if err != nil {
		t.Fatal(err)
	}

	port, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var out testenv.LockedBuffer
	cmd := exec.Command(bin, "api")
	cmd.Env = append(os.Environ(),
		"YOYAKU_HTTP_ADDR="+addr,
		"YOYAKU_METRICS_ADDR="+freeAddr(t), // not the default port, which a running `make dev` may hold
		"YOYAKU_DATABASE_URL="+dbURL,
		"YOYAKU_TEMPORAL_ADDRESS="+testenv.TemporalAddress(t),
		"YOYAKU_TEMPORAL_TASK_QUEUE=shutdown-"+fmt.Sprint(os.Getpid()), // no worker: the hold stays 予約申込
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API did not become healthy: %v\n%s", err, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A placement whose body is only half sent: the server has read its headers and is in its handler.
	body := fmt.Sprintf(`{"title_ids":["%d"],"pickup_branch":"chuo","mode":"normal"}`, titleID)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(body) / 2
	if _, err := fmt.Fprintf(conn, "POST /api/v1/holds HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, token, len(body), body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes: new connections are refused while the placement is still in flight.
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if errors.Is(err, syscall.ECONNRESET) && time.Now().Before(deadline) {
			// a dial that reached the backlog as the listener closed is reset: ask again
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("a new connection after SIGTERM: %v, want connection refused", err)
			}
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the API still accepts connections 10 s after SIGTERM\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("the API exited (%v) with a request in flight\n%s", err, out.String())
	case <-time.After(time.Second):
	}

	// The rest of the body: the placement completes with its real answer.
	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatalf("finishing the request after SIGTERM: %v\n%s", err, out.String())
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to the in-flight request: %v\n%s", err, out.String())
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var placed struct {
		Placed []struct {
			HoldID string `json:"hold_id"`
			Status string `json:"status"`
		} `json:"placed"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &placed) != nil || len(placed.Placed) != 1 {
		t.Fatalf("in-flight placement answered %d %s, want 200 with the placed hold", resp.StatusCode, raw)
	}
	var status string
	if err := db.GetContext(ctx, &status, `SELECT status FROM holds WHERE id = $1`, placed.Placed[0].HoldID); err != nil {
		t.Fatalf("the placed hold %s is not in the database: %v", placed.Placed[0].HoldID, err)
	}
	if status != "requested" {
		t.Errorf("hold %s is %s, want requested (no worker runs on this task queue)", placed.Placed[0].HoldID, status)
	}

	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the API exited with %v after draining\n%s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the API did not exit after its last request was answered\n%s", out.String())
	}
	if !strings.Contains(out.String(), "api shutting down") {
		t.Errorf("no shutdown line in the API's log:\n%s", out.String())
	}
}
