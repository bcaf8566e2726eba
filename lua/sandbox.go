package lua

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/flashemu/flashemu/internal/fsroot"
	glua "github.com/yuin/gopher-lua"
)

// openLibs opens the standard libraries a state gets: the sandbox by
// default, everything with Options.AllowIO. See Options.AllowIO.
func (s *State) openLibs() {
	L := s.L
	open := func(name string, f glua.LGFunction) {
		L.Push(L.NewFunction(f))
		L.Push(glua.LString(name))
		L.Call(1, 0)
	}
	open(glua.LoadLibName, glua.OpenPackage)
	open(glua.BaseLibName, glua.OpenBase)
	open(glua.TabLibName, glua.OpenTable)
	open(glua.StringLibName, glua.OpenString)
	open(glua.MathLibName, glua.OpenMath)
	open(glua.CoroutineLibName, glua.OpenCoroutine)
	open(glua.OsLibName, glua.OpenOs)
	if s.opts.AllowIO {
		open(glua.IoLibName, glua.OpenIo)
		open(glua.DebugLibName, glua.OpenDebug)
	}

	g := L.Get(glua.GlobalsIndex).(*glua.LTable)
	// _printregs dumps VM registers to the process's stdout.
	g.RawSetString("_printregs", glua.LNil)
	g.RawSetString("print", s.bind("print", basePrint))
	g.RawSetString("error", s.bind("error", baseError))
	if !s.opts.AllowIO {
		g.RawSetString("dofile", sandboxed(L, "dofile"))
		g.RawSetString("loadfile", sandboxed(L, "loadfile"))
		g.RawSetString("io", sandboxedLib(L, "io"))
		g.RawSetString("debug", sandboxedLib(L, "debug"))
	}

	strlib := g.RawGetString("string").(*glua.LTable)
	strlib.RawSetString("rep", s.bind("rep", strRep))
	strlib.RawSetString("dump", glua.LNil)

	// os: the full library with --allow-io, else a harmless subset. Either
	// way os.exit unwinds the script instead of killing the host.
	loaded := L.GetField(L.GetField(g, "package"), "loaded").(*glua.LTable)
	osfull := g.RawGetString("os").(*glua.LTable)
	ostab := osfull
	if !s.opts.AllowIO {
		ostab = L.NewTable()
		keep := map[string]bool{"clock": true, "time": true, "date": true, "difftime": true}
		osfull.ForEach(func(k, v glua.LValue) {
			if name, ok := k.(glua.LString); ok {
				if keep[string(name)] {
					ostab.RawSetString(string(name), v)
				} else {
					ostab.RawSetString(string(name), sandboxed(L, "os."+string(name)))
				}
			}
		})
		g.RawSetString("os", ostab)
		loaded.RawSetString("os", ostab)
	}
	ostab.RawSetString("exit", s.bind("exit", osExit))

	// require: preloaded modules, then Lua files next to the script.
	pkg := g.RawGetString("package").(*glua.LTable)
	loaders := L.GetField(pkg, "loaders").(*glua.LTable)
	if s.opts.AllowIO {
		var p []string
		if s.opts.Dir != "" {
			p = append(p, filepath.Join(s.opts.Dir, "?.lua"), filepath.Join(s.opts.Dir, "?", "init.lua"))
		}
		p = append(p, glua.LuaPathDefault)
		pkg.RawSetString("path", glua.LString(strings.Join(p, ";")))
	} else {
		pkg.RawSetString("path", glua.LString(""))
		pkg.RawSetString("cpath", glua.LString(""))
		pkg.RawSetString("loadlib", glua.LNil)
		loaders.RawSetInt(2, s.bind("require", scriptLoader))
	}
}

// basePrint is print() writing to the host's writer (Options.Stdout).
func basePrint(s *State, L *glua.LState) int {
	n := L.GetTop()
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteByte('\t')
		}
		b.WriteString(luaToString(L, L.Get(i)))
	}
	b.WriteByte('\n')
	_, _ = io.WriteString(s.stdout, b.String())
	return 0
}

// baseError is error(msg [, level]) with Lua 5.1's level semantics.
// gopher-lua's own error() reports level 2 at the function that called
// error (one frame too shallow) and level 1 at a Go caller's Lua caller;
// here level 1 is the function that called error, level 2 its caller, and
// a Go frame (e.g. pcall(error, "x")) gets no position, as in PUC Lua.
func baseError(s *State, L *glua.LState) int {
	obj := L.CheckAny(1)
	level := L.OptInt(2, 1)
	if str, ok := obj.(glua.LString); ok && level > 0 {
		if w := L.Where(level); w != "" && !strings.HasPrefix(w, "[G]") {
			obj = glua.LString(w + " " + string(str))
		}
	}
	L.Error(obj, 0)
	return 0
}

