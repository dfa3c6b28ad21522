package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// bench holds the processes started so far, stopped by cleanup.
type bench struct {
	bin        string
	firstChunk time.Duration
	// profiles, when set, is a directory each server under test writes
	// its CPU profile to (SUPEREGO_CPU_PROFILE), one file per server.
	profiles string
	// relayRuns are the relay's numbers of concurrent runs.
	relayRuns []int
	started   int
	procs     []*proc
}

// proc is a child process serving on url.
type proc struct {
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs strings.Builder // its stderr, for the store-timeout check
	// tmp is the data dir made for it, removed once it has stopped.
	tmp string
}

func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

func (b *bench) cleanup() {
	for _, p := range b.procs {
		p.stop()
	}
	b.procs = nil
}

// stop asks the process to shut down, waits for it and removes the data
// dir made for it.
func (p *proc) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	if p.tmp != "" {
		defer func() { _ = os.RemoveAll(p.tmp) }()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// serveSuperego starts superego serve with a fresh data dir (or dataDir)
// on a free port and waits until it answers.
func (b *bench) serveSuperego(ctx context.Context, dataDir string, args ...string) (*proc, error) {
	tmp := ""
	if dataDir == "" {
		d, err := os.MkdirTemp("", "benchwire-")
		if err != nil {
			return nil, err
		}
		dataDir, tmp = d, d
	}
	addr, err := freeAddr()
	if err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	args = append([]string{"serve", "--addr", addr, "--data-dir", dataDir, "--log-level", "warn"}, args...)
	p := &proc{cmd: exec.CommandContext(ctx, b.bin, args...), url: "http://" + addr, tmp: tmp}
	// The fake upstream's key; servers on the demo provider say so.
	p.cmd.Env = append(os.Environ(), "OPENAI_API_KEY=benchwire")
	if b.profiles != "" {
		b.started++
		file := filepath.Join(b.profiles, fmt.Sprintf("superego-%d.pprof", b.started))
		p.cmd.Env = append(p.cmd.Env, "SUPEREGO_CPU_PROFILE="+file)
		fmt.Printf("  (CPU profile of this server: %s)\n", file)
	}
	if err := b.start(p, nil); err != nil {
		_ = os.RemoveAll(tmp)
		return nil, err
	}
	return p, waitHealthy(ctx, p.url+"/api/health")
}

// serveSelf starts this binary in a serving mode and reads its URL from
// its first line of output.
func (b *bench) serveSelf(ctx context.Context, mode string, args ...string) (*proc, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args = append([]string{"-serve", mode, "-first-chunk", b.firstChunk.String()}, args...)
	p := &proc{cmd: exec.CommandContext(ctx, self, args...)}
	ready := make(chan string, 1)
	if err := b.start(p, ready); err != nil {
		return nil, err
	}
	select {
	case p.url = <-ready:
		return p, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%s did not start: %s", mode, p.log())
	}
}

func (b *bench) start(p *proc, ready chan<- string) error {
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		return err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	b.procs = append(b.procs, p)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if ready != nil && strings.HasPrefix(sc.Text(), "listening ") {
				ready <- strings.TrimPrefix(sc.Text(), "listening ")
				ready = nil
			}
		}
	}()
	return nil
}

func waitHealthy(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond) // polling a starting process
	}
	return errors.New("server did not become healthy within 60 s")
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

// raiseFileLimit lifts the soft limit on open files to the hard one, for
// a thousand sockets and their REST setup.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// cpu is the CPU time (user and system) the running process has used so
// far, read from /proc/PID/stat, to the clock tick.
func (p *proc) cpu() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command's name, in parentheses, may hold spaces: the fields
	// counted are after its closing parenthesis, utime and stime being the
	// 14th and 15th of the whole line.
	rest := b[bytes.LastIndexByte(b, ')')+1:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields after the name", p.cmd.Process.Pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * clockTick, nil
}

// cpuLife is the CPU time (user and system) of the whole life of the
// stopped process, from its rusage; 0 while it runs.
func (p *proc) cpuLife() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}
