package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestConfigValidate: Validate refuses exactly what New refuses, with an
// ErrInvalid reason, and accepts every preset.
func TestConfigValidate(t *testing.T) {
	bad := map[string]func(*Config){
		"zero erase unit":          func(c *Config) { c.EraseUnit = 0 },
		"size not a unit multiple": func(c *Config) { c.Size = 4097 },
		"write block too big":      func(c *Config) { c.WriteBlock = MaxChunk * 2 },
		"pages on NOR":             func(c *Config) { c.PageSize = 512 },
		"too large":                func(c *Config) { c.Size = MaxDeviceSize * 2 },
	}
	for name, mod := range bad {
		c := norCfg(mod)
		err := c.Validate()
		assert.ErrorIs(t, err, ErrInvalid, name)
		_, nerr := New(c)
		assert.Equal(t, err, nerr, name)
	}
	n := nandCfg(func(c *Config) { c.ECCStep = 300 })
	assert.ErrorIs(t, n.Validate(), ErrInvalid, "ECC step not dividing the page")
	for _, c := range Chips() {
		assert.NoError(t, c.Validate(), c.Name)
	}
	assert.NoError(t, norCfg().Validate())
}