// strRep is string.rep bounded by the state's memory limit, so that
// ("x"):rep(1e12) is an error instead of an out-of-memory crash.
func strRep(s *State, L *glua.LState) int {
	a := argsOf(L, "rep")
	str := a.str(1)
	n := a.int(2)
	if n <= 0 || len(str) == 0 {
		L.Push(glua.LString(""))
		return 1
	}
	limit := s.opts.memoryLimit()
	if limit == 0 {
		limit = maxExactInt
	}
	if n > limit/int64(len(str)) {
		a.argError(2, fmt.Sprintf("result of %d bytes exceeds the memory limit of %d bytes", n*int64(len(str)), limit))
	}
	L.Push(glua.LString(strings.Repeat(str, int(n))))
	return 1
}

// osExit is os.exit([code]): it unwinds the script with an exit request;
// the host returns the code. true/absent mean 0, false means 1.
func osExit(s *State, L *glua.LState) int {
	code := 0
	switch v := L.Get(1).(type) {
	case glua.LBool:
		if !v {
			code = 1
		}
	case glua.LNumber:
		code = int(v)
	}
	L.RaiseFatal(&exitRequest{code: code, where: callerWhere(L)})
	return 0
}

// moduleNameRE is what the sandbox's require accepts: dotted identifiers.
var moduleNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$`)

// scriptLoader is the sandbox's package.loaders[2]: it loads NAME from
// Dir/NAME.lua or Dir/NAME/init.lua (dots become directories) and nothing
// outside Dir. Compiled modules are cached in the Program.
func scriptLoader(s *State, L *glua.LState) int {
	name := L.CheckString(1)
	if !moduleNameRE.MatchString(name) {
		L.Push(glua.LString(fmt.Sprintf("\n\tinvalid module name '%s' (sandbox: only dotted names of scripts next to the running script)", name)))
		return 1
	}
	if s.opts.Dir == "" {
		L.Push(glua.LString("\n\tno script directory (sandbox: only flashemu modules)"))
		return 1
	}
	rel := filepath.FromSlash(strings.ReplaceAll(name, ".", "/"))
	fsys, base, ok := s.ScriptFS()
	if !ok {
		L.Push(glua.LString("\n\tthe script's directory cannot be opened"))
		return 1
	}
	var tried []string
	for _, r := range []string{rel + ".lua", filepath.Join(rel, "init.lua")} {
		p := filepath.Join(s.opts.Dir, r)
		proto, err := s.loadModuleProto(fsys, filepath.Join(base, r), p)
		if os.IsNotExist(err) {
			tried = append(tried, "\n\tno file '"+p+"'")
			continue
		}
		if isOutside(err) {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%v (a link out of the script's directory; use --allow-io)", name, p, ErrSandbox)
		}
		if err != nil {
			L.RaiseError("error loading module '%s' from file '%s':\n\t%s", name, p, err.Error())
		}
		L.Push(L.NewFunctionFromProto(proto))
		return 1
	}
	L.Push(glua.LString(strings.Join(tried, "")))
	return 1
}

// loadModuleProto compiles the module file rel of fsys (named name),
// through the Program's cache when the state belongs to one.
func (s *State) loadModuleProto(fsys fsroot.FS, rel, name string) (*glua.FunctionProto, error) {
	if s.prog != nil {
		return s.prog.module(fsys, rel, name)
	}
	return compileFile(fsys, rel, name)
}

// sandboxMsg is the error a script gets for what the sandbox leaves out.
func sandboxMsg(what string) string {
	return what + " is disabled in the sandbox (use --allow-io)"
}

// sandboxed is a stand-in for a function the sandbox leaves out: calling
// it raises, at the caller's line, that it is disabled.
func sandboxed(L *glua.LState, name string) *glua.LFunction {
	return L.NewFunction(func(L *glua.LState) int {
		L.RaiseError("%s", sandboxMsg(name))
		return 0
	})
}

// sandboxedLib is a stand-in for a library the sandbox leaves out (io,
// debug): reading any field raises that the library is disabled, so
// io.open("x") says why instead of "attempt to index a nil value".
func sandboxedLib(L *glua.LState, lib string) *glua.LTable {
	t := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", L.NewFunction(func(L *glua.LState) int {
		L.RaiseError("%s", sandboxMsg(lib))
		return 0
	}))
	L.SetMetatable(t, mt)
	return t
}
