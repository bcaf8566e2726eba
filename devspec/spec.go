package devspec

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
)

// maxExactInt bounds SPEC numbers as Lua numbers are bounded (2^53, the
// largest integer a float64 holds exactly), so both sources accept the
// same values.
const maxExactInt = 1 << 53

// aliases are the short names a SPEC may use.
var aliases = map[string]string{
	"wb": "write_block", "ev": "erase_value", "ppb": "pages_per_block", "ecc": "ecc_bits",
	"bad": "bad_blocks", "units": "sectors", "erase": "sector",
}

// Parse builds a device configuration from a command-line SPEC; kind is
// emu.NOR for --nor, emu.NAND for --nand. A SPEC is comma-separated
// key=value pairs, numbers as api.ParseSize reads them (0x, K/M/G
// suffixes), booleans as true/false/1/0/yes/no/on/off or a bare key
// meaning true, lists joined with '+':
//
//	size=1M,sector=4K,wb=4,ev=0xff,max_programs=2,violations=count
//	sectors=4x16K+1x64K+7x128K           (non-uniform sector map)
//	page=2K,oob=64,ppb=64,blocks=1024,nop=4,ecc=4,bad=3+17
//	chip=w25q128jv,size=4M               (a preset with overrides)
//
// Aliases: wb=write_block, ev=erase_value, ppb=pages_per_block,
// ecc=ecc_bits, bad=bad_blocks, units=sectors, erase=sector. The names are
// those of flash.nor{...} and flash.nand{...} (docs/lua-api.md).
func Parse(kind emu.Kind, spec string) (cfg emu.Config, err error) {
	src, err := parseSpec(spec)
	if err != nil {
		return emu.Config{}, err
	}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(specError)
			if !ok {
				panic(r)
			}
			err = se.err
		}
	}()
	return Build(kind, src), nil
}

// specSource is the Source of a SPEC string.
type specSource struct {
	vals map[string]string
	seen map[string]bool
}

func parseSpec(spec string) (*specSource, error) {
	s := &specSource{vals: map[string]string{}, seen: map[string]bool{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if a, ok := aliases[k]; ok {
			k = a
		}
		if !ok {
			v = "true"
		}
		if _, dup := s.vals[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		s.vals[k] = strings.TrimSpace(v)
	}
	return s, nil
}

// specError is what specSource.Fail panics with; Parse recovers it.
type specError struct{ err error }

func (s *specSource) Fail(name, msg string) {
	panic(specError{fmt.Errorf("%s: %s", name, msg)})
}

func (s *specSource) get(name string) (string, bool) {
	s.seen[name] = true
	v, ok := s.vals[name]
	return v, ok
}

func (s *specSource) Has(name string) bool { _, ok := s.get(name); return ok }

func (s *specSource) Int(name string, def int64) int64 { return s.Size(name, def) }

func (s *specSource) Size(name string, def int64) int64 {
	v, ok := s.get(name)
	if !ok {
		return def
	}
	n, err := api.ParseSize(v)
	if err != nil || n > maxExactInt {
		s.Fail(name, fmt.Sprintf("bad number %q", v))
	}
	return int64(n)
}

func (s *specSource) Str(name, def string) string {
	if v, ok := s.get(name); ok {
		return v
	}
	return def
}

func (s *specSource) Bool(name string, def bool) bool {
	v, ok := s.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		switch strings.ToLower(v) {
		case "yes", "on":
			return true
		case "no", "off":
			return false
		}
		s.Fail(name, fmt.Sprintf("bad boolean %q", v))
	}
	return b
}

func (s *specSource) Runs(name string) []emu.Run {
	v, _ := s.get(name)
	var out []emu.Run
	for _, r := range strings.Split(v, "+") {
		c, sz, ok := strings.Cut(strings.ToLower(r), "x")
		cn, err1 := api.ParseSize(c)
		sn, err2 := api.ParseSize(sz)
		if !ok || err1 != nil || err2 != nil || cn == 0 || sn == 0 || cn > emu.MaxUnits || sn > uint64(emu.MaxDeviceSize) {
			s.Fail(name, fmt.Sprintf("bad run %q (want COUNTxSIZE, e.g. 4x16K)", r))
		}
		out = append(out, emu.Run{Count: int(cn), Size: int(sn)})
	}
	return out
}

func (s *specSource) Ints(name string) []int {
	v, _ := s.get(name)
	var out []int
	for _, x := range strings.Split(v, "+") {
		n, err := api.ParseSize(x)
		if err != nil || n > emu.MaxUnits {
			s.Fail(name, fmt.Sprintf("bad number %q", x))
		}
		out = append(out, int(n))
	}
	return out
}

func (s *specSource) Timing(name string, base emu.Timing) emu.Timing {
	v, ok := s.get(name)
	if !ok {
		return base
	}
	switch strings.ToLower(v) {
	case "false", "0", "none", "off":
		return emu.Timing{}
	case "true", "default":
		return base
	}
	s.Fail(name, fmt.Sprintf("%q: only timing=none or timing=default in a SPEC", v))
	return base
}

func (s *specSource) Done() {
	var unknown []string
	for k := range s.vals {
		if !s.seen[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(s.seen))
		for k := range s.seen {
			known = append(known, k)
		}
		sort.Strings(known)
		panic(specError{fmt.Errorf("unknown key %q (known: %s)", unknown[0], strings.Join(known, ", "))})
	}
}
