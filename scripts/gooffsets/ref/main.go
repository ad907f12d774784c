// The reference program scripts/gen-go-releases.sh builds with each Go release: its
// DWARF describes that release's runtime.  It is built, never run.  It links what the
// table describes: runtime/pprof (heap-profile buckets and the sampler), goroutines
// that park, the GC and the memory limit, ReadMemStats and runtime/metrics.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"
)

var sink [][]byte

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ch := make(chan int)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			sink = append(sink, make([]byte, 1<<10))
			mu.Unlock()
			select {
			case <-ch:
			case <-time.After(time.Second):
			}
		}()
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	pprof.Lookup("heap").WriteTo(os.Stdout, 1)
	pprof.Lookup("goroutine").WriteTo(os.Stdout, 2)
	close(ch)
	wg.Wait()
}
