// Command loginflood fires concurrent wrong sign-ins at a Sesame server while
// probing another route, and prints the status counts and latencies of both.
// scripts/login-flood.sh runs it against a demo server and reads the
// server's peak RSS.
//
//	loginflood -url http://127.0.0.1:18480 -n 1000 [-same]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18480", "the server")
	n := flag.Int("n", 1000, "concurrent wrong sign-ins")
	same := flag.Bool("same", false, "all for one e-mail (throttled) instead of one e-mail each")
	probe := flag.String("probe", "/api/v1/channels", "route probed every 50 ms during the flood")
	flag.Parse()

	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *n + 10}}
	var mu sync.Mutex
	statuses := map[int]int{}
	var lat []time.Duration
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range *n {
		email := fmt.Sprintf("flood-%d@example.com", i)
		if *same {
			email = "flood@example.com"
		}
		body := []byte(fmt.Sprintf(`{"email":%q,"password":"not the password"}`, email))
		wg.Go(func() {
			<-start
			t := time.Now()
			status := 0
			res, err := client.Post(*base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			if err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status = res.StatusCode
			}
			d := time.Since(t)
			mu.Lock()
			statuses[status]++
			lat = append(lat, d)
			mu.Unlock()
		})
	}

	done := make(chan struct{})
	var probes []time.Duration
	probeFails := 0
	var pwg sync.WaitGroup
	pwg.Go(func() {
		pc := &http.Client{Timeout: 30 * time.Second}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			t := time.Now()
			res, err := pc.Get(*base + *probe)
			if err != nil {
				probeFails++
				continue
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				probeFails++
			}
			probes = append(probes, time.Since(t))
		}
	})

	t0 := time.Now()
	close(start)
	wg.Wait()
	total := time.Since(t0)
	close(done)
	pwg.Wait()

	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	fmt.Printf("%d wrong sign-ins (same e-mail: %v) in %s; statuses:", *n, *same, total.Round(time.Millisecond))
	for _, c := range codes {
		fmt.Printf(" %d×%d", statuses[c], c)
	}
	fmt.Println()
	fmt.Printf("  sign-in latency   %s\n", summary(lat))
	fmt.Printf("  %s latency %s (%d probes, %d failed)\n", *probe, summary(probes), len(probes), probeFails)
	if statuses[0] > 0 {
		os.Exit(1)
	}
}

func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	slices.Sort(ds)
	q := func(p float64) time.Duration {
		return ds[min(len(ds)-1, int(p*float64(len(ds))))].Round(time.Millisecond)
	}
	return fmt.Sprintf("p50 %s p90 %s p99 %s max %s", q(0.5), q(0.9), q(0.99), ds[len(ds)-1].Round(time.Millisecond))
}
