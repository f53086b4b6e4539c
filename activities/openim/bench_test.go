package openim

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// BenchmarkRegisterUsers provisions b.N users through the client and the
// simulator over loopback HTTP, MaxBatch per RegisterUsers call.
// -benchtime=1000000x is the million-user run.
func BenchmarkRegisterUsers(b *testing.B) {
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})
	batch := make([]UserInfo, 0, MaxBatch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("bench_%08d", i)
		batch = append(batch, UserInfo{UserID: id, Nickname: id, Ex: `{"legacy":"` + id + `"}`})
		if len(batch) == MaxBatch || i == b.N-1 {
			if _, err := c.RegisterUsers(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.StopTimer()
	if n := sim.Users(); n != b.N {
		b.Fatalf("simulator holds %d users, want %d", n, b.N)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(b.N), "heapB/user")
}
