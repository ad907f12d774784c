// gooffsets writes user/goruntime/go_releases.gen.c, the table of Go releases: for each
// reference binary given (an unstripped build of scripts/gooffsets/ref with one Go
// toolchain), one row holding the facts spec.txt asks for, read from the binary's own
// DWARF and symbol table.  Run by scripts/gen-go-releases.sh; standard library only.
//
// Usage:
//
//	gooffsets -spec spec.txt -header go_release.h [-toolchains TEXT] [-o OUT] BINARY...
//
// The spec is one fact per line (see spec.txt for the grammar).  The header is the
// hand-written C definition of a row: every field it declares must be a fact of the
// spec and every fact of the spec a field of it, so that a row never holds a zero
// nobody wrote.  A fact absent from one release is recorded as absent; a fact absent
// from every release is an error (a misspelt name would otherwise pass unnoticed).
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// ---- the spec ----

type fact struct {
	line   int
	field  string   // C designator in struct gmt_go_release, or a GMT_REL_ flag name
	kind   string   // offset, size, len, const, argreg, strings, u32; or a flag kind
	args   []string // the rest of the line, alternatives of offset/size/len/const split on |
	isFlag bool
}

var valueKinds = map[string]int{"offset": 1, "size": 1, "len": 1, "const": 1, "argreg": 2,
	"strings": 1, "u32": 1}
var flagKinds = map[string]int{"param": 2, "result": 2, "paramtype": 3, "func": 1, "const": 1,
	"member": 1, "data": 2, "rule": -1}

func readSpec(path string) ([]fact, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var facts []fact
	seen := map[string]int{}
	for i, l := range strings.Split(string(b), "\n") {
		if k := strings.Index(l, "#"); k >= 0 {
			l = l[:k]
		}
		w := strings.Fields(l)
		if len(w) == 0 {
			continue
		}
		if len(w) < 3 {
			return nil, fmt.Errorf("%s:%d: want FIELD KIND ARGUMENT...", path, i+1)
		}
		f := fact{line: i + 1, field: w[0], kind: w[1], isFlag: strings.HasPrefix(w[0], "GMT_REL_")}
		// "a | b" alternatives: the first one found in a release is taken.
		f.args = strings.Fields(strings.Join(w[2:], " "))
		want, ok := valueKinds[f.kind]
		if f.isFlag {
			want, ok = flagKinds[f.kind]
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d: unknown kind %q", path, i+1, f.kind)
		}
		if want > 0 && !strings.Contains(strings.Join(f.args, " "), "|") && len(f.args) != want {
			return nil, fmt.Errorf("%s:%d: %s takes %d arguments", path, i+1, f.kind, want)
		}
		if prev, dup := seen[f.field]; dup {
			return nil, fmt.Errorf("%s:%d: %s already defined on line %d", path, i+1, f.field, prev)
		}
		seen[f.field] = i + 1
		facts = append(facts, f)
	}
	return facts, nil
}

