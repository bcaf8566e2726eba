package fcb_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/crc8"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
	"github.com/stretchr/testify/require"
)

const (
	vecMagic   = 0x12345678
	vecVersion = 1
	vecDir     = "testdata/vectors"
)

// rig is an emu NOR device like the vectors' one (counting violations
// instead of refusing them), one flash area over all of it, and a recorder
// of the device writes.
type rig struct {
	t    testing.TB
	dev  *emu.Device
	area *api.Area
	rec  *recorder
}

func newRig(t testing.TB, nsec int, secSize int64, wbs int, ev byte) *rig {
	t.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: int64(nsec) * secSize, EraseUnit: int(secSize),
		WriteBlock: wbs, EraseValue: ev, Violations: emu.ViolationsCount})
	require.NoError(t, err)
	rec := &recorder{}
	d.SetHook(rec)
	a, err := api.DeviceArea(api.FromEmu(d), "fcb")
	require.NoError(t, err)
	return &rig{t: t, dev: d, area: a, rec: rec}
}

func (r *rig) mount(opt fcb.Options) (*fcb.FCB, error) { return fcb.New(r.area, opt) }

func (r *rig) image() []byte {
	r.t.Helper()
	img := make([]byte, r.dev.Size())
	require.NoError(r.t, r.dev.Peek(0, img))
	return img
}

func (r *rig) load(img []byte) {
	r.t.Helper()
	require.NoError(r.t, r.dev.Poke(0, img))
}

// recorder is an emu.Hook that records every successful program and erase.
type recorder struct {
	ops []flashOp
}

type flashOp struct {
	Op   string
	Off  int64
	Len  int64
	Data []byte
}

func (r *recorder) Before(*emu.Device, *emu.Op) error { return nil }

func (r *recorder) After(_ *emu.Device, op *emu.Op, err error) error {
	if err == nil && op.Kind.Mutates() {
		kind := "write"
		if op.Kind == emu.OpErase {
			kind = "erase"
		}
		r.ops = append(r.ops, flashOp{Op: kind, Off: op.Off, Len: op.Len, Data: append([]byte(nil), op.Data...)})
	}
	return err
}

func (r *recorder) reset() { r.ops = nil }

// payload is the vectors' rule: byte i of entry n is (n*7 + i) mod 256.
func payload(n, length int) []byte {
	b := make([]byte, length)
	for i := range b {
		b[i] = byte(n*7 + i)
	}
	return b
}

// seqLen is the basic/rotate length rule: n mod 300, plus 1.
func seqLen(n int) int { return n%300 + 1 }

func shaHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func readVector(t testing.TB, name string, v any) bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, name))
	if os.IsNotExist(err) {
		return false
	}
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
	return true
}

func readBin(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vecDir, name))
	require.NoError(t, err)
	return b
}

// errName renders an error like the vectors' return codes: "0", "-ENOSPC".
func errName(err error) string {
	if err == nil {
		return "0"
	}
	return "-" + errno.NameOf(errno.Of(err))
}

// walkAll walks f and returns every entry with its payload.
func walkAll(t testing.TB, f *fcb.FCB) []vecEntry {
	t.Helper()
	var out []vecEntry
	for e, err := range f.Entries() {
		require.NoError(t, err)
		out = append(out, vecEntry{Sector: e.Sector, ElemOff: e.ElemOff, DataOff: e.DataOff, Len: e.Len,
			Data: hex.EncodeToString(e.Data)})
	}
	return out
}

// JSON shapes of the vectors.

type vecParams struct {
	SectorCount    int   `json:"sector_count"`
	SectorSize     int64 `json:"sector_size"`
	WriteBlockSize int   `json:"write_block_size"`
	EraseValue     int   `json:"erase_value"`
	ScratchCnt     int   `json:"scratch_cnt"`
}

type vecEntry struct {
	Sector  int    `json:"sector"`
	ElemOff int    `json:"elem_off"`
	DataOff int    `json:"data_off"`
	Len     int    `json:"len"`
	Data    string `json:"data,omitempty"`
}

type vecState struct {
	Oldest        int `json:"oldest_sector"`
	Active        int `json:"active_sector"`
	ActiveElemOff int `json:"active_elem_off"`
	ActiveID      int `json:"active_id"`
	FreeSectors   int `json:"free_sector_cnt"`
	IsEmpty       int `json:"is_empty"`
	Align         int `json:"align"`
	EraseValue    int `json:"erase_value"`
}

func stateOf(f *fcb.FCB) vecState {
	s := f.State()
	empty := 0
	if s.Empty {
		empty = 1
	}
	return vecState{Oldest: s.Oldest, Active: s.Active, ActiveElemOff: s.ActiveElemOff, ActiveID: int(s.ActiveID),
		FreeSectors: s.FreeSectors, IsEmpty: empty, Align: s.Align, EraseValue: int(s.EraseValue)}
}

type vecFlashStats struct {
	Writes             int `json:"writes"`
	Erases             int `json:"erases"`
	BytesWritten       int `json:"bytes_written"`
	NorViolationWrites int `json:"nor_violation_writes"`
	NorViolationBytes  int `json:"nor_violation_bytes"`
}

