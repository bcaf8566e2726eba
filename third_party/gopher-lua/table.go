package lua

const defaultArrayCap = 32
const defaultHashCap = 32

// defaultKeysCap is the initial capacity of a table's key order. PATCH(speed).
const defaultKeysCap = 8

type lValueArraySorter struct {
	L      *LState
	Fn     *LFunction
	Values []LValue
	steps  *int // PATCH(limits): comparisons, to poll the context
}

func (lv lValueArraySorter) Len() int {
	return len(lv.Values)
}

func (lv lValueArraySorter) Swap(i, j int) {
	lv.Values[i], lv.Values[j] = lv.Values[j], lv.Values[i]
}

func (lv lValueArraySorter) Less(i, j int) bool {
	if *lv.steps++; *lv.steps&1023 == 0 {
		lv.L.CheckInterrupt() // PATCH(limits)
	}
	if lv.Fn != nil {
		lv.L.Push(lv.Fn)
		lv.L.Push(lv.Values[i])
		lv.L.Push(lv.Values[j])
		lv.L.Call(2, 1)
		return LVAsBool(lv.L.reg.Pop())
	}
	return lessThan(lv.L, lv.Values[i], lv.Values[j])
}

func newLTable(acap int, hcap int) *LTable {
	if acap < 0 {
		acap = 0
	}
	if hcap < 0 {
		hcap = 0
	}
	tb := &LTable{}
	tb.Metatable = LNil
	if acap != 0 {
		tb.array = make([]LValue, 0, acap)
	}
	if hcap > smallHash {
		tb.strdict = make(map[string]LValue, hcap)
	} else if hcap > 0 {
		tb.hkv = make([]tableKV, 0, hcap) // PATCH(speed)
	}
	return tb
}

// tableKV is one entry of a small table's hash part. PATCH(speed).
type tableKV struct{ key, value LValue }

// smallHash is the most keys a table's hash part keeps in hkv before it
// moves to maps. Records (an FCB entry, a result table, an options table)
// fit: they cost one allocation instead of two maps and a key order, and a
// scan of a few keys is as fast as hashing. PATCH(speed).
const smallHash = 8

// small reports whether the hash part is the hkv slice (no map made yet).
// PATCH(speed).
func (tb *LTable) small() bool { return tb.strdict == nil && tb.dict == nil }

// smallFind returns the position of key in hkv, -1 if absent. PATCH(speed).
func (tb *LTable) smallFind(key LValue) int {
	for i := range tb.hkv {
		if tb.hkv[i].key == key {
			return i
		}
	}
	return -1
}

// smallFindString is smallFind for a string key. PATCH(speed).
func (tb *LTable) smallFindString(key string) int {
	for i := range tb.hkv {
		if ks, ok := tb.hkv[i].key.(LString); ok && string(ks) == key {
			return i
		}
	}
	return -1
}

// smallGet returns the value of key in hkv (LNil if absent). PATCH(speed).
func (tb *LTable) smallGet(key LValue) LValue {
	if i := tb.smallFind(key); i >= 0 {
		return tb.hkv[i].value
	}
	return LNil
}

// smallSet sets key in hkv; it reports false, having moved the hash part
// to maps, when a new key does not fit. PATCH(speed).
func (tb *LTable) smallSet(i int, key, value LValue) bool {
	if i >= 0 {
		tb.hkv[i].value = value
		return true
	}
	if value == LNil {
		return true
	}
	if len(tb.hkv) == smallHash {
		// Drop deleted keys first (adding a key during a traversal is
		// undefined in Lua, as for compactKeys).
		live := tb.hkv[:0]
		for _, kv := range tb.hkv {
			if kv.value != LNil {
				live = append(live, kv)
			}
		}
		clear(tb.hkv[len(live):])
		tb.hkv = live
	}
	if len(tb.hkv) < smallHash {
		if tb.hkv == nil {
			tb.hkv = make([]tableKV, 0, 4)
		}
		tb.hkv = append(tb.hkv, tableKV{key, value})
		return true
	}
	tb.toMaps()
	return false
}