// alternatives splits "a | b | c" into its choices.
func alternatives(args []string) []string {
	var out []string
	for _, a := range strings.Split(strings.Join(args, " "), "|") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// ---- the header ----

var (
	reComment = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	reStruct  = regexp.MustCompile(`(?s)struct\s+(\w+)\s*\{(.*?)\}\s*;`)
	reDefine  = regexp.MustCompile(`(?m)^#define\s+(GMT_REL_\w+)\s`)
	reIdent   = regexp.MustCompile(`\w+`)
)

// headerFields lists the leaves of struct gmt_go_release ("g.goid", ...) and the
// GMT_REL_ flags the header defines.  Enough C for the header we write: named
// structs, one declaration list per line, no nested anonymous structs.
func headerFields(path string) (map[string]bool, map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	src := reComment.ReplaceAllString(string(b), "")
	type member struct{ typ, name string }
	structs := map[string][]member{}
	for _, m := range reStruct.FindAllStringSubmatch(src, -1) {
		for _, decl := range strings.Split(m[2], ";") {
			decl = strings.TrimSpace(decl)
			if decl == "" {
				continue
			}
			parts := strings.Split(decl, ",")
			ids := reIdent.FindAllString(regexp.MustCompile(`\[.*?\]`).ReplaceAllString(parts[0], ""), -1)
			if len(ids) < 2 {
				return nil, nil, fmt.Errorf("%s: cannot read %q", path, decl)
			}
			typ := strings.Join(ids[:len(ids)-1], " ")
			names := []string{ids[len(ids)-1]}
			for _, p := range parts[1:] {
				id := reIdent.FindAllString(regexp.MustCompile(`\[.*?\]`).ReplaceAllString(p, ""), -1)
				if len(id) != 1 {
					return nil, nil, fmt.Errorf("%s: cannot read %q", path, decl)
				}
				names = append(names, id[0])
			}
			for _, n := range names {
				structs[m[1]] = append(structs[m[1]], member{typ, n})
			}
		}
	}
	row, ok := structs["gmt_go_release"]
	if !ok {
		return nil, nil, fmt.Errorf("%s: no struct gmt_go_release", path)
	}
	fields := map[string]bool{}
	var walk func(prefix string, ms []member)
	walk = func(prefix string, ms []member) {
		for _, m := range ms {
			name := prefix + m.name
			t := strings.TrimPrefix(strings.TrimPrefix(m.typ, "const "), "struct ")
			if sub, ok := structs[t]; ok && strings.Contains(m.typ, "struct") && t != "gmt_str_table" {
				walk(name+".", sub)
				continue
			}
			fields[name] = true
		}
	}
	walk("", row)
	flags := map[string]bool{}
	for _, m := range reDefine.FindAllStringSubmatch(src, -1) {
		flags[m[1]] = true
	}
	return fields, flags, nil
}

// The row's fields that do not come from the spec.
var rowIdentity = []string{"version", "minor", "patch", "flags"}

// ---- one binary ----

type param struct {
	name   string
	typ    dwarf.Offset
	result bool
}

type binaryInfo struct {
	path    string
	version string // "go1.22.12"
	minor   int
	patch   int
	elf     *elf.File
	d       *dwarf.Data
	types   map[string]dwarf.Offset // named types, first definition
	vars    map[string]dwarf.Offset // global variables: their type
	consts  map[string]int64
	funcs   map[string][]param // named subprograms with their parameters
	syms    map[string]elf.Symbol
}

var reVersion = regexp.MustCompile(`^go1\.(\d+)(?:\.(\d+))?`)

func load(path string) (*binaryInfo, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	m := reVersion.FindStringSubmatch(bi.GoVersion)
	if m == nil {
		return nil, fmt.Errorf("%s: Go version %q", path, bi.GoVersion)
	}
	b := &binaryInfo{path: path, version: m[0], types: map[string]dwarf.Offset{},
		vars: map[string]dwarf.Offset{}, consts: map[string]int64{}, funcs: map[string][]param{},
		syms: map[string]elf.Symbol{}}
	b.minor, _ = strconv.Atoi(m[1])
	if m[2] != "" {
		b.patch, _ = strconv.Atoi(m[2])
	}
	if b.elf, err = elf.Open(path); err != nil {
		return nil, err
	}
	if b.d, err = b.elf.DWARF(); err != nil {
		return nil, fmt.Errorf("%s: no DWARF (built with -w?): %v", path, err)
	}
	syms, err := b.elf.Symbols()
	if err != nil {
		return nil, fmt.Errorf("%s: no symbol table (stripped?): %v", path, err)
	}
	for _, s := range syms {
		if _, ok := b.syms[s.Name]; !ok {
			b.syms[s.Name] = s
		}
	}
	r := b.d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: DWARF: %v", path, err)
		}
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagStructType, dwarf.TagBaseType, dwarf.TagTypedef, dwarf.TagArrayType,
			dwarf.TagPointerType, dwarf.TagSubroutineType:
			if _, ok := b.types[name]; !ok && name != "" {
				b.types[name] = e.Offset
			}
		case dwarf.TagVariable:
			if t, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok && name != "" {
				if _, ok := b.vars[name]; !ok {
					b.vars[name] = t
				}
			}
		case dwarf.TagConstant:
			if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok && name != "" {
				b.consts[name] = v
			}
		case dwarf.TagSubprogram:
			if name == "" || !e.Children {
				break
			}
			var ps []param
			for {
				c, err := r.Next()
				if err != nil {
					return nil, fmt.Errorf("%s: DWARF: %v", path, err)
				}
				if c == nil || c.Tag == 0 {
					break
				}
				if c.Tag == dwarf.TagFormalParameter {
					pn, _ := c.Val(dwarf.AttrName).(string)
					t, _ := c.Val(dwarf.AttrType).(dwarf.Offset)
					res, _ := c.Val(dwarf.AttrVarParam).(bool)
					ps = append(ps, param{pn, t, res})
				}
				if c.Children {
					r.SkipChildren()
				}
			}
			if _, ok := b.funcs[name]; !ok {
				b.funcs[name] = ps
			}
			continue
		}
		if e.Children && e.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
		}
	}
	return b, nil
}

