package fcb_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests in this file reproduce ../vectors (outputs of Zephyr's own C
// code) byte for byte where a file exists, and assert the documented facts
// of vectors/README.md for every other member of the scenario family.

var (
	wbsList = []int{1, 4, 8}
	evList  = []byte{0xFF, 0x00}
)

func evSuffix(ev byte) string {
	if ev == 0x00 {
		return "_ev00"
	}
	return ""
}

// row is one appends-table row: n, len, rc, rotates_before, sector, elem_off, data_off.
type row [7]any

func rowOf(v []any) row {
	var r row
	for i := range r {
		switch x := v[i].(type) {
		case float64:
			r[i] = int(x)
		default:
			r[i] = x
		}
	}
	return r
}

// checkMounted remounts the device with a fresh FCB (the vectors' reinit)
// and checks that it reproduces the state and the walk.
func checkMounted(t *testing.T, r *rig, f *fcb.FCB, opt fcb.Options) {
	t.Helper()
	g, err := r.mount(opt)
	require.NoError(t, err, "reinit")
	assert.Equal(t, stateOf(f), stateOf(g), "reinit state")
	assert.Equal(t, walkAll(t, f), walkAll(t, g), "reinit walk")
}

func assertNoViolations(t *testing.T, r *rig) {
	t.Helper()
	s := r.dev.Stats()
	assert.Zero(t, s.Violations, "NOR violations")
	assert.Zero(t, s.LimitViolations, "limit violations")
}

// runBasic is scenario (a): append until ENOSPC on a fresh 4 x 4096 FCB.
func runBasic(t *testing.T, r *rig, limit int) (*fcb.FCB, []row) {
	t.Helper()
	f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
	require.NoError(t, err)
	var rows []row
	for n := 0; limit < 0 || n < limit; n++ {
		l := seqLen(n)
		loc, err := f.Append(l)
		if err != nil {
			rows = append(rows, row{n, l, errName(err), 0, -1, 0, 0})
			require.ErrorIs(t, err, fcb.ErrNoSpace)
			break
		}
		require.NoError(t, f.WriteData(loc, payload(n, l)))
		require.NoError(t, f.AppendFinish(loc))
		rows = append(rows, row{n, l, "0", 0, loc.Sector, loc.ElemOff, loc.DataOff})
	}
	return f, rows
}

func TestVectorBasicFamily(t *testing.T) {
	wantCount := map[int]int{1: 176, 4: 169, 8: 160}
	for _, wbs := range wbsList {
		for _, ev := range evList {
			name := fmt.Sprintf("fcb_image_%d_basic%s", wbs, evSuffix(ev))
			t.Run(name, func(t *testing.T) {
				r := newRig(t, 4, 4096, wbs, ev)
				f, rows := runBasic(t, r, -1)
				require.Len(t, rows, wantCount[wbs]+1, "entries before ENOSPC")
				assertNoViolations(t, r)

				// Independent encoder: same positions, same image.
				ref := newRefLayout(4, 4096, wbs, ev)
				for _, rw := range rows {
					n, l := rw[0].(int), rw[1].(int)
					e, rc := ref.add(payload(n, l))
					require.Equal(t, rw[2], rc, "entry %d", n)
					if rc == "0" {
						require.Equal(t, row{n, l, "0", 0, e.Sector, e.ElemOff, e.DataOff}, rw)
					}
				}
				img := r.image()
				require.True(t, assertSameBytes(t, ref.img, img, "image vs reference encoder"))
				st := r.dev.Stats()
				assert.EqualValues(t, ref.writes, st.Programs, "device writes")
				assert.EqualValues(t, ref.bytes, st.BytesProgrammed, "bytes written")
				assert.Zero(t, st.Erases)

				// Walk: every appended entry, in order, with its payload.
				walk := walkAll(t, f)
				require.Len(t, walk, wantCount[wbs])
				for i, e := range walk {
					assert.Equal(t, hex.EncodeToString(payload(i, seqLen(i))), e.Data)
				}
				checkMounted(t, r, f, fcb.Options{Magic: vecMagic, Version: vecVersion})

				var v vecScenario
				if !readVector(t, name+".json", &v) {
					return
				}
				assert.Equal(t, v.ImageSHA, shaHex(img), "image sha256")
				assertSameBytes(t, readBin(t, name+".bin"), img, "image vs vector file")
				require.Len(t, rows, len(v.Appends))
				for i := range rows {
					assert.Equal(t, rowOf(v.Appends[i]), rows[i])
				}
				assert.Equal(t, v.AppendedOK, wantCount[wbs])
				assert.Equal(t, *v.State, stateOf(f))
				assert.Equal(t, *v.ReinitState, stateOf(f))
				assert.Equal(t, v.Walk, walk)
				assert.Equal(t, v.FlashStats.Writes, int(st.Programs))
				assert.Equal(t, v.FlashStats.BytesWritten, int(st.BytesProgrammed))
				assert.Equal(t, v.FlashStats.Erases, int(st.Erases))
				for _, h := range v.SectorHeaders {
					assert.Equal(t, h.Raw, hex.EncodeToString(img[int64(h.Sector)*4096:][:8]))
				}
			})
		}
	}
}

// runRotate is scenario (b): 3000 appends, rotating on ENOSPC.
func runRotate(t *testing.T, r *rig, scratch int) (*fcb.FCB, []row, int) {
	t.Helper()
	f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion, ScratchCount: scratch})
	require.NoError(t, err)
	var rows []row
	rotations := 0
	for n := range 3000 {
		l := seqLen(n)
		rot := 0
		var loc fcb.Loc
		for {
			loc, err = f.Append(l)
			if !errors.Is(err, fcb.ErrNoSpace) {
				break
			}
			// Documented: with scratch k, ENOSPC comes with k free sectors.
			require.Equal(t, scratch, f.FreeSectorCount(), "free sectors at ENOSPC (entry %d)", n)
			require.NoError(t, f.Rotate())
			rot++
			rotations++
		}
		require.NoError(t, err)
		require.LessOrEqual(t, rot, 1, "never more than one rotation per append")
		require.NoError(t, f.WriteData(loc, payload(n, l)))
		require.NoError(t, f.AppendFinish(loc))
		rows = append(rows, row{n, l, "0", rot, loc.Sector, loc.ElemOff, loc.DataOff})
	}
	return f, rows, rotations
}

