package lua

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/flashemu/flashemu/crc8"
	glua "github.com/yuin/gopher-lua"
)

// check: checksums over Lua strings (byte buffers).

func init() {
	registerModule(&moduleDef{
		name: "check",
		doc:  "checksums of byte strings: crc8 (FCB), crc16, crc32, sha256",
		funcs: []fnDef{
			{"crc8", "check.crc8(s [, init=0xff]) --> n", "CRC-8/CCITT (poly 0x07) as Zephyr's crc8_ccitt; FCB uses init 0xff", checkCRC8},
			{"crc16", "check.crc16(s [, init=0xffff]) --> n", "CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff), Zephyr's crc16_itu_t", checkCRC16},
			{"crc32", "check.crc32(s [, prev=0]) --> n", "CRC-32/IEEE (zlib); pass the previous value to continue", checkCRC32},
			{"sha256", "check.sha256(s) --> hex", "SHA-256 as lower-case hex", checkSHA256},
		},
	})
}

// crc16Table is CRC-16 poly 0x1021, MSB first.
var crc16Table = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return
}()

// crc16CCITTFalse is CRC-16/CCITT-FALSE continuing from init.
func crc16CCITTFalse(init uint16, s string) uint16 {
	c := init
	for i := 0; i < len(s); i++ {
		c = c<<8 ^ crc16Table[byte(c>>8)^s[i]]
	}
	return c
}

func checkCRC8(s *State, L *glua.LState) int {
	a := argsOf(L, "crc8")
	data := a.str(1)
	init := a.present(2)
	iv := int64(0xff)
	if init {
		iv = a.intRange(2, 0, 0xff)
	}
	L.Push(glua.LNumber(crc8.Checksum([]byte(data), byte(iv))))
	return 1
}

func checkCRC16(s *State, L *glua.LState) int {
	a := argsOf(L, "crc16")
	data := a.str(1)
	iv := int64(0xffff)
	if a.present(2) {
		iv = a.intRange(2, 0, 0xffff)
	}
	L.Push(glua.LNumber(crc16CCITTFalse(uint16(iv), data)))
	return 1
}

func checkCRC32(s *State, L *glua.LState) int {
	a := argsOf(L, "crc32")
	data := a.str(1)
	prev := uint32(0)
	if a.present(2) {
		prev = uint32(a.intRange(2, 0, 0xffffffff))
	}
	L.Push(glua.LNumber(crc32.Update(prev, crc32.IEEETable, []byte(data))))
	return 1
}

func checkSHA256(s *State, L *glua.LState) int {
	a := argsOf(L, "sha256")
	sum := sha256.Sum256([]byte(a.str(1)))
	L.Push(glua.LString(hex.EncodeToString(sum[:])))
	return 1
}

// ----- hex / tohex -----

func init() {
	registerGlobals(
		fnDef{"hex", `hex("ff 00") --> "\xff\x00"`, "bytes from hex digits (spaces, '_' and ':' ignored)", globalHex},
		fnDef{"tohex", `tohex(s [, sep]) --> "ff00"`, "lower-case hex of a byte string, optionally separated", globalToHex},
	)
}

// decodeHex decodes hex digits, skipping whitespace, '_' and ':'.
func decodeHex(s string) ([]byte, error) {
	out := make([]byte, 0, len(s)/2)
	var hi byte
	half := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '_' || c == ':':
			continue
		default:
			return nil, fmt.Errorf("invalid hex digit %q at position %d", c, i+1)
		}
		if half {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	if half {
		return nil, fmt.Errorf("odd number of hex digits")
	}
	return out, nil
}

func globalHex(s *State, L *glua.LState) int {
	a := argsOf(L, "hex")
	b, err := decodeHex(a.str(1))
	if err != nil {
		a.argError(1, err.Error())
	}
	L.Push(glua.LString(b))
	return 1
}

func globalToHex(s *State, L *glua.LState) int {
	a := argsOf(L, "tohex")
	data := a.str(1)
	sep := a.optStr(2, "")
	if sep == "" {
		L.Push(glua.LString(hex.EncodeToString([]byte(data))))
		return 1
	}
	var b strings.Builder
	for i := 0; i < len(data); i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(hex.EncodeToString([]byte{data[i]}))
	}
	L.Push(glua.LString(b.String()))
	return 1
}