func underlying(t dwarf.Type) dwarf.Type {
	for {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
}

// resolve finds "TYPE.member.member": TYPE is a type's name (the longest prefix of the
// dotted path that names one) or typeof(VARIABLE), for variables of an unnamed
// type.  It returns the type, the member path and whether the root was found.
func (b *binaryInfo) resolve(expr string) (dwarf.Type, []string, bool, error) {
	var root dwarf.Offset
	var rest string
	if strings.HasPrefix(expr, "typeof(") {
		k := strings.Index(expr, ")")
		if k < 0 {
			return nil, nil, false, fmt.Errorf("%q: unclosed typeof(", expr)
		}
		t, ok := b.vars[expr[7:k]]
		if !ok {
			return nil, nil, false, nil
		}
		root, rest = t, strings.TrimPrefix(expr[k+1:], ".")
	} else {
		found := false
		for k := len(expr); k > 0; k = strings.LastIndex(expr[:k], ".") {
			if off, ok := b.types[expr[:k]]; ok {
				root, rest, found = off, strings.TrimPrefix(expr[k:], "."), true
				break
			}
		}
		if !found {
			return nil, nil, false, nil
		}
	}
	t, err := b.d.Type(root)
	if err != nil {
		return nil, nil, false, err
	}
	var path []string
	if rest != "" {
		path = strings.Split(rest, ".")
	}
	return t, path, true, nil
}

// member walks a member path: its offset from the root and its type; ok false when a
// member is missing.
func member(t dwarf.Type, path []string) (int64, dwarf.Type, bool) {
	var off int64
	for _, name := range path {
		st, ok := underlying(t).(*dwarf.StructType)
		if !ok {
			return 0, nil, false
		}
		var f *dwarf.StructField
		for _, c := range st.Field {
			if c.Name == name {
				f = c
				break
			}
		}
		if f == nil {
			return 0, nil, false
		}
		off += f.ByteOffset
		t = f.Type
	}
	return off, t, true
}

// offsetOf: ok false when the type or a member is absent in this release.
func (b *binaryInfo) offsetOf(expr string) (int64, dwarf.Type, bool, error) {
	t, path, ok, err := b.resolve(expr)
	if err != nil || !ok {
		return 0, nil, false, err
	}
	if len(path) == 0 {
		return 0, nil, false, fmt.Errorf("%q names a type, not a member", expr)
	}
	off, mt, ok := member(t, path)
	return off, mt, ok, nil
}

// Integer registers of Go's ABIInternal on amd64, in assignment order.
const intRegs = 9 // RAX RBX RCX RDI RSI R8 R9 R10 R11
const floatRegs = 15

// regWords counts the integer and float registers a value of type t takes, or
// stack=true when the ABI passes it in memory (arrays of more than one element).
func regWords(t dwarf.Type) (ints, floats int, stack bool) {
	switch u := underlying(t).(type) {
	case *dwarf.FloatType:
		return 0, 1, false
	case *dwarf.ComplexType:
		return 0, 2, false
	case *dwarf.StructType:
		for _, f := range u.Field {
			i, fl, s := regWords(f.Type)
			if s {
				return 0, 0, true
			}
			ints, floats = ints+i, floats+fl
		}
		return ints, floats, false
	case *dwarf.ArrayType:
		switch u.Count {
		case 0:
			return 0, 0, false
		case 1:
			return regWords(u.Type)
		}
		return 0, 0, true
	default:
		if t.Size() == 0 {
			return 0, 0, false
		}
		return 1, 0, false
	}
}

// argReg: the index in RAX, RBX, RCX, RDI, RSI, R8... of the first integer register of
// parameter name of fn, -1 when it is passed in memory or in float registers.
func (b *binaryInfo) argReg(fn, name string) (int64, bool, error) {
	ps, ok := b.funcs[fn]
	if !ok {
		return 0, false, nil
	}
	ni, nf := 0, 0
	for _, p := range ps {
		if p.result {
			continue
		}
		t, err := b.d.Type(p.typ)
		if err != nil {
			return 0, false, err
		}
		i, f, stack := regWords(t)
		reg := -1
		if !stack && ni+i <= intRegs && nf+f <= floatRegs {
			reg = ni
			ni, nf = ni+i, nf+f
		}
		if p.name == name {
			if reg < 0 || i == 0 {
				return -1, true, nil
			}
			return int64(reg), true, nil
		}
	}
	return 0, false, nil
}

func (b *binaryInfo) hasParam(fn, name string, result bool) (bool, bool) {
	ps, ok := b.funcs[fn]
	if !ok {
		return false, false
	}
	for _, p := range ps {
		if p.result == result && p.name == name {
			return true, true
		}
	}
	return false, true
}

func (b *binaryInfo) typeName(off dwarf.Offset) string {
	t, err := b.d.Type(off)
	if err != nil {
		return ""
	}
	if st, ok := t.(*dwarf.StructType); ok {
		return st.StructName
	}
	return t.Common().Name
}

// symData returns the initial bytes of a global variable (zeros for .bss).
func (b *binaryInfo) symData(name string) ([]byte, bool, error) {
	s, ok := b.syms[name]
	if !ok {
		return nil, false, nil
	}
	if int(s.Section) >= len(b.elf.Sections) {
		return nil, false, fmt.Errorf("%s: symbol %s has no section", b.path, name)
	}
	sec := b.elf.Sections[s.Section]
	if sec.Type == elf.SHT_NOBITS {
		return make([]byte, s.Size), true, nil
	}
	return b.readAddr(s.Value, s.Size)
}

func (b *binaryInfo) readAddr(addr, n uint64) ([]byte, bool, error) {
	for _, sec := range b.elf.Sections {
		if sec.Flags&elf.SHF_ALLOC == 0 || addr < sec.Addr || addr+n > sec.Addr+sec.Size {
			continue
		}
		if sec.Type == elf.SHT_NOBITS {
			return make([]byte, n), true, nil
		}
		buf := make([]byte, n)
		if _, err := sec.ReadAt(buf, int64(addr-sec.Addr)); err != nil {
			return nil, false, err
		}
		return buf, true, nil
	}
	return nil, false, fmt.Errorf("%s: %#x+%d is in no section", b.path, addr, n)
}

// goStrings reads a [N]string variable.
func (b *binaryInfo) goStrings(name string) ([]string, bool, error) {
	raw, ok, err := b.symData(name)
	if err != nil || !ok {
		return nil, ok, err
	}
	if len(raw)%16 != 0 {
		return nil, false, fmt.Errorf("%s: %s is %d bytes, not a [N]string", b.path, name, len(raw))
	}
	var out []string
	for i := 0; i < len(raw); i += 16 {
		p := binary.LittleEndian.Uint64(raw[i:])
		n := binary.LittleEndian.Uint64(raw[i+8:])
		if n == 0 {
			out = append(out, "")
			continue
		}
		s, _, err := b.readAddr(p, n)
		if err != nil {
			return nil, false, err
		}
		out = append(out, string(s))
	}
	return out, true, nil
}

// ---- evaluating the spec ----

const (
	absentOff   = "GMT_OFF_ABSENT"
	absentConst = "GMT_CONST_ABSENT"
	absentArg   = "GMT_ARG_ABSENT"
	memoryArg   = "GMT_ARG_MEMORY"
)

type value struct {
	present bool
	num     int64
	strs    []string
}

func (b *binaryInfo) eval(f fact) (value, error) {
	wrap := func(err error) error {
		if err == nil {
			return nil
		}
		return fmt.Errorf("spec line %d (%s) on %s: %v", f.line, f.field, b.version, err)
	}
	switch {
	case !f.isFlag && f.kind == "offset":
		for _, a := range alternatives(f.args) {
			off, _, ok, err := b.offsetOf(a)
			if err != nil || ok {
				return value{present: ok, num: off}, wrap(err)
			}
		}
	case !f.isFlag && (f.kind == "size" || f.kind == "len"):
		for _, a := range alternatives(f.args) {
			t, path, ok, err := b.resolve(a)
			if err != nil {
				return value{}, wrap(err)
			}
			if !ok {
				continue
			}
			if _, mt, ok := member(t, path); ok {
				if f.kind == "size" {
					return value{present: true, num: mt.Size()}, nil
				}
				at, isArr := underlying(mt).(*dwarf.ArrayType)
				if !isArr {
					return value{}, wrap(fmt.Errorf("%s is not an array", a))
				}
				return value{present: true, num: at.Count}, nil
			}
		}
	case f.kind == "const":
		for _, a := range alternatives(f.args) {
			if v, ok := b.consts[a]; ok {
				return value{present: true, num: v}, nil
			}
		}
	case !f.isFlag && f.kind == "argreg":
		r, ok, err := b.argReg(f.args[0], f.args[1])
		return value{present: ok, num: r}, wrap(err)
	case !f.isFlag && f.kind == "u32":
		// Linker symbols such as runtime.pclntab have no size: read at the address.
		s, ok := b.syms[f.args[0]]
		if !ok {
			return value{}, nil
		}
		raw, _, err := b.readAddr(s.Value, 4)
		if err != nil {
			return value{}, wrap(err)
		}
		return value{present: true, num: int64(binary.LittleEndian.Uint32(raw))}, nil
	case !f.isFlag && f.kind == "strings":
		s, ok, err := b.goStrings(f.args[0])
		return value{present: ok, strs: s}, wrap(err)
	case f.kind == "param", f.kind == "result":
		if f.kind == "param" {
			has, fn := b.hasParam(f.args[0], f.args[1], false)
			if !fn {
				return value{}, wrap(fmt.Errorf("no function %s in the DWARF", f.args[0]))
			}
			return value{present: has}, nil
		}
		ps, ok := b.funcs[f.args[0]]
		if !ok {
			return value{}, wrap(fmt.Errorf("no function %s in the DWARF", f.args[0]))
		}
		for _, p := range ps {
			if p.result && b.typeName(p.typ) == f.args[1] {
				return value{present: true}, nil
			}
		}
	case f.kind == "paramtype":
		ps, ok := b.funcs[f.args[0]]
		if !ok {
			return value{}, wrap(fmt.Errorf("no function %s in the DWARF", f.args[0]))
		}
		for _, p := range ps {
			if !p.result && p.name == f.args[1] {
				return value{present: b.typeName(p.typ) == f.args[2]}, nil
			}
		}
		return value{}, wrap(fmt.Errorf("%s has no parameter %s", f.args[0], f.args[1]))
	case f.kind == "func":
		s, ok := b.syms[f.args[0]]
		return value{present: ok && elf.ST_TYPE(s.Info) == elf.STT_FUNC}, nil
	case f.kind == "member":
		_, _, ok, err := b.offsetOf(f.args[0])
		return value{present: ok}, wrap(err)
	case f.kind == "data":
		raw, ok, err := b.symData(f.args[0])
		if err != nil || !ok {
			return value{}, wrap(fmt.Errorf("no variable %s in the symbol table", f.args[0]))
		}
		want, err := strconv.ParseUint(f.args[1], 0, 64)
		if err != nil {
			return value{}, wrap(err)
		}
		var got uint64
		n := len(raw)
		if n > 8 {
			n = 8
		}
		for i := n - 1; i >= 0; i-- {
			got = got<<8 | uint64(raw[i])
		}
		return value{present: got == want}, nil
	case f.kind == "rule":
		ok, err := evalRule(f.args, b.minor)
		return value{present: ok}, wrap(err)
	}
	return value{}, nil
}

// A rule is "minor OP N" (OP one of >= > <= < ==), for facts DWARF cannot tell.
func evalRule(args []string, minor int) (bool, error) {
	if len(args) != 3 || args[0] != "minor" {
		return false, errors.New("a rule is: minor OP N")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		return false, err
	}
	switch args[1] {
	case ">=":
		return minor >= n, nil
	case ">":
		return minor > n, nil
	case "<=":
		return minor <= n, nil
	case "<":
		return minor < n, nil
	case "==":
		return minor == n, nil
	}
	return false, fmt.Errorf("unknown operator %q", args[1])
}

// ---- C output ----

func cString(s string) string {
	var buf strings.Builder
	buf.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&buf, "\\%03o", c)
		default:
			buf.WriteByte(c)
		}
	}
	buf.WriteByte('"')
	return buf.String()
}