func TestVectorRotateFamily(t *testing.T) {
	for _, wbs := range wbsList {
		for _, ev := range evList {
			for _, scratch := range []int{0, 1} {
				name := fmt.Sprintf("fcb_image_%d_rotate_s%d%s", wbs, scratch, evSuffix(ev))
				t.Run(name, func(t *testing.T) {
					r := newRig(t, 4, 4096, wbs, ev)
					f, rows, rotations := runRotate(t, r, scratch)
					assertNoViolations(t, r)
					img := r.image()

					// The walk is the newest entries in append order.
					walk := walkAll(t, f)
					require.NotEmpty(t, walk)
					first := len(rows) - len(walk)
					for i, e := range walk {
						rw := rows[first+i]
						assert.Equal(t, row{rw[0], e.Len, "0", rw[3], e.Sector, e.ElemOff, e.DataOff},
							row{rw[0], rw[1], "0", rw[3], rw[4], rw[5], rw[6]})
						assert.Equal(t, hex.EncodeToString(payload(rw[0].(int), e.Len)), e.Data)
					}
					checkMounted(t, r, f, fcb.Options{Magic: vecMagic, Version: vecVersion, ScratchCount: scratch})
					ids := sectorIDs(img, 4, 4096, ev)
					erased := 0
					for _, id := range ids {
						if id == nil {
							erased++
						}
					}
					assert.GreaterOrEqual(t, erased, scratch, "scratch sectors stay erased")
					assert.EqualValues(t, rotations, r.dev.Stats().Erases)

					var v vecScenario
					if !readVector(t, name+".json", &v) {
						return
					}
					assert.Equal(t, v.ImageSHA, shaHex(img), "image sha256")
					assertSameBytes(t, readBin(t, name+".bin"), img, "image vs vector file")
					require.Len(t, rows, len(v.Appends))
					for i := range rows {
						require.Equal(t, rowOf(v.Appends[i]), rows[i], "append %d", i)
					}
					assert.Equal(t, v.RotateCalls, rotations)
					assert.Equal(t, *v.State, stateOf(f))
					assert.Equal(t, *v.ReinitState, stateOf(f))
					assert.Equal(t, v.Walk, walk)
					assert.Equal(t, v.SectorFdID, ids)
					st := r.dev.Stats()
					assert.Equal(t, v.FlashStats.Writes, int(st.Programs))
					assert.Equal(t, v.FlashStats.BytesWritten, int(st.BytesProgrammed))
					assert.Equal(t, v.FlashStats.Erases, int(st.Erases))
				})
			}
		}
	}
}