// toMaps moves a small hash part into the maps and key order. PATCH(speed).
func (tb *LTable) toMaps() {
	kv := tb.hkv
	tb.hkv = nil
	tb.strdict = make(map[string]LValue, 2*smallHash)
	tb.keys = make([]LValue, 0, 2*smallHash)
	tb.k2i = make(map[LValue]int, 2*smallHash)
	for _, e := range kv {
		if e.value == LNil {
			continue
		}
		if s, ok := e.key.(LString); ok {
			tb.strdict[string(s)] = e.value
		} else {
			if tb.dict == nil {
				tb.dict = make(map[LValue]LValue)
			}
			tb.dict[e.key] = e.value
		}
		tb.k2i[e.key] = len(tb.keys)
		tb.keys = append(tb.keys, e.key)
	}
}

// Len returns length of this LTable without using __len.
func (tb *LTable) Len() int {
	if tb.array == nil {
		return 0
	}
	var prev LValue = LNil
	for i := len(tb.array) - 1; i >= 0; i-- {
		v := tb.array[i]
		if prev == LNil && v != LNil {
			return i + 1
		}
		prev = v
	}
	return 0
}

// Append appends a given LValue to this LTable.
func (tb *LTable) Append(value LValue) {
	if value == LNil {
		return
	}
	tb.touch() // PATCH(checkpoint)
	if tb.array == nil {
		tb.array = make([]LValue, 0, defaultArrayCap)
	}
	if len(tb.array) == 0 || tb.array[len(tb.array)-1] != LNil {
		tb.array = append(tb.array, value)
	} else {
		i := len(tb.array) - 2
		for ; i >= 0; i-- {
			if tb.array[i] != LNil {
				break
			}
		}
		tb.array[i+1] = value
	}
	tb.migrate() // PATCH(tables)
}

// migrate moves the integer keys that continue the array part out of the
// hash part, so a sequence filled out of order ends up in the array.
// PATCH(tables).
func (tb *LTable) migrate() {
	if tb.small() {
		for len(tb.hkv) > 0 { // PATCH(speed)
			i := tb.smallFind(LNumber(len(tb.array) + 1))
			if i < 0 || tb.hkv[i].value == LNil {
				return
			}
			tb.array = append(tb.array, tb.hkv[i].value)
			tb.hkv[i].value = LNil
		}
		return
	}
	if len(tb.dict) == 0 {
		return
	}
	for {
		k := LNumber(len(tb.array) + 1)
		v, ok := tb.dict[k]
		if !ok {
			return
		}
		delete(tb.dict, k)
		tb.array = append(tb.array, v)
	}
}

// shrinkArray runs when an append would grow a full array part: if at most
// half of it is in use (a queue that removes from the front), the array
// part is cut to the largest power of two more than half used, as ltable.c's
// computesizes does, and the rest moves to the hash part. It reports whether
// it shrank. Amortised O(1) per append. PATCH(tables).
func (tb *LTable) shrinkArray() bool {
	used := 0
	for _, v := range tb.array {
		if v != LNil {
			used++
		}
	}
	if used*2 > len(tb.array) {
		return false
	}
	n, count := 0, 0
	for size, i := 1, 0; size <= len(tb.array); size *= 2 {
		for ; i < size; i++ {
			if tb.array[i] != LNil {
				count++
			}
		}
		if count*2 > size {
			n = size
		}
	}
	old := tb.array
	tb.array = append(make([]LValue, 0, n), old[:n]...)
	for i := n; i < len(old); i++ {
		if old[i] != LNil {
			tb.RawSetH(LNumber(i+1), old[i])
		}
	}
	tb.migrate() // keep the invariant: the hash part never holds len(array)+1
	return true
}

// compactKeys drops deleted keys from the iteration order before a new key
// is added, when they make up more than half of it (v1.1.2 kept every key a
// table ever had). Adding keys during a traversal is undefined in Lua, so
// renumbering here cannot break a next() walk. PATCH(tables).
func (tb *LTable) compactKeys() {
	if len(tb.keys) < 64 || len(tb.keys) <= 2*(len(tb.dict)+len(tb.strdict)) {
		return
	}
	keys := make([]LValue, 0, len(tb.dict)+len(tb.strdict))
	for _, k := range tb.keys {
		if tb.RawGetH(k) != LNil {
			keys = append(keys, k)
		}
	}
	tb.keys = keys
	tb.k2i = make(map[LValue]int, len(keys))
	for i, k := range keys {
		tb.k2i[k] = i
	}
}

