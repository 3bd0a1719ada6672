package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-market/sesame/internal/sqlstore"
	"github.com/sesame-market/sesame/internal/testkit"
	"github.com/sesame-market/sesame/internal/web"
)

// childEnv carries the arguments of run() when this test binary is
// started as a Sesame server by a test below.
const childEnv = "SESAME_TEST_CHILD_ARGS"

// TestServeChild is not a test: it is the Sesame server that
// TestIdempotencySurvivesKill9 starts (this very test binary) and kills.
func TestServeChild(t *testing.T) {
	args := os.Getenv(childEnv)
	if args == "" {
		t.Skip("started only as a child process")
	}
	var h hooks
	if n, _ := strconv.Atoi(os.Getenv(dieEnv)); n != 0 {
		h.Idempotency = func(st web.IdempotencyStore) web.IdempotencyStore {
			return &dyingStore{IdempotencyStore: st, after: int32(max(n, -n)), before: n < 0}
		}
	}
	if os.Getenv(timersTestEnv) != "" {
		h.Timers = registerTestTimers
	}
	if err := runWith(context.Background(), strings.Fields(args), os.Getenv, os.Stdout, h); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// dieEnv, when set to n, makes the child kill itself with SIGKILL right
// after its n-th committed idempotent request, before answering it: the
// moment a crash hurts most. Set to -n, it dies at the n-th request after
// its work and before its completion is committed.
const dieEnv = "SESAME_TEST_DIE_AFTER_COMMITS"

type dyingStore struct {
	web.IdempotencyStore
	after  int32
	before bool
	n      atomic.Int32
}

func (s *dyingStore) Complete(ctx context.Context, status int, response []byte) error {
	if s.before && s.n.Add(1) == s.after {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	err := s.IdempotencyStore.Complete(ctx, status, response)
	if err == nil && !s.before && s.n.Add(1) == s.after {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way: answer nothing
	}
	return err
}

// startChild starts this test binary as `sesame demo` on a loopback port
// with data in dir, and returns its base URL.
func startChild(t *testing.T, dir, dsn string, stderr io.Writer, dieAfter int) (*exec.Cmd, string) {
	t.Helper()
	return spawnSesame(t, stderr, childEnv+"=demo --addr 127.0.0.1:0 --products 50", "SESAME_DATA="+dir, "SESAME_DB="+dsn,
		"SESAME_LOG_LEVEL=warn", "SESAME_RATE_LIMITS=off", dieEnv+"="+strconv.Itoa(dieAfter))
}

// spawnSesame starts this test binary as a Sesame process (TestServeChild
// runs the command named in childEnv) with env added, waits until it
// listens and returns it with its base URL. The process is killed when
// the test ends.
func spawnSesame(t *testing.T, stderr io.Writer, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Sesame is ready: "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(2 * time.Minute):
		t.Fatalf("the server did not start:\n%s", stderr)
	}
	return nil, ""
}

type answer struct {
	status   int
	replayed bool
	body     []byte
}

// TestIdempotencySurvivesKill9 streams create-product requests, each with
// its own Idempotency-Key, from several clients into a real Sesame process,
// kills it with SIGKILL mid-stream (from outside at a random moment, and
// from inside right after a commit, before its answer, and between the
// request's work and the commit of its completion), restarts it on the
// same data folder and retries every request with its key and body. Each
// key ends with one 201 and one product: none is created twice (a request
// committed but not answered before the kill is replayed, not run again) and
// none is lost; and a retried request that was answered before the kill gets
// the very same answer.
func TestIdempotencySurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Sesame several times")
	}
	for _, e := range testkit.Engines() {
		t.Run(string(e), func(t *testing.T) {
			t.Run("kill from outside", func(t *testing.T) { crashAndRetry(t, e, 0) })
			t.Run("kill right after a commit", func(t *testing.T) { crashAndRetry(t, e, 40) })
			t.Run("kill between the work and its completion", func(t *testing.T) { crashAndRetry(t, e, -40) })
		})
	}
}

