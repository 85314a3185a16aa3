package bench

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"yoyaku/internal/apiclient"
)

// TestRunSearchSendsFromConcurrentClients: with 4 search clients, 4 searches are in flight at once, every
// query of the plan is sent once per length, and the note says how the latencies were taken.
func TestRunSearchSendsFromConcurrentClients(t *testing.T) {
	var mu sync.Mutex
	inFlight, most, served := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		served++
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // long enough for the other clients to send theirs
		mu.Lock()
		inFlight--
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"total":3}`)
	}))
	defer srv.Close()

	res, err := runSearch(t.Context(), apiclient.New(srv.URL), 40, 4, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if most != 4 {
		t.Errorf("at most %d searches in flight, want 4", most)
	}
	if want := 10 + 40*len(searchLengths); served != want { // the warm-up queries, then each length's plan
		t.Errorf("%d searches served, want %d", served, want)
	}
	if len(res) != len(searchLengths) {
		t.Fatalf("%d lengths reported, want %d", len(res), len(searchLengths))
	}
	for i, l := range res {
		if l.Chars != searchLengths[i] || l.Latency.Samples != 40 || l.Hits != 3 || len(l.Slowest) != 5 {
			t.Errorf("length %d: %+v", searchLengths[i], l)
		}
		if !strings.Contains(l.Latency.Method, "4 concurrent clients") {
			t.Errorf("note %q does not say 4 concurrent clients", l.Latency.Method)
		}
	}
}
