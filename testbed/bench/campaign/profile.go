package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// profileWorker saves, in the background, a CPU profile of the worker for
// -profile from now (the worker's /debug/pprof on its metrics address), so
// the CPU per push the bench prints can be explained:
// `go tool pprof -top <file>`.
func (s *stack) profileWorker(addrs workerAddrs, name string) {
	if s.f.profile <= 0 {
		return
	}
	path := filepath.Join(s.dir, name+"-cpu.pprof")
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addrs.metrics, int(s.f.profile.Seconds()))
		res, err := http.Get(url)
		if err != nil {
			logf("profile: %v", err)
			return
		}
		defer res.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			logf("profile: %v", err)
			return
		}
		defer f.Close()
		if _, err := io.Copy(f, res.Body); err != nil {
			logf("profile: %v", err)
			return
		}
		logf("profile: %s", path)
	}()
}