func crashAndRetry(t *testing.T, engine sqlstore.Engine, dieAfter int) {
	dir := t.TempDir()
	dsn, driver := filepath.Join(dir, "sesame.db"), "sqlite"
	if engine == sqlstore.Postgres {
		dsn, driver = testkit.DSN(t, engine), "pgx"
	}
	stderr := &syncBuffer{}
	cmd, base := startChild(t, dir, dsn, stderr, dieAfter)
	client := &http.Client{Timeout: 20 * time.Second}

	res, err := client.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"email":"cases@shenzhen-case.example","password":"sesame-demo"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "sesame_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	var cats struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	get(t, base+"/api/v1/categories", &cats)
	if len(cats.Items) == 0 {
		t.Fatal("no categories")
	}
	body := func(key string) []byte {
		return []byte(fmt.Sprintf(`{"category_id":%q,"origin_country":"CN","translations":{"en":{"title":"Crash %s"}},"variants":[{"sku":%q}]}`,
			cats.Items[0].ID, key, key))
	}
	post := func(base, key string) (answer, error) {
		req, _ := http.NewRequest("POST", base+"/api/v1/products", bytes.NewReader(body(key)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		req.Header.Set("Cookie", cookie)
		res, err := client.Do(req)
		if err != nil {
			return answer{}, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return answer{}, err
		}
		return answer{res.StatusCode, res.Header.Get("Idempotent-Replayed") == "true", b}, nil
	}

	// Stream until the kill.
	const workers, perWorker = 6, 300
	var (
		mu      sync.Mutex
		sent    []string
		first   = map[string]answer{}
		acked   atomic.Int32
		wg      sync.WaitGroup
		killed  atomic.Bool
		unacked atomic.Int32
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				key := fmt.Sprintf("crash-%d-%03d", w, i)
				mu.Lock()
				sent = append(sent, key)
				mu.Unlock()
				a, err := post(base, key)
				if err != nil {
					if !killed.Load() {
						t.Errorf("%s before the kill: %v", key, err)
					}
					unacked.Add(1)
					return
				}
				if a.status != 201 {
					t.Errorf("%s: %d %s", key, a.status, a.body)
					return
				}
				mu.Lock()
				first[key] = a
				mu.Unlock()
				acked.Add(1)
			}
		})
	}
	if dieAfter != 0 {
		killed.Store(true) // any time now, by itself
		cmd.Wait()
	} else {
		for acked.Load() < 60 && !t.Failed() {
			time.Sleep(5 * time.Millisecond)
		}
		killed.Store(true)
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		cmd.Wait()
	}
	wg.Wait()
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || st.Signal() != syscall.SIGKILL {
		t.Errorf("the server ended with %v, not SIGKILL", cmd.ProcessState)
	}
	if t.Failed() {
		t.Fatalf("server output:\n%s", stderr)
	}
	t.Logf("killed after %d answered requests; %d were in flight", len(first), unacked.Load())

	releaseKilledRuns(t, driver, dsn)

	cmd, base = startChild(t, dir, dsn, stderr, 0)
	replayedUnacked := 0
	ids := map[string]string{}
	for _, key := range sent {
		a, err := post(base, key)
		if err != nil {
			t.Fatalf("%s after restart: %v", key, err)
		}
		if a.status != 201 {
			t.Errorf("%s after restart: %d %s, want 201", key, a.status, a.body)
			continue
		}
		var p struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(a.body, &p); err != nil || p.ID == "" {
			t.Errorf("%s: no product id in %s", key, a.body)
		}
		if prev, ok := ids[p.ID]; ok {
			t.Errorf("%s and %s answered the same product", key, prev)
		}
		ids[p.ID] = key
		if f, ok := first[key]; ok {
			if !a.replayed || !bytes.Equal(a.body, f.body) {
				t.Errorf("%s: the retry of an answered request got %s (replayed %v), want %s", key, a.body, a.replayed, f.body)
			}
		} else if a.replayed {
			replayedUnacked++ // committed before the kill, never answered
		}
	}
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()

	db, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var products int
	if err := db.QueryRowContext(context.Background(), `SELECT COUNT(DISTINCT product_id) FROM variants WHERE sku LIKE 'crash-%'`).Scan(&products); err != nil {
		t.Fatal(err)
	}
	if products != len(sent) {
		t.Errorf("%d products for %d keys", products, len(sent))
	}
	if dieAfter > 0 && replayedUnacked == 0 {
		t.Error("the request committed just before the kill was not replayed")
	}
	t.Logf("%d keys, %d products; %d answered before the kill; %d committed but unanswered, then replayed", len(sent), products, len(first), replayedUnacked)
}

// releaseKilledRuns fast-forwards the lease of the idempotent runs a kill
// interrupted (a minute, before a retry may take a key over), once the
// killed server's connections are gone.
func releaseKilledRuns(t *testing.T, driver, dsn string) {
	t.Helper()
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if driver == "pgx" {
		// The killed process's last statements may still be running on the
		// server (its bytes were already sent): wait until its connections
		// are gone, so that nothing it started lands after the update below.
		deadline := time.Now().Add(15 * time.Second)
		for {
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d connections of the killed server are still open", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if _, err := raw.Exec(`UPDATE idempotency_keys SET locked_until = created_at WHERE state = 'in_flight'`); err != nil {
		t.Fatal(err)
	}
}