func run() error {
	specPath := flag.String("spec", "", "the fact list (spec.txt)")
	headerPath := flag.String("header", "", "the C header that defines a row (go_release.h)")
	toolchains := flag.String("toolchains", "", "how the binaries were built, for the header comment")
	outPath := flag.String("o", "", "output file (default stdout)")
	mdPath := flag.String("mdlayouts", "", "also write the distinct layouts of runtime.moduledata "+
		"(for the binary reader, user/gobin) to this file")
	flag.Parse()
	if *specPath == "" || *headerPath == "" || flag.NArg() == 0 {
		return errors.New("usage: gooffsets -spec SPEC -header HEADER [-toolchains TEXT] " +
			"[-o OUT] BINARY...")
	}
	facts, err := readSpec(*specPath)
	if err != nil {
		return err
	}
	fields, flags, err := headerFields(*headerPath)
	if err != nil {
		return err
	}
	// The header and the spec must describe the same row.
	inSpec := map[string]bool{}
	for _, f := range facts {
		inSpec[f.field] = true
		if f.isFlag && !flags[f.field] {
			return fmt.Errorf("spec line %d: %s is not #defined in %s", f.line, f.field, *headerPath)
		}
		if !f.isFlag && !fields[f.field] {
			return fmt.Errorf("spec line %d: %s is not a field of struct gmt_go_release in %s",
				f.line, f.field, *headerPath)
		}
	}
	for _, id := range rowIdentity {
		inSpec[id] = true
	}
	var missing []string
	for k := range fields {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	for k := range flags {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("%s declares what %s does not generate: %s", *headerPath, *specPath,
			strings.Join(missing, ", "))
	}

	var bins []*binaryInfo
	for _, p := range flag.Args() {
		b, err := load(p)
		if err != nil {
			return err
		}
		bins = append(bins, b)
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].minor < bins[j].minor })
	for i := 1; i < len(bins); i++ {
		if bins[i].minor == bins[i-1].minor {
			return fmt.Errorf("two binaries of go1.%d: %s and %s", bins[i].minor,
				bins[i-1].path, bins[i].path)
		}
	}
	vals := make([][]value, len(bins))
	for i, b := range bins {
		for _, f := range facts {
			v, err := b.eval(f)
			if err != nil {
				return err
			}
			vals[i] = append(vals[i], v)
		}
	}
	// A fact no release has is a misspelt name; a flag every release has tells nothing
	// (with one binary, as in a test of the generator itself, neither can be judged).
	var bad []string
	for k, f := range facts {
		n := 0
		for i := range bins {
			if vals[i][k].present {
				n++
			}
		}
		switch {
		case n == 0 && !f.isFlag:
			bad = append(bad, fmt.Sprintf("line %d: %s is absent from every release", f.line, f.field))
		case n == 0 && len(bins) > 1:
			bad = append(bad, fmt.Sprintf("line %d: %s is false in every release", f.line, f.field))
		case n == len(bins) && f.isFlag && len(bins) > 1:
			bad = append(bad, fmt.Sprintf("line %d: %s is true in every release", f.line, f.field))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s", *specPath, strings.Join(bad, "; "))
	}

	var out bytes.Buffer
	w := func(format string, a ...interface{}) { fmt.Fprintf(&out, format, a...) }
	w("// SPDX-License-Identifier: MIT\n")
	w("/*\n * GENERATED by scripts/gen-go-releases.sh from scripts/gooffsets/spec.txt: do not edit.\n")
	w(" * Every value is read from the DWARF and symbol table of scripts/gooffsets/ref built\n")
	w(" * unstripped by one toolchain per row")
	if *toolchains != "" {
		w(":\n")
		for _, t := range strings.Split(*toolchains, ";") {
			if t = strings.TrimSpace(t); t != "" {
				w(" *   %s\n", t)
			}
		}
	} else {
		w(".\n")
	}
	w(" * The row's struct is in go_release.h.  `scripts/gen-go-releases.sh --check` fails\n")
	w(" * when this file and a fresh extraction differ.\n */\n")
	w("#include \"go_release.h\"\n\n")

	// String tables: one array per distinct list.
	strName := map[string]string{}
	for k, f := range facts {
		if f.kind != "strings" || f.isFlag {
			continue
		}
		n := 0
		for i := range bins {
			v := vals[i][k]
			if !v.present {
				continue
			}
			key := f.field + "\x00" + strings.Join(v.strs, "\x00")
			if _, ok := strName[key]; ok {
				continue
			}
			name := fmt.Sprintf("gmt_rel_%s_%d", strings.TrimPrefix(f.field, "strings."), n)
			n++
			strName[key] = name
			var users []string
			for j := range bins {
				if vals[j][k].present && f.field+"\x00"+strings.Join(vals[j][k].strs, "\x00") == key {
					users = append(users, bins[j].version)
				}
			}
			w("/*\n * %s in", f.args[0])
			col := len(f.args[0]) + 6
			for j, u := range users {
				if col+len(u) > 88 {
					w("\n *")
					col = 3
				}
				sep := ","
				if j == len(users)-1 {
					sep = ""
				}
				w(" %s%s", u, sep)
				col += len(u) + 2
			}
			w("\n */\n")
			w("static const char *const %s[%d] = {\n", name, len(v.strs))
			for idx, s := range v.strs {
				w("\t[%d] = %s,\n", idx, cString(s))
			}
			w("};\n\n")
		}
	}

	w("const struct gmt_go_release gmt_go_releases[] = {\n")
	for i, b := range bins {
		w("\t{\n")
		w("\t\t.version = %s,\n", cString(b.version))
		w("\t\t.minor = %d,\n\t\t.patch = %d,\n", b.minor, b.patch)
		var fl []string
		for k, f := range facts {
			if f.isFlag && vals[i][k].present {
				fl = append(fl, f.field)
			}
		}
		if len(fl) == 0 {
			w("\t\t.flags = 0,\n")
		} else {
			w("\t\t.flags = %s,\n", strings.Join(fl, " |\n\t\t\t "))
		}
		for k, f := range facts {
			if f.isFlag {
				continue
			}
			v := vals[i][k]
			switch {
			case f.kind == "strings" && v.present:
				key := f.field + "\x00" + strings.Join(v.strs, "\x00")
				w("\t\t.%s = { %s, %d },\n", f.field, strName[key], len(v.strs))
			case f.kind == "strings":
				w("\t\t.%s = { 0, 0 },\n", f.field)
			case !v.present:
				absent := absentOff
				if f.kind == "const" {
					absent = absentConst
				} else if f.kind == "argreg" {
					absent = absentArg
				}
				w("\t\t.%s = %s,\n", f.field, absent)
			case f.kind == "u32":
				w("\t\t.%s = %#x,\n", f.field, v.num)
			case f.kind == "argreg" && v.num < 0:
				w("\t\t.%s = %s,\n", f.field, memoryArg)
			default:
				w("\t\t.%s = %d,\n", f.field, v.num)
			}
		}
		w("\t},\n")
	}
	w("};\n\nconst size_t gmt_go_nreleases = sizeof(gmt_go_releases) / sizeof(gmt_go_releases[0]);\n")

	if *mdPath != "" {
		md, err := mdLayouts(facts, bins, vals)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*mdPath, md, 0o644); err != nil {
			return err
		}
	}
	if *outPath == "" {
		_, err = os.Stdout.Write(out.Bytes())
		return err
	}
	return os.WriteFile(*outPath, out.Bytes(), 0o644)
}

