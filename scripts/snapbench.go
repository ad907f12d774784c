// The target of scripts/bench-snapshot.sh (README, Performance): a process with many
// goroutines and many heap-profile buckets, and a steady CPU-bound loop whose rate says
// whether reading the process from outside slows it down.
//
//	snapbench -g 100000 -b 50000
//
// It sets MemProfileRate to 1 first, so that every allocation is sampled, makes -b
// allocations at -b distinct call stacks (a 16-level path of two functions: the bits of
// the index choose), keeps them alive, parks -g goroutines (channel receive, select,
// mutex, sleep, in turn), prints "ready goroutines=N buckets=B", then prints
// "rate=R cpu_rate=C" once a second: iterations of a fixed loop per second of wall
// time and per CPU-second of the whole process.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

var keep [][]byte

//go:noinline
func left(n, depth int) []byte {
	if depth == 0 {
		return make([]byte, 64)
	}
	if n&1 == 1 {
		return left(n>>1, depth-1)
	}
	return right(n>>1, depth-1)
}

//go:noinline
func right(n, depth int) []byte {
	if depth == 0 {
		return make([]byte, 96)
	}
	if n&1 == 1 {
		return left(n>>1, depth-1)
	}
	return right(n>>1, depth-1)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

//go:noinline
func spin(x uint64) uint64 {
	for i := 0; i < 1000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func main() {
	runtime.MemProfileRate = 1
	g := flag.Int("g", 100000, "goroutines to park")
	b := flag.Int("b", 50000, "heap-profile buckets to fill (at most 65536)")
	flag.Parse()

	for i := 0; i < *b; i++ {
		keep = append(keep, left(i, 16))
	}
	var mu sync.Mutex
	mu.Lock()
	block := make(chan int)
	never := make(chan int)
	for i := 0; i < *g; i++ {
		switch i % 4 {
		case 0:
			go func() { <-block }()
		case 1:
			go func() {
				select {
				case <-block:
				case <-never:
				}
			}()
		case 2:
			go func() { mu.Lock() }()
		default:
			go func() { time.Sleep(24 * time.Hour) }()
		}
	}
	for runtime.NumGoroutine() < *g {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("ready goroutines=%d buckets=%d\n", runtime.NumGoroutine(), *b)
	os.Stdout.Sync()

	x := uint64(88172645463325252)
	for {
		start, cpu0 := time.Now(), cpuSeconds()
		n := 0
		for time.Since(start) < time.Second {
			for k := 0; k < 100; k++ {
				x = spin(x)
			}
			n += 100
		}
		wall, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
		fmt.Printf("rate=%d cpu_rate=%d x=%d\n", int(float64(n)/wall), int(float64(n)/cpu), x&1)
	}
}