// sectorIDs decodes each sector header's id, nil for an erased header.
func sectorIDs(img []byte, n int, size int64, ev byte) []*int {
	out := make([]*int, n)
	for i := range out {
		h := fcb.ParseHeader(img[int64(i)*size:])
		if h.Magic == uint32(ev)*0x01010101 {
			continue
		}
		id := int(h.ID)
		out[i] = &id
	}
	return out
}

var longLens = []int{0, 1, 126, 127, 128, 129, 255, 256, 1000, 4096, 16382, 16383, 16384, 65535}

func TestVectorLongFamily(t *testing.T) {
	maxFit := map[int]int{1: 4085, 4: 4080, 8: 4072}
	for _, wbs := range wbsList {
		for _, ev := range evList {
			name := fmt.Sprintf("fcb_image_%d_long_newfcb%s", wbs, evSuffix(ev))
			t.Run(name, func(t *testing.T) {
				r := newRig(t, 4, 32768, wbs, ev)
				f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
				require.NoError(t, err)
				ref := newRefLayout(4, 32768, wbs, ev)
				var got []vecLongAppend
				for k, l := range longLens {
					want, wantRC := vecEntry{Sector: -1}, "-EINVAL"
					if l <= fcb.MaxLen {
						want, wantRC = ref.add(payload(k, l))
					}
					loc, err := f.Append(l)
					require.Equal(t, wantRC, errName(err), "len %d", l)
					if err != nil {
						require.ErrorIs(t, err, fcb.ErrInvalid)
						got = append(got, vecLongAppend{K: k, Len: l, RC: errName(err)})
						continue
					}
					require.NoError(t, f.WriteData(loc, payload(k, l)))
					require.NoError(t, f.AppendFinish(loc))
					e := locEntry(loc)
					assert.Equal(t, want, e)
					got = append(got, vecLongAppend{K: k, Len: l, RC: "0", Entry: &e})
				}
				img := r.image()
				assertSameBytes(t, ref.img, img, "image vs reference encoder")
				assertNoViolations(t, r)
				walk := walkAll(t, f)
				require.Len(t, walk, 12)
				checkMounted(t, r, f, fcb.Options{Magic: vecMagic, Version: vecVersion})

				// Largest single entry in a fresh 4 x 4096 FCB.
				fit := map[int]string{}
				for l := 4064; l <= 4095; l++ {
					fr := newRig(t, 4, 4096, wbs, ev)
					ff, err := fr.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
					require.NoError(t, err)
					_, err = ff.Append(l)
					fit[l] = errName(err)
					if l <= maxFit[wbs] {
						assert.NoError(t, err, "len %d fits", l)
					} else {
						assert.ErrorIs(t, err, fcb.ErrNoSpace, "len %d does not fit", l)
					}
				}

				var v vecLong
				if !readVector(t, name+".json", &v) {
					return
				}
				assert.Equal(t, v.ImageSHA, shaHex(img))
				assertSameBytes(t, readBin(t, name+".bin"), img, "image vs vector file")
				require.Len(t, got, len(v.Appends))
				for i, a := range v.Appends {
					assert.Equal(t, a.RC, got[i].RC, "k %d", a.K)
					if a.Entry == nil {
						continue
					}
					assert.Equal(t, *a.Entry, *got[i].Entry, "k %d", a.K)
					lb := img[int64(a.Entry.Sector)*32768+int64(a.Entry.ElemOff):][:a.Entry.DataOff-a.Entry.ElemOff]
					assert.Equal(t, a.LenBytes, hex.EncodeToString(lb), "length bytes of k %d", a.K)
				}
				assert.Equal(t, v.State, stateOf(f))
				assert.Equal(t, v.Walk, walk)
				st := r.dev.Stats()
				assert.Equal(t, v.FlashStats.Writes, int(st.Programs))
				assert.Equal(t, v.FlashStats.BytesWritten, int(st.BytesProgrammed))
				for _, p := range v.PutLen {
					buf := make([]byte, 2)
					cnt, err := fcb.PutLen(buf, p.Len, 0xFF)
					if p.RC < 0 {
						assert.Equal(t, p.RC, errno.Of(err))
						continue
					}
					require.NoError(t, err)
					assert.Equal(t, p.RC, cnt)
					assert.Equal(t, p.Bytes, hex.EncodeToString(buf[:cnt]))
				}
				for _, p := range v.FitProbe.Results {
					assert.Equal(t, p.RC, fit[p.Len], "fit probe len %d", p.Len)
				}
			})
		}
	}
}