// The members of struct gmt_md_layout (user/gobin/moduledata.h): what the binary reader
// reads of runtime.moduledata, each a moduledata.* fact of the spec.
var mdLayoutFields = []string{"funcnametab", "cutab", "filetab", "pctab", "pclntable", "minpc",
	"maxpc", "text", "etext", "noptrdata", "enoptrdata", "data", "edata", "bss", "ebss",
	"noptrbss", "enoptrbss", "types", "etypes", "rodata", "gofunc"}

// mdLayouts writes the distinct layouts of runtime.moduledata, newest first, each with the
// releases that have it: the binary reader (below the release table in the layering)
// finds the moduledata of a binary whose release it does not know yet by trying them.
func mdLayouts(facts []fact, bins []*binaryInfo, vals [][]value) ([]byte, error) {
	idx := map[string]int{}
	for k, f := range facts {
		idx[f.field] = k
	}
	type layout struct {
		key         string
		first, last string
		offs        []int64
	}
	var ls []*layout
	for i := len(bins) - 1; i >= 0; i-- {
		var offs []int64
		var key []string
		for _, name := range mdLayoutFields {
			k, ok := idx["moduledata."+name]
			if !ok {
				return nil, fmt.Errorf("spec has no moduledata.%s", name)
			}
			v := vals[i][k]
			if !v.present {
				return nil, fmt.Errorf("%s: moduledata.%s is absent", bins[i].version, name)
			}
			offs = append(offs, v.num)
			key = append(key, fmt.Sprint(v.num))
		}
		ks := strings.Join(key, ",")
		if n := len(ls); n > 0 && ls[n-1].key == ks {
			ls[n-1].first = bins[i].version
			continue
		}
		for _, l := range ls {
			if l.key == ks {
				return nil, fmt.Errorf("moduledata layout of %s came back after %s: "+
					"the reader's newest-first order would not hold", bins[i].version, l.first)
			}
		}
		ls = append(ls, &layout{key: ks, first: bins[i].version, last: bins[i].version, offs: offs})
	}
	var out bytes.Buffer
	w := func(format string, a ...interface{}) { fmt.Fprintf(&out, format, a...) }
	w("// SPDX-License-Identifier: MIT\n")
	w("/*\n * GENERATED by scripts/gen-go-releases.sh with user/goruntime/go_releases.gen.c, from\n")
	w(" * the same DWARF: do not edit.  The distinct layouts of runtime.moduledata (the fields\n")
	w(" * struct gmt_md_layout names), newest first, with the releases that have each.\n */\n")
	w("#include \"moduledata.h\"\n\n")
	w("const struct gmt_md_layout gmt_md_layouts[] = {\n")
	for _, l := range ls {
		w("\t{\n\t\t.first = %s,\n\t\t.last = %s,\n", cString(l.first), cString(l.last))
		for j, name := range mdLayoutFields {
			w("\t\t.%s = %d,\n", name, l.offs[j])
		}
		w("\t},\n")
	}
	w("};\n\nconst size_t gmt_md_nlayouts = sizeof(gmt_md_layouts) / sizeof(gmt_md_layouts[0]);\n")
	return out.Bytes(), nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gooffsets:", err)
		os.Exit(1)
	}
}
