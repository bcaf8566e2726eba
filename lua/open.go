package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// DeviceChoice is how the command line picks a device (flashemu --chip,
// --nor SPEC, --nand SPEC, --image FILE). At most one of Chip, NOR and
// NAND may be set; Image loads a raw or Intel HEX file into the device
// (alone: a NOR device sized to the image).
type DeviceChoice struct {
	Chip, NOR, NAND, Image string
}

// IsZero reports that nothing was chosen.
func (c DeviceChoice) IsZero() bool { return c == DeviceChoice{} }

// DefaultDevice is the REPL's device when nothing is chosen.
const DefaultDevice = "size=1M,sector=4K,wb=1"

// OpenDevice makes the chosen device.
func OpenDevice(c DeviceChoice) (*emu.Device, error) {
	n := 0
	for _, s := range []string{c.Chip, c.NOR, c.NAND} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: choose one of --chip, --nor and --nand", emu.ErrInvalid)
	}
	var data []byte
	if c.Image != "" {
		raw, err := readFileLimited(c.Image)
		if err != nil {
			return nil, err
		}
		if data, _, err = readImage(c.Image, raw, 0xff); err != nil {
			return nil, err
		}
	}
	var cfg emu.Config
	var err error
	switch {
	case c.Chip != "":
		cfg, err = emu.Chip(c.Chip)
		if err != nil {
			return nil, err // emu.ErrUnknownChip, with the known names
		}
	case c.NAND != "":
		cfg, err = ConfigFromSpec(emu.NAND, c.NAND)
	case c.NOR != "":
		cfg, err = ConfigFromSpec(emu.NOR, c.NOR)
	case data != nil:
		size := (int64(len(data)) + 4095) / 4096 * 4096
		if size == 0 {
			size = 4096
		}
		cfg, err = ConfigFromSpec(emu.NOR, fmt.Sprintf("size=%d,sector=4K,wb=1", size))
	default:
		cfg, err = ConfigFromSpec(emu.NOR, DefaultDevice)
	}
	if err != nil {
		return nil, err
	}
	d, err := emu.New(cfg)
	if err != nil {
		return nil, err
	}
	if data != nil {
		if int64(len(data)) > d.Size() {
			return nil, fmt.Errorf("%w: %s holds %d bytes, the device %d", emu.ErrCorruptImage, c.Image, len(data), d.Size())
		}
		if err := d.Poke(0, data); err != nil {
			return nil, err
		}
	}
	return d, nil
}