type vecHeader struct {
	Sector int    `json:"sector"`
	Raw    string `json:"raw"`
	ID     int    `json:"id"`
}

// vecScenario covers the basic, rotate and torn JSON files.
type vecScenario struct {
	Params        vecParams     `json:"params"`
	ImageSHA      string        `json:"image_sha256"`
	InitRC        string        `json:"init_rc"`
	AppendedOK    int           `json:"appended_ok"`
	StopRC        string        `json:"stop_rc"`
	RotateCalls   int           `json:"rotate_calls"`
	Appends       [][]any       `json:"appends"`
	State         *vecState     `json:"state"`
	SectorHeaders []vecHeader   `json:"sector_headers"`
	SectorFdID    []*int        `json:"sector_fd_id"`
	FlashStats    vecFlashStats `json:"flash_stats"`
	ReinitRC      string        `json:"reinit_rc"`
	ReinitState   *vecState     `json:"reinit_state"`
	Walk          []vecEntry    `json:"walk"`
	WalkCount     int           `json:"walk_count"`
	TornEntry     *vecEntry     `json:"torn_entry"`
	StateAfter    *vecState     `json:"state_after_init"`
	ProbeEntry    *vecEntry     `json:"probe_entry"`
	ProbeRC       string        `json:"probe_append_rc"`
	ProbeLoc      *vecEntry     `json:"probe_append_entry"`
	ProbeOps      []vecProbeOp  `json:"probe_flash_ops"`
	StateAfterPrb *vecState     `json:"state_after_probe"`
	WalkAfterPrb  []vecEntry    `json:"walk_after_probe"`
	AfterImage    string        `json:"after_image_file"`
	AfterSHA      string        `json:"after_image_sha256"`
}

type vecProbeOp struct {
	Op   string `json:"op"`
	Off  int64  `json:"off"`
	Len  int64  `json:"len"`
	RC   string `json:"rc"`
	Data string `json:"data"`
}

type vecLongAppend struct {
	K        int       `json:"k"`
	Len      int       `json:"len"`
	RC       string    `json:"rc"`
	Entry    *vecEntry `json:"entry"`
	LenBytes string    `json:"len_bytes_on_flash"`
}

type vecLong struct {
	Params   vecParams       `json:"params"`
	ImageSHA string          `json:"image_sha256"`
	Appends  []vecLongAppend `json:"appends"`
	PutLen   []struct {
		Len   int    `json:"len"`
		RC    int    `json:"rc"`
		Bytes string `json:"bytes"`
	} `json:"fcb_put_len_probe"`
	FitProbe struct {
		Results []struct {
			Len int    `json:"len"`
			RC  string `json:"rc"`
		} `json:"results"`
	} `json:"fit_probe_4096_sector"`
	State      vecState      `json:"state"`
	FlashStats vecFlashStats `json:"flash_stats"`
	Walk       []vecEntry    `json:"walk"`
}

type vecQuery struct {
	Params      vecParams  `json:"params"`
	ImageFile   string     `json:"image_file"`
	State       vecState   `json:"state"`
	FromZero    []vecEntry `json:"getnext_from_zero"`
	FinalRC     string     `json:"getnext_final_rc"`
	AfterLastRC string     `json:"getnext_after_last_rc"`
	SectorStart []struct {
		Start int       `json:"start_sector"`
		RC    string    `json:"rc"`
		Entry *vecEntry `json:"entry"`
	} `json:"getnext_sector_start"`
	LastN []struct {
		N     int       `json:"n"`
		RC    string    `json:"rc"`
		Entry *vecEntry `json:"entry"`
		ToEnd int       `json:"entries_from_here_to_end"`
	} `json:"offset_last_n"`
	PerSector []struct {
		Sector int    `json:"sector"`
		RC     string `json:"rc"`
		Count  int    `json:"count"`
	} `json:"walk_per_sector_counts"`
}

func locEntry(l fcb.Loc) vecEntry {
	return vecEntry{Sector: l.Sector, ElemOff: l.ElemOff, DataOff: l.DataOff, Len: l.Len}
}

func stripData(w []vecEntry) []vecEntry {
	out := make([]vecEntry, len(w))
	for i, e := range w {
		e.Data = ""
		out[i] = e
	}
	return out
}

// assertSameBytes compares two images and reports the first difference
// compactly instead of a hex dump of both.
func assertSameBytes(t testing.TB, want, got []byte, msg string) bool {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("%s: length %d, want %d", msg, len(got), len(want))
		return false
	}
	diff, first := 0, -1
	for i := range want {
		if want[i] != got[i] {
			if first < 0 {
				first = i
			}
			diff++
		}
	}
	if diff == 0 {
		return true
	}
	lo, hi := max(first-8, 0), min(first+24, len(want))
	t.Errorf("%s: %d bytes differ, first at %#x\nwant %x\ngot  %x", msg, diff, first, want[lo:hi], got[lo:hi])
	return false
}

func crc8Of(b []byte) byte { return crc8.Checksum(b, crc8.InitialValue) }