// setArrayOrHash stores an integer key 1 <= key < MaxArrayIndex. The array
// part only grows by appending at its end, so it never holds a gap the
// program did not write: memory is O(keys) and next/pairs are O(keys).
// Keys beyond the end go to the hash part and move into the array when the
// sequence reaches them (migrate). PATCH(tables).
func (tb *LTable) setArrayOrHash(key int, value LValue) {
	tb.touch() // PATCH(checkpoint)
	index := key - 1
	alen := len(tb.array)
	switch {
	case index < alen:
		tb.array[index] = value
	case index == alen:
		if value == LNil {
			if tb.dict != nil {
				delete(tb.dict, LNumber(key))
			} else if i := tb.smallFind(LNumber(key)); i >= 0 {
				tb.hkv[i].value = LNil // PATCH(speed)
			}
			return
		}
		if tb.array == nil {
			tb.array = make([]LValue, 0, defaultArrayCap)
		} else if alen == cap(tb.array) && alen >= 64 && tb.shrinkArray() {
			tb.setArrayOrHash(key, value)
			return
		}
		tb.array = append(tb.array, value)
		tb.migrate()
	default:
		tb.RawSetH(LNumber(key), value)
	}
}

// Insert inserts a given LValue at position `i` in this table.
func (tb *LTable) Insert(i int, value LValue) {
	tb.touch() // PATCH(checkpoint)
	if tb.array == nil {
		tb.array = make([]LValue, 0, defaultArrayCap)
	}
	if i > len(tb.array) {
		tb.RawSetInt(i, value)
		return
	}
	if i <= 0 {
		tb.RawSet(LNumber(i), value)
		return
	}
	i -= 1
	tb.array = append(tb.array, LNil)
	copy(tb.array[i+1:], tb.array[i:])
	tb.array[i] = value
	tb.migrate() // PATCH(tables)
}

// MaxN returns the largest positive integer key with a non-nil value
// (table.maxn). PATCH(tables): integer keys in the hash part count too.
func (tb *LTable) MaxN() int {
	max := 0
	for i := len(tb.array) - 1; i >= 0; i-- {
		if tb.array[i] != LNil {
			max = i + 1
			break
		}
	}
	for k, v := range tb.dict {
		if kv, ok := k.(LNumber); ok && v != LNil && isInteger(kv) && kv > LNumber(max) && kv < LNumber(MaxArrayIndex) {
			max = int(kv)
		}
	}
	for _, e := range tb.hkv { // PATCH(speed)
		if kv, ok := e.key.(LNumber); ok && e.value != LNil && isInteger(kv) && kv > LNumber(max) && kv < LNumber(MaxArrayIndex) {
			max = int(kv)
		}
	}
	return max
}

// Remove removes from this table the element at a given position.
func (tb *LTable) Remove(pos int) LValue {
	if tb.array == nil {
		return LNil
	}
	larray := len(tb.array)
	if larray == 0 {
		return LNil
	}
	tb.touch() // PATCH(checkpoint)
	i := pos - 1
	oldval := LNil
	switch {
	case i >= larray:
		// nothing to do
	case i == larray-1 || i < 0:
		oldval = tb.array[larray-1]
		tb.array = tb.array[:larray-1]
	default:
		oldval = tb.array[i]
		copy(tb.array[i:], tb.array[i+1:])
		tb.array[larray-1] = nil
		tb.array = tb.array[:larray-1]
	}
	return oldval
}

// RawSet sets a given LValue to a given index without the __newindex metamethod.
// It is recommended to use `RawSetString` or `RawSetInt` for performance
// if you already know the given LValue is a string or number.
func (tb *LTable) RawSet(key LValue, value LValue) {
	switch v := key.(type) {
	case LNumber:
		if isArrayKey(v) {
			tb.setArrayOrHash(int(v), value) // PATCH(tables)
			return
		}
	case LString:
		tb.rawSetString(string(v), key, value) // PATCH(speed): key is boxed already
		return
	}

	tb.RawSetH(key, value)
}