// tornKinds crafts the torn images of scenario (d) on a base image.
var tornKinds = []string{"nocrc", "lenonly", "datahalf", "len2half", "hdrhalf", "hdrquarter"}

// craftTorn applies kind to r's flash, whose last entry is last and whose
// active sector is active.
func craftTorn(t *testing.T, r *rig, kind string, last fcb.Loc, active int) {
	t.Helper()
	const ss = 4096
	erase := func(from, to int64) {
		b := make([]byte, to-from)
		for i := range b {
			b[i] = 0xFF
		}
		require.NoError(t, r.dev.Poke(from, b))
	}
	base := int64(last.Sector) * ss
	end := base + int64(last.DataOff+last.Len) + 1 // past the CRC byte (wbs 1)
	switch kind {
	case "nocrc":
		erase(end-1, end)
	case "lenonly":
		erase(base+int64(last.DataOff), end)
	case "datahalf":
		erase(base+int64(last.DataOff+last.Len/2), end)
	case "len2half":
		require.Equal(t, 2, last.DataOff-last.ElemOff, "needs a 2-byte length")
		erase(base+int64(last.ElemOff+1), end)
	case "hdrhalf", "hdrquarter":
		s := int64((active + 1) % 4)
		erase(s*ss, (s+1)*ss)
		n := 4
		if kind == "hdrquarter" {
			n = 2
		}
		magic := []byte{0x78, 0x56, 0x34, 0x12}
		require.NoError(t, r.dev.Poke(s*ss, magic[:n]))
	default:
		t.Fatalf("unknown torn kind %q", kind)
	}
}

