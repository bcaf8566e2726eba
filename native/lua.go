package native

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/internal/fsroot"
	"github.com/flashemu/flashemu/lua"
	glua "github.com/yuin/gopher-lua"
)

// The Lua binding: native.load(path [, {areas = ...}]) returns a table whose
// workload and check fields are functions sweep.define takes as they are.

func init() {
	lua.RegisterModule(lua.Module{
		Name: "native",
		Doc:  "load C storage code built with `cc $(flashemu cc-flags) -shared -fPIC` and run it on emulated flash",
		Funcs: []lua.Func{{
			Name: "load",
			Sig:  "native.load(path [, {areas = {...}}])",
			Doc: "loads a private copy of a shared library; returns {workload = fn(dev, ack), check = fn(dev, acked), " +
				"call = fn(self, sym, dev), path = ...}. path is relative to the script's directory and, without --allow-io, " +
				"must be inside it or the working directory",
			Fn: luaLoad,
		}},
	})
}

// libBox holds a Lib for a Lua state; the library is closed when the box is
// garbage (gopher-lua states have no close hook).
type libBox struct{ lib *Lib }

func luaLoad(s *lua.State, L *glua.LState) int {
	name := L.CheckString(1)
	fsys, path, err := resolve(s, name)
	if err != nil {
		L.ArgError(1, err.Error())
	}
	o := Options{FS: fsys}
	if t, ok := L.Get(2).(*glua.LTable); ok {
		if o.Areas, err = areasOf(L, t.RawGetString("areas")); err != nil {
			L.ArgError(2, err.Error())
		}
	} else if L.Get(2) != glua.LNil {
		L.ArgError(2, "table expected, got "+L.Get(2).Type().String())
	}
	if w := s.Options().Stdout; w != nil {
		o.Log = w
	} else {
		o.Log = io.Discard
	}
	lib, err := Load(path, o)
	if err != nil {
		L.RaiseError("native.load(%q): %s", name, err.Error())
	}
	box := &libBox{lib: lib}
	runtime.AddCleanup(box, func(l *Lib) { _ = l.Close() }, lib)

	t := L.NewTable()
	t.RawSetString("path", glua.LString(path))
	ud := L.NewUserData()
	ud.Value = box
	t.RawSetString("_lib", ud) // keeps the box alive as long as the table
	if lib.Has("flashemu_workload") {
		t.RawSetString("workload", luaWrap(L, name, L.NewFunction(func(L *glua.LState) int {
			_ = ud
			return luaWorkload(L, lib)
		})))
	}
	if lib.Has("flashemu_check") {
		t.RawSetString("check", luaWrap(L, name, L.NewFunction(func(L *glua.LState) int {
			_ = ud
			return luaCheck(L, lib)
		})))
	}
	t.RawSetString("call", L.NewFunction(func(L *glua.LState) int {
		_ = ud
		return luaCall(L, lib)
	}))
	L.Push(t)
	return 1
}

// luaWrap returns a Lua closure calling fn: the sweep binding reads a
// check's source position from its Lua prototype, which Go functions lack.
func luaWrap(L *glua.LState, name string, fn *glua.LFunction) *glua.LFunction {
	chunk, err := L.Load(strings.NewReader("local f = ...; return function(dev, x) return f(dev, x) end"), "native:"+name)
	if err != nil {
		L.RaiseError("native: %s", err.Error())
	}
	L.Push(chunk)
	L.Push(fn)
	L.Call(1, 1)
	w := L.Get(-1).(*glua.LFunction)
	L.Pop(1)
	return w
}

