package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

const (
	restConcurrency = 50
	restDuration    = 3 * time.Second
)

// rest measures GET /api/constitutions/default at concurrency 50 over real
// HTTP against a bare net/http handler that writes the same bytes.
func (b *bench) rest(ctx context.Context) error {
	srv, err := b.serveSuperego(ctx, "", "--provider", "demo", "--demo-delay", "0")
	if err != nil {
		return err
	}
	url := srv.url + "/api/constitutions/default"
	body, err := getBody(ctx, url)
	if err != nil {
		return err
	}
	ours, oursErrs := hammer(ctx, url, false)
	oursGzip, oursGzipErrs := hammer(ctx, url, true)
	srv.stop()
	file := filepath.Join(os.TempDir(), fmt.Sprintf("benchwire-body-%d.json", os.Getpid()))
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return err
	}
	defer func() { _ = os.Remove(file) }()
	bare, err := b.serveSelf(ctx, "bare-rest", "-frames", file)
	if err != nil {
		return err
	}
	base, baseErrs := hammer(ctx, bare.url+"/api/constitutions/default", false)
	bare.stop()
	fmt.Printf("REST GET by id, concurrency %d, %s each (load average %s)\n", restConcurrency, restDuration, loadAverage())
	fmt.Printf("  superego: %.0f req/s (%d errors); bare net/http: %.0f req/s (%d errors); superego/bare %.2f\n", ours, oursErrs, base, baseErrs, ours/base)
	fmt.Printf("  superego asked for gzip (as browsers do; compressed and decompressed in these processes): %.0f req/s (%d errors); /bare %.2f\n", oursGzip, oursGzipErrs, oursGzip/base)
	return nil
}

func getBody(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := restClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// hammer GETs url from restConcurrency clients for restDuration and returns
// the successful requests per second and the failures. The bare handler
// writes the uncompressed bytes, so the like-for-like figure asks for no
// compression; gzip asks for it as a browser does.
func hammer(ctx context.Context, url string, gzip bool) (float64, int64) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: restConcurrency, DisableCompression: !gzip}}
	var ok, failed atomic.Int64
	deadline := time.Now().Add(restDuration)
	start := time.Now()
	var wg sync.WaitGroup
	for range restConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds(), failed.Load()
}