func TestVectorTornFamily(t *testing.T) {
	bases := map[string]int{"full": -1, "partial": 130}
	probe := []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4}
	for _, baseName := range []string{"full", "partial"} {
		for _, kind := range tornKinds {
			name := fmt.Sprintf("fcb_image_torn_%s_%s", baseName, kind)
			t.Run(name, func(t *testing.T) {
				r := newRig(t, 4, 4096, 1, 0xFF)
				bf, rows := runBasic(t, r, bases[baseName])
				baseCount := len(walkAll(t, bf))
				if baseName == "full" {
					require.Equal(t, 176, baseCount)
				} else {
					require.Equal(t, 130, baseCount)
				}
				lastRow := rows[baseCount-1]
				last := fcb.Loc{Sector: lastRow[4].(int), ElemOff: lastRow[5].(int), DataOff: lastRow[6].(int), Len: lastRow[1].(int)}
				active := bf.State().Active
				craftTorn(t, r, kind, last, active)
				img := r.image()
				r.rec.reset()

				opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
				f, err := r.mount(opt)
				var v vecScenario
				have := readVector(t, name+".json", &v)
				if have {
					assert.Equal(t, v.ImageSHA, shaHex(img), "crafted image matches the vector")
					assert.Equal(t, v.InitRC, errName(err))
				}
				switch kind {
				case "len2half":
					require.ErrorIs(t, err, fcb.ErrIO)
					assert.Equal(t, -int(errno.EIO), errno.Of(err))
					return
				case "hdrquarter":
					require.ErrorIs(t, err, fcb.ErrForeignSector)
					assert.Equal(t, -int(errno.ENOMSG), errno.Of(err))
					return
				}
				require.NoError(t, err)
				st := stateOf(f)
				walk := walkAll(t, f)
				need := 0
				switch kind {
				case "nocrc", "lenonly", "datahalf":
					// The torn entry is skipped and its space never reused.
					require.Len(t, walk, baseCount-1)
					need = (last.DataOff - last.ElemOff) + last.Len + 1
					assert.Equal(t, last.Sector, st.Active)
					assert.Equal(t, last.ElemOff+need, st.ActiveElemOff)
				case "hdrhalf":
					s := (active + 1) % 4
					assert.Equal(t, s, st.Oldest, "id 0xffff is older than 0")
					if baseName == "full" {
						require.Len(t, walk, 89)
						for _, e := range walk {
							assert.NotEqual(t, s, e.Sector)
						}
					} else {
						require.Len(t, walk, 130)
						assert.Zero(t, st.FreeSectors)
					}
				}
				if have {
					assert.Equal(t, *v.StateAfter, st)
					assert.Equal(t, v.Walk, walk)
				}

				loc, err := f.Push(probe)
				if errors.Is(err, fcb.ErrNoSpace) {
					require.NoError(t, f.Rotate())
					loc, err = f.Push(probe)
				}
				require.NoError(t, err)
				if need > 0 {
					assert.Equal(t, last.ElemOff+need, loc.ElemOff, "probe lands after the torn entry")
					assert.Equal(t, last.Sector, loc.Sector)
				}
				walk2 := walkAll(t, f)
				require.Len(t, walk2, len(walk)+1)
				assert.Equal(t, hex.EncodeToString(probe), walk2[len(walk2)-1].Data)
				assertNoViolations(t, r)
				if !have {
					return
				}
				assert.Equal(t, v.ProbeRC, "0")
				assert.Equal(t, *v.ProbeLoc, locEntry(loc))
				var ops []vecProbeOp
				for _, op := range r.rec.ops {
					ops = append(ops, vecProbeOp{Op: op.Op, Off: op.Off, Len: op.Len, RC: "0", Data: hex.EncodeToString(op.Data)})
				}
				assert.Equal(t, v.ProbeOps, ops)
				assert.Equal(t, *v.StateAfterPrb, stateOf(f))
				assert.Equal(t, v.WalkAfterPrb, walk2)
				after := r.image()
				assert.Equal(t, v.AfterSHA, shaHex(after))
				assertSameBytes(t, readBin(t, v.AfterImage), after, "image vs vector file")
			})
		}
	}
}

