package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/settings"
	"github.com/flashemu/flashemu/streamflash"
	glua "github.com/yuin/gopher-lua"
)

// settings: a key/value store on an FCB (Zephyr's settings FCB backend).

// Settings is the Go value behind a Lua settings store ("flashemu.settings").
type Settings struct {
	Store *settings.Store
	Area  *Area
}

func (st *Settings) luaType() string { return settingsType.name }
func (st *Settings) String() string  { return "settings store on " + st.Area.Area.String() }

var settingsType = &udType{name: "flashemu.settings", short: "settings_store",
	doc: "a key/value store on an FCB (settings.fcb); methods below"}

func init() {
	registerModule(&moduleDef{
		name: "settings",
		doc:  "key/value records on an FCB, as Zephyr's settings FCB backend: settings.fcb(area)",
		funcs: []fnDef{
			{"fcb", "settings.fcb(area [, {magic=, strict=false}]) --> store | nil, msg, errno", "mount a settings store in an area (needs at least 2 sectors)", settingsFCB},
		},
	})
	registerType(settingsType)
	settingsType.methods = []fnDef{
		{"save", "store:save(key, value) --> true | nil, msg, errno", "settings_save_one (an empty value deletes)", settingsSave},
		{"load", "store:load(key) --> value | nil [, msg, errno]", "the newest value of key; nil when absent", settingsLoad},
		{"delete", "store:delete(key) --> true | nil, msg, errno", "settings_delete", settingsDelete},
		{"all", "store:all() --> {key = value, ...}", "every live key with its value", settingsAll},
		{"dropped", "store:dropped() --> {{index=, offset=, skipped=, non_erased_bytes=, reason=}, ...}", "what the FCB's repair mode gave up at mount (torn sector headers, torn record tails)", settingsDropped},
	}
}

func settingsFCB(s *State, L *glua.LState) int {
	a := argsOf(L, "fcb")
	ar := checkUD[Area](a, 1, areaType)
	f := a.opts(2)
	magic := f.int("magic", 0)
	if magic < 0 || magic > 0xffffffff {
		f.fail("magic", fmt.Sprintf("%d out of range [0, 0xffffffff]", magic))
	}
	opt := settings.Options{Magic: uint32(magic), Strict: f.boolean("strict", false)}
	f.done()
	st, err := settings.New(ar.Area, opt)
	if err != nil {
		return s.pushFailure(L, err)
	}
	s.pushUserData(L, settingsType, &Settings{Store: st, Area: ar})
	return 1
}

func checkSettings(L *glua.LState, fn string) (*Settings, args) {
	a := methodOf(L, fn)
	return checkUD[Settings](a, 1, settingsType), a
}

func settingsSave(s *State, L *glua.LState) int {
	st, a := checkSettings(L, "save")
	key := a.str(2)
	val := a.str(3)
	if err := st.Store.Save(key, []byte(val)); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func settingsLoad(s *State, L *glua.LState) int {
	st, a := checkSettings(L, "load")
	key := a.str(2)
	v, ok, err := st.Store.Load(key)
	if err != nil {
		return s.pushFailure(L, err)
	}
	if !ok {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(glua.LString(v))
	return 1
}

func settingsDelete(s *State, L *glua.LState) int {
	st, a := checkSettings(L, "delete")
	key := a.str(2)
	if err := st.Store.Delete(key); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func settingsAll(s *State, L *glua.LState) int {
	st, _ := checkSettings(L, "all")
	t := L.NewTable()
	err := st.Store.Each(func(k string, v []byte) error {
		t.RawSetString(k, glua.LString(v))
		return nil
	})
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(t)
	return 1
}

// tableStore is a streamflash.Store over a plain Lua table (an in-memory
// store for tests: progress lives as long as the table).
type tableStore struct{ t *glua.LTable }

func (ts tableStore) Save(key string, value []byte) error {
	ts.t.RawSetString(key, glua.LString(value))
	return nil
}

func (ts tableStore) Load(key string) ([]byte, bool, error) {
	v, ok := ts.t.RawGetString(key).(glua.LString)
	if !ok {
		return nil, false, nil
	}
	return []byte(v), true, nil
}

func (ts tableStore) Delete(key string) error {
	ts.t.RawSetString(key, glua.LNil)
	return nil
}

// checkStore reads a progress store argument: a settings store or a table.
func checkStore(a args, n int) streamflash.Store {
	switch v := a.L.Get(n).(type) {
	case *glua.LTable:
		return tableStore{v}
	case *glua.LUserData:
		if st, ok := v.Value.(*Settings); ok {
			return st.Store
		}
	}
	a.typeError(n, "settings store or table")
	return nil
}

func settingsDropped(s *State, L *glua.LState) int {
	st, _ := checkSettings(L, "dropped")
	L.Push(droppedTable(L, st.Store.FCB().Dropped()))
	return 1
}
