// The independent oracle for user/goruntime/gcvars.c: reads the DWARF and the symbol table of an
// unstripped Go binary with the standard library (debug/dwarf, debug/elf) and prints,
// one fact per line:
//
//	sec .noptrbss 0x...                           every allocated section (any binary)
//	sym runtime.gcController 0x... .noptrbss      .symtab addresses and their section
//	off runtime.gcControllerState.heapLive 104    DWARF member offsets
//	off runtime.mstats.numgc 7704
//	const runtime._KindSpecialProfile 2           DWARF constants
//	...
//
// Stripped binaries print only their sections: a stripped build moves the data
// sections a little, so tests compare addresses relative to their section.
//
// Usage: go run tests/gcoffsets/main.go BINARY
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
)

// Struct members whose offsets the tracer reads (docs/go-runtime.md, "GC").
var fields = map[string][]string{
	"runtime.gcControllerState": {"heapLive", "heapMarked", "lastHeapGoal", "gcPercent", "heapMinimum"},
	"runtime.mstats":            {"numgc", "numforcedgc"},
	"runtime.g":                 {"m", "goid", "atomicstatus", "gopc", "startpc"},
	"runtime.m":                 {"curg", "preemptoff"},
	"runtime.workType":          {"tSweepTerm", "tMark", "tMarkTerm", "tEnd", "heap0", "heap1", "heap2", "userForced"},
	"runtime.special":           {"next", "offset", "kind"},
	"runtime.specialprofile":    {"special", "b"},
}

// Constants whose values the tracer uses (docs/go-runtime.md, "Allocation").
var constants = map[string]bool{"runtime._KindSpecialProfile": true}

var symbols = []string{"runtime.gcController", "runtime.memstats", "runtime.work",
	"runtime.allglen", "runtime.allgptr"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gcoffsets BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	for _, sec := range f.Sections {
		if sec.Flags&elf.SHF_ALLOC != 0 && sec.Name != "" {
			fmt.Printf("sec %s %#x\n", sec.Name, sec.Addr)
		}
	}
	syms, err := f.Symbols()
	if err != nil {
		return // stripped
	}
	for _, want := range symbols {
		for _, s := range syms {
			if s.Name != want {
				continue
			}
			where := "?"
			if int(s.Section) < len(f.Sections) {
				where = f.Sections[s.Section].Name
			}
			fmt.Printf("sym %s %#x %s\n", s.Name, s.Value, where)
		}
	}
	d, err := f.DWARF()
	if err != nil {
		return // -w
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			fmt.Fprintln(os.Stderr, "dwarf:", err)
			os.Exit(1)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagConstant {
			name, _ := e.Val(dwarf.AttrName).(string)
			if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok && constants[name] {
				fmt.Printf("const %s %d\n", name, v)
				delete(constants, name)
			}
			continue
		}
		if e.Tag != dwarf.TagStructType {
			continue
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		want, ok := fields[name]
		if !ok || !e.Children {
			continue
		}
		delete(fields, name) // the first definition is the one
		members := map[string]int64{}
		for {
			c, err := r.Next()
			if err != nil || c == nil || c.Tag == 0 {
				break
			}
			if c.Tag != dwarf.TagMember {
				r.SkipChildren()
				continue
			}
			mn, _ := c.Val(dwarf.AttrName).(string)
			if off, ok := c.Val(dwarf.AttrDataMemberLoc).(int64); ok {
				members[mn] = off
			}
		}
		for _, m := range want {
			if off, ok := members[m]; ok {
				fmt.Printf("off %s.%s %d\n", name, m, off)
			}
		}
	}
}