// TestVectorTornPartialHdrHalfNoSpace checks the documented consequence of
// the crafted partial/hdrhalf image: once sector 2 fills, appends return
// ENOSPC until one rotation erases sector 3.
func TestVectorTornPartialHdrHalfNoSpace(t *testing.T) {
	r := newRig(t, 4, 4096, 1, 0xFF)
	bf, rows := runBasic(t, r, 130)
	last := rows[len(rows)-1]
	craftTorn(t, r, "hdrhalf", fcb.Loc{Sector: last[4].(int)}, bf.State().Active)
	f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
	require.NoError(t, err)
	require.Equal(t, 2, f.State().Active)
	for {
		_, err := f.Push(payload(0, 100))
		if err != nil {
			require.ErrorIs(t, err, fcb.ErrNoSpace)
			break
		}
	}
	assert.Equal(t, 2, f.State().Active, "sector 3 was never opened")
	require.NoError(t, f.Rotate())
	assert.Equal(t, 0, f.State().Oldest)
	loc, err := f.Push(payload(0, 100))
	require.NoError(t, err)
	assert.Equal(t, 3, loc.Sector)
}

// TestVectorQuery reproduces fcb_query_*: GetNext, OffsetLastN and
// per-sector walks on the rotate images. Family members without a file
// are checked for consistency with the full walk.
func TestVectorQueryFamily(t *testing.T) {
	for _, wbs := range wbsList {
		for _, scratch := range []int{0, 1} {
			name := fmt.Sprintf("fcb_query_%d_rotate_s%d", wbs, scratch)
			t.Run(name, func(t *testing.T) {
				gen := newRig(t, 4, 4096, wbs, 0xFF)
				_, _, _ = runRotate(t, gen, scratch)
				var v vecQuery
				have := readVector(t, name+".json", &v)
				img := gen.image()
				if have {
					require.True(t, assertSameBytes(t, readBin(t, v.ImageFile), img, "image vs vector file"))
				}
				r := newRig(t, 4, 4096, wbs, 0xFF)
				r.load(img)
				f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion, ScratchCount: scratch})
				require.NoError(t, err)
				walk := stripData(walkAll(t, f))

				var fromZero []vecEntry
				loc := fcb.Loc{Sector: fcb.NoSector}
				var final, afterLast error
				for {
					next, err := f.GetNext(loc)
					if err != nil {
						final = err
						_, afterLast = f.GetNext(next)
						break
					}
					fromZero = append(fromZero, locEntry(next))
					loc = next
				}
				assert.Equal(t, walk, fromZero)
				assert.ErrorIs(t, final, fcb.ErrNoEntry)
				assert.ErrorIs(t, afterLast, fcb.ErrNoEntry)

				perSector := make([]int, 4)
				for s := range 4 {
					require.NoError(t, f.WalkSector(s, func(fcb.Loc) error { perSector[s]++; return nil }))
				}
				for s := range 4 {
					n := 0
					for _, e := range walk {
						if e.Sector == s {
							n++
						}
					}
					assert.Equal(t, n, perSector[s], "sector %d", s)
				}
				for _, n := range []int{0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 255} {
					got, err := f.OffsetLastN(n)
					require.NoError(t, err)
					idx := max(len(walk)-max(n, 1), 0)
					assert.Equal(t, walk[idx], locEntry(got), "last %d", n)
				}
				if !have {
					return
				}
				assert.Equal(t, v.State, stateOf(f))
				assert.Equal(t, v.FromZero, fromZero)
				assert.Equal(t, v.FinalRC, errName(final))
				assert.Equal(t, v.AfterLastRC, errName(afterLast))
				for _, q := range v.SectorStart {
					got, err := f.GetNext(fcb.Loc{Sector: q.Start})
					assert.Equal(t, q.RC, errName(err))
					if q.Entry != nil {
						assert.Equal(t, *q.Entry, locEntry(got))
					}
				}
				for _, q := range v.LastN {
					got, err := f.OffsetLastN(q.N)
					assert.Equal(t, q.RC, errName(err))
					assert.Equal(t, *q.Entry, locEntry(got), "n %d", q.N)
					count := 1
					for l := got; ; count++ {
						if l, err = f.GetNext(l); err != nil {
							break
						}
					}
					assert.Equal(t, q.ToEnd, count, "n %d", q.N)
				}
				for _, q := range v.PerSector {
					assert.Equal(t, q.Count, perSector[q.Sector])
				}
			})
		}
	}
}