// RawSetInt sets a given LValue at a position `key` without the __newindex metamethod.
func (tb *LTable) RawSetInt(key int, value LValue) {
	if key < 1 || key >= MaxArrayIndex {
		tb.RawSetH(LNumber(key), value)
		return
	}
	tb.setArrayOrHash(key, value) // PATCH(tables)
}

// RawSetString sets a given LValue to a given string index without the __newindex metamethod.
//
// PATCH(speed): updating an existing key touches only strdict (v1.1.2 also
// looked it up in k2i on every assignment); a new key is boxed once for both
// keys and k2i (v1.1.2: twice), and the key order starts with room for 8
// keys instead of growing from zero.
func (tb *LTable) RawSetString(key string, value LValue) {
	tb.rawSetString(key, nil, value)
}

// rawSetString is RawSetString; boxed, if not nil, is key already boxed as
// an LValue (RawSetH's key), used for the key order instead of boxing the
// key again. PATCH(speed): hosts that fill many tables with the same field
// names pass pre-boxed keys to RawSetH and allocate nothing per key.
func (tb *LTable) rawSetString(key string, boxed LValue, value LValue) {
	tb.touch()      // PATCH(checkpoint)
	if tb.small() { // PATCH(speed)
		i := tb.smallFindString(key)
		if i < 0 && value != LNil && boxed == nil {
			boxed = LString(key)
		}
		if tb.smallSet(i, boxed, value) {
			return
		}
	}
	if value == LNil {
		if tb.strdict != nil {
			// The key stays in keys/k2i so that a traversal that clears
			// fields goes on (compactKeys drops it later).
			delete(tb.strdict, key)
		}
		return
	}
	if tb.strdict == nil {
		tb.strdict = make(map[string]LValue, defaultHashCap)
	} else if _, ok := tb.strdict[key]; ok {
		tb.strdict[key] = value
		return
	}
	tb.strdict[key] = value
	if boxed == nil {
		boxed = LString(key)
	}
	tb.addKey(boxed)
}

// addKey appends a key new to the hash part to the iteration order unless
// it is already there (a key deleted and set again keeps its place).
// PATCH(speed).
func (tb *LTable) addKey(key LValue) {
	if tb.keys == nil {
		tb.keys = make([]LValue, 0, defaultKeysCap)
		tb.k2i = make(map[LValue]int, defaultKeysCap)
	} else if _, ok := tb.k2i[key]; ok {
		return
	}
	tb.compactKeys() // PATCH(tables)
	tb.k2i[key] = len(tb.keys)
	tb.keys = append(tb.keys, key)
}

// RawSetH sets a given LValue to a given index without the __newindex metamethod.
func (tb *LTable) RawSetH(key LValue, value LValue) {
	if s, ok := key.(LString); ok {
		tb.rawSetString(string(s), key, value) // PATCH(speed): key is boxed already
		return
	}
	tb.touch()                                                    // PATCH(checkpoint)
	if tb.small() && tb.smallSet(tb.smallFind(key), key, value) { // PATCH(speed)
		return
	}
	if value == LNil {
		if tb.dict != nil {
			delete(tb.dict, key)
		}
		return
	}
	if tb.dict == nil {
		tb.dict = make(map[LValue]LValue, len(tb.strdict))
	} else if _, ok := tb.dict[key]; ok {
		tb.dict[key] = value // PATCH(speed): an existing key keeps its place
		return
	}
	tb.dict[key] = value
	tb.addKey(key)
}

// RawGet returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGet(key LValue) LValue {
	switch v := key.(type) {
	case LNumber:
		if isArrayKey(v) {
			index := int(v) - 1
			if index < len(tb.array) {
				return tb.array[index]
			}
			// PATCH(tables): integer keys beyond the array part live in the hash part.
		}
	case LString:
		if tb.strdict == nil {
			if tb.dict == nil {
				return tb.smallGet(key) // PATCH(speed)
			}
			return LNil
		}
		if ret, ok := tb.strdict[string(v)]; ok {
			return ret
		}
		return LNil
	}
	if tb.dict == nil {
		if tb.strdict == nil {
			return tb.smallGet(key) // PATCH(speed)
		}
		return LNil
	}
	if v, ok := tb.dict[key]; ok {
		return v
	}
	return LNil
}

