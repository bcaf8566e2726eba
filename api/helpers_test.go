package api_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/require"
)

func newEmu(t testing.TB, c emu.Config) (*emu.Device, api.Device) {
	t.Helper()
	if c.Kind == 0 {
		c.Kind = emu.NOR
	}
	d, err := emu.New(c)
	require.NoError(t, err)
	return d, api.FromEmu(d)
}

func readDTS(t testing.TB, names ...string) string {
	t.Helper()
	var s string
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", "dts", n))
		require.NoError(t, err)
		s += string(b)
	}
	return s
}

func fillBytes(n int, v byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

func rc(err error) int { return errno.Of(err) }

func neg(e errno.Errno) int { return -int(e) }

func asDTS(err error, target **api.DTSError) bool { return errors.As(err, target) }