// resolve finds the library and the file system to open it in: relative
// to the script's directory, else to the working directory. Without
// AllowIO each is a Root no path leaves (not through "..", an absolute
// name or a symbolic link), as for require's modules.
func resolve(s *lua.State, name string) (fsroot.FS, string, error) {
	opts := s.Options()
	if opts.AllowIO {
		path := name
		if !filepath.IsAbs(path) && opts.Dir != "" {
			if _, err := os.Stat(filepath.Join(opts.Dir, name)); err == nil {
				path = filepath.Join(opts.Dir, name)
			}
		}
		return fsroot.OS(), path, nil
	}
	if !filepath.IsLocal(name) {
		return nil, "", fmt.Errorf("%s: outside the script's directory and the working directory (sandbox: pass --allow-io to load it)", name)
	}
	if sfs, base, ok := s.ScriptFS(); ok {
		if _, err := sfs.Stat(filepath.Join(base, name)); err == nil {
			return sfs, filepath.Join(base, name), nil
		} else if errors.Is(err, fsroot.ErrOutside) {
			return nil, "", fmt.Errorf("%s: a link out of the script's directory (sandbox: pass --allow-io to load it)", name)
		}
	}
	wfs, err := s.FS()
	if err != nil {
		return nil, "", err
	}
	if _, err := wfs.Stat(name); err != nil {
		if errors.Is(err, fsroot.ErrOutside) {
			return nil, "", fmt.Errorf("%s: a link out of the working directory (sandbox: pass --allow-io to load it)", name)
		}
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return wfs, name, nil
}

// areasOf reads {{id = 0, label = "storage_partition", offset = 0, size = "16K"}, area, ...}:
// tables or dev:area{} values.
func areasOf(L *glua.LState, v glua.LValue) ([]Area, error) {
	if v == glua.LNil {
		return nil, nil
	}
	t, ok := v.(*glua.LTable)
	if !ok {
		return nil, fmt.Errorf("field 'areas': a list of areas expected, got %s", v.Type())
	}
	var out []Area
	var ferr error
	t.ForEach(func(k, e glua.LValue) {
		if ferr != nil {
			return
		}
		if a, ok := lua.AreaOf(e); ok {
			out = append(out, Area{ID: a.Area.ID(), Label: a.Area.Label(), Offset: a.Area.Offset(), Size: a.Area.Size()})
			return
		}
		et, ok := e.(*glua.LTable)
		if !ok {
			ferr = fmt.Errorf("field 'areas': entry %s: a table or an area expected, got %s", k, e.Type())
			return
		}
		a := Area{ID: len(out), Label: glua.LVAsString(et.RawGetString("label"))}
		if id, ok := et.RawGetString("id").(glua.LNumber); ok {
			a.ID = int(id)
		}
		for _, f := range []struct {
			name string
			dst  *int64
		}{{"offset", &a.Offset}, {"size", &a.Size}} {
			switch x := et.RawGetString(f.name).(type) {
			case glua.LNumber:
				*f.dst = int64(x)
			case glua.LString:
				n, err := api.ParseSize(string(x))
				if err != nil {
					ferr = fmt.Errorf("field 'areas': entry %s: %s: %w", k, f.name, err)
					return
				}
				*f.dst = int64(n)
			}
		}
		out = append(out, a)
	})
	return out, ferr
}

func deviceArg(L *glua.LState, n int, fn string) *lua.Device {
	d, ok := lua.DeviceOf(L.Get(n))
	if !ok {
		L.ArgError(n, "device expected, got "+L.Get(n).Type().String())
	}
	return d
}

// luaWorkload is lib.workload(dev, ack): flashemu_workload with
// flashemu_ack(v) calling ack(v).
func luaWorkload(L *glua.LState, lib *Lib) int {
	d := deviceArg(L, 1, "workload")
	ack, _ := L.Get(2).(*glua.LFunction)
	env := Env{Dev: d.Dev}
	if ack != nil {
		env.Ack = func(v int64) error {
			return L.CallByParam(glua.P{Fn: ack, NRet: 0, Protect: true}, glua.LNumber(v))
		}
	}
	if err := lib.Run("flashemu_workload", env); err != nil {
		L.RaiseError("%s", err.Error())
	}
	return 0
}

// luaCheck is lib.check(dev, acked): true, or false and the failure.
func luaCheck(L *glua.LState, lib *Lib) int {
	d := deviceArg(L, 1, "check")
	var acked []any
	if t, ok := L.Get(2).(*glua.LTable); ok {
		n := t.Len()
		acked = make([]any, n)
		for i := 1; i <= n; i++ {
			if x, ok := t.RawGetInt(i).(glua.LNumber); ok {
				acked[i-1] = float64(x)
			} else {
				acked[i-1] = t.RawGetInt(i).String()
			}
		}
	}
	if err := lib.Run("flashemu_check", Env{Dev: d.Dev, Acked: acked}); err != nil {
		L.Push(glua.LFalse)
		L.Push(glua.LString(err.Error()))
		return 2
	}
	L.Push(glua.LTrue)
	return 1
}

// luaCall is lib:call(sym, dev): the int(void) function's result.
func luaCall(L *glua.LState, lib *Lib) int {
	sym := L.CheckString(2)
	d := deviceArg(L, 3, "call")
	rc, err := lib.Call(sym, Env{Dev: d.Dev})
	if err != nil {
		L.RaiseError("%s", err.Error())
	}
	L.Push(glua.LNumber(rc))
	return 1
}
