package devspec

import (
	"fmt"
	"os"

	"github.com/flashemu/flashemu/emu"
)

// Choice is how the command line picks a device (flashemu --chip, --nor
// SPEC, --nand SPEC, --image FILE). At most one of Chip, NOR and NAND may
// be set; Image loads a raw or Intel HEX file into the device (alone: a
// NOR device sized to the image).
type Choice struct {
	Chip, NOR, NAND, Image string
}

// IsZero reports that nothing was chosen.
func (c Choice) IsZero() bool { return c == Choice{} }

// Default is the SPEC of the device used when nothing is chosen (the
// REPL's).
const Default = "size=1M,sector=4K,wb=1"

// Open makes the chosen device.
func Open(c Choice) (*emu.Device, error) {
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
		if data, _, err = emu.ImageData(raw, 0xff); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Image, err)
		}
	}
	var cfg emu.Config
	var err error
	switch {
	case c.Chip != "":
		cfg, err = emu.Chip(c.Chip)
	case c.NAND != "":
		cfg, err = Parse(emu.NAND, c.NAND)
	case c.NOR != "":
		cfg, err = Parse(emu.NOR, c.NOR)
	case data != nil:
		size := max((int64(len(data))+4095)/4096*4096, 4096)
		cfg, err = Parse(emu.NOR, fmt.Sprintf("size=%d,sector=4K,wb=1", size))
	default:
		cfg, err = Parse(emu.NOR, Default)
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

// readFileLimited reads an image file, refusing files larger than the
// largest device.
func readFileLimited(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > emu.MaxDeviceSize {
		return nil, fmt.Errorf("%s: %w: %d bytes", path, emu.ErrCorruptImage, st.Size())
	}
	return os.ReadFile(path)
}
