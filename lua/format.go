package lua

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// Printable reports whether s is text worth quoting rather than hex-diffing.
func Printable(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}

// FormatValue renders a value for messages: strings quoted, tables as
// constructors (bounded), numbers as Lua prints them.
func FormatValue(v glua.LValue) string {
	var b strings.Builder
	writeValue(&b, v, 0, map[*glua.LTable]bool{})
	return b.String()
}

func writeValue(b *strings.Builder, v glua.LValue, depth int, seen map[*glua.LTable]bool) {
	switch x := v.(type) {
	case glua.LString:
		s := string(x)
		if len(s) > 64 {
			fmt.Fprintf(b, "%s... (%d bytes)", strconv.Quote(s[:64]), len(s))
			return
		}
		b.WriteString(strconv.Quote(s))
	case glua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			b.WriteString(strconv.FormatInt(int64(f), 10))
		} else {
			b.WriteString(x.String())
		}
	case *glua.LTable:
		if seen[x] || depth > 2 {
			b.WriteString("{...}")
			return
		}
		seen[x] = true
		defer delete(seen, x)
		b.WriteByte('{')
		n := x.Len()
		count := 0
		for i := 1; i <= n; i++ {
			if count > 0 {
				b.WriteString(", ")
			}
			if count >= 16 {
				b.WriteString("...")
				b.WriteByte('}')
				return
			}
			writeValue(b, x.RawGetInt(i), depth+1, seen)
			count++
		}
		var keys []glua.LValue
		x.ForEach(func(k, _ glua.LValue) {
			if kn, ok := k.(glua.LNumber); ok && float64(kn) >= 1 && float64(kn) <= float64(n) && float64(kn) == math.Trunc(float64(kn)) {
				return
			}
			keys = append(keys, k)
		})
		sort.Slice(keys, func(i, j int) bool { return FormatValue(keys[i]) < FormatValue(keys[j]) })
		for _, k := range keys {
			if count > 0 {
				b.WriteString(", ")
			}
			if count >= 16 {
				b.WriteString("...")
				break
			}
			if s, ok := k.(glua.LString); ok && identRE(string(s)) {
				b.WriteString(string(s))
			} else {
				b.WriteByte('[')
				writeValue(b, k, depth+1, seen)
				b.WriteByte(']')
			}
			b.WriteString(" = ")
			writeValue(b, x.RawGet(k), depth+1, seen)
			count++
		}
		b.WriteByte('}')
	case nil:
		b.WriteString("nil")
	default:
		b.WriteString(tostring(v))
	}
}
