// Soak workload for `gomemtrace daemon` (scripts/soak-daemon.sh): allocates at a steady
// rate from call stacks that keep changing, so that the tracer keeps meeting stacks it
// has never seen.  Each allocation goes through a chain of `-depth` calls, each one of
// eight functions chosen by the bits of a path number: a third of the paths are new
// random numbers (8^depth stacks: practically never the same twice), the rest come from
// a fixed set of 1000 hot paths.  A ring of recent objects stays live (~2 MB).
// It does not import runtime/pprof: its MemProfileRate is 0, the daemon sets it.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"time"
)

var ring [4096][]byte
var next int

//go:noinline
func leaf(size int) {
	ring[next%len(ring)] = make([]byte, size)
	next++
}

//go:noinline
func f0(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f1(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f2(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f3(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f4(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f5(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f6(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func f7(p uint64, d, s int) { step(p, d, s) }

//go:noinline
func step(p uint64, d, s int) {
	if d == 0 {
		leaf(s)
		return
	}
	switch p & 7 {
	case 0:
		f0(p>>3, d-1, s)
	case 1:
		f1(p>>3, d-1, s)
	case 2:
		f2(p>>3, d-1, s)
	case 3:
		f3(p>>3, d-1, s)
	case 4:
		f4(p>>3, d-1, s)
	case 5:
		f5(p>>3, d-1, s)
	case 6:
		f6(p>>3, d-1, s)
	default:
		f7(p>>3, d-1, s)
	}
}

func main() {
	mbps := flag.Int("mbps", 200, "megabytes allocated per second")
	depth := flag.Int("depth", 20, "calls per allocation (up to 21 distinct levels)")
	flag.Parse()
	hot := make([]uint64, 1000)
	for i := range hot {
		hot[i] = rand.Uint64()
	}
	sizes := []int{64, 256, 512, 1024, 4096}
	start := time.Now()
	var bytes int64
	for i := 0; ; i++ {
		p := hot[rand.Intn(len(hot))]
		if i%3 == 0 {
			p = rand.Uint64()
		}
		s := sizes[i%len(sizes)]
		step(p, 1+int(p%uint64(*depth)), s)
		bytes += int64(s)
		if i%4096 == 0 {
			// Pace to -mbps.
			want := time.Duration(float64(bytes) / float64(*mbps<<20) * float64(time.Second))
			if el := time.Since(start); el < want {
				time.Sleep(want - el)
			}
			if i%(1<<22) == 0 {
				fmt.Printf("allocated %d MB in %.0f s\n", bytes>>20, time.Since(start).Seconds())
			}
		}
	}
}