// RawGetInt returns an LValue at position `key` without __index metamethod.
func (tb *LTable) RawGetInt(key int) LValue {
	index := int(key) - 1
	if index >= len(tb.array) || index < 0 {
		// PATCH(tables): integer keys beyond the array part live in the hash part.
		if tb.dict == nil {
			if tb.strdict == nil {
				return tb.smallGet(LNumber(key)) // PATCH(speed)
			}
			return LNil
		}
		if v, ok := tb.dict[LNumber(key)]; ok {
			return v
		}
		return LNil
	}
	return tb.array[index]
}

// RawGet returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGetH(key LValue) LValue {
	if tb.small() {
		return tb.smallGet(key) // PATCH(speed)
	}
	if s, sok := key.(LString); sok {
		if tb.strdict == nil {
			return LNil
		}
		if v, vok := tb.strdict[string(s)]; vok {
			return v
		}
		return LNil
	}
	if tb.dict == nil {
		return LNil
	}
	if v, ok := tb.dict[key]; ok {
		return v
	}
	return LNil
}

// RawGetString returns an LValue associated with a given key without __index metamethod.
func (tb *LTable) RawGetString(key string) LValue {
	if tb.strdict == nil {
		if tb.dict == nil { // PATCH(speed)
			if i := tb.smallFindString(key); i >= 0 {
				return tb.hkv[i].value
			}
		}
		return LNil
	}
	if v, vok := tb.strdict[string(key)]; vok {
		return v
	}
	return LNil
}

// ForEach iterates over this table of elements, yielding each in turn to a given function.
func (tb *LTable) ForEach(cb func(LValue, LValue)) {
	if tb.array != nil {
		for i, v := range tb.array {
			if v != LNil {
				cb(LNumber(i+1), v)
			}
		}
	}
	for _, e := range tb.hkv { // PATCH(speed)
		if e.value != LNil {
			cb(e.key, e.value)
		}
	}
	if tb.strdict != nil {
		for k, v := range tb.strdict {
			if v != LNil {
				cb(LString(k), v)
			}
		}
	}
	if tb.dict != nil {
		for k, v := range tb.dict {
			if v != LNil {
				cb(k, v)
			}
		}
	}
}

// This function is equivalent to lua_next ( http://www.lua.org/manual/5.1/manual.html#lua_next ).
// PATCH(tables): the array part is walked only for keys inside it; integer
// keys in the hash part continue the walk from their position in tb.keys.
// Assigning nil to an existing field during a traversal is allowed.
func (tb *LTable) Next(key LValue) (LValue, LValue) {
	index := -1
	if key == LNil {
		index = 0
	} else if kv, ok := key.(LNumber); ok && isArrayKey(kv) && int(kv) <= len(tb.array) {
		index = int(kv)
	}
	if index >= 0 {
		for ; index < len(tb.array); index++ {
			if v := tb.array[index]; v != LNil {
				return LNumber(index + 1), v
			}
		}
		for _, e := range tb.hkv { // PATCH(speed)
			if e.value != LNil {
				return e.key, e.value
			}
		}
		for _, k := range tb.keys {
			if v := tb.RawGetH(k); v != LNil {
				return k, v
			}
		}
		return LNil, LNil
	}

	if tb.small() { // PATCH(speed)
		for i := tb.smallFind(key) + 1; i < len(tb.hkv); i++ {
			if e := tb.hkv[i]; e.value != LNil {
				return e.key, e.value
			}
		}
		return LNil, LNil
	}
	for i := tb.k2i[key] + 1; i < len(tb.keys); i++ {
		key := tb.keys[i]
		if v := tb.RawGetH(key); v != LNil {
			return key, v
		}
	}
	return LNil, LNil
}
