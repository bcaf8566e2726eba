package lua

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/flashemu/flashemu/internal/fsroot"
	glua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Program is a script compiled once (parsed and compiled to a
// *glua.FunctionProto). It can be run any number of times, each in a fresh
// State, from any number of goroutines: this is what the test runner and
// the sweep engine do to avoid re-parsing per run. Modules the script
// requires from its directory are compiled once too and cached here.
type Program struct {
	// Path is the script's path as given (it is the chunk name in
	// error positions: "scripts/x.lua:12: ...").
	Path string
	// Dir is the directory require searches (the script's directory).
	Dir   string
	proto *glua.FunctionProto

	mu      sync.Mutex
	modules map[string]*glua.FunctionProto
}

// Compile reads and compiles the script at path. A syntax error is an
// *Error with Kind ErrSyntax and a "file:line" position.
func Compile(path string) (*Program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return CompileString(path, string(src))
}

// CompileString compiles src as a script named name (used in positions);
// require searches the directory of name.
func CompileString(name, src string) (*Program, error) {
	proto, err := compileSource(name, src)
	if err != nil {
		return nil, err
	}
	return &Program{Path: name, Dir: filepath.Dir(name), proto: proto, modules: map[string]*glua.FunctionProto{}}, nil
}

// compileSource parses and compiles one chunk.
func compileSource(name, src string) (*glua.FunctionProto, error) {
	// A leading "#!" line is a comment, as in the lua executable.
	if strings.HasPrefix(src, "#") {
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			src = "--" + src[i:]
		} else {
			src = ""
		}
	}
	chunk, err := parse.Parse(strings.NewReader(src), name)
	if err != nil {
		lines := strings.Count(src, "\n") + 1
		if strings.HasSuffix(src, "\n") {
			lines--
		}
		return nil, syntaxError(&glua.ApiError{Type: glua.ApiErrorSyntax, Object: glua.LString(err.Error()), Cause: err}, lines)
	}
	proto, err := glua.Compile(chunk, name)
	if err != nil {
		return nil, syntaxError(&glua.ApiError{Type: glua.ApiErrorSyntax, Object: glua.LString(err.Error()), Cause: err}, 0)
	}
	return proto, nil
}

// compileFile compiles the Lua file rel of fsys, named name in positions.
func compileFile(fsys fsroot.FS, rel, name string) (*glua.FunctionProto, error) {
	src, err := fsroot.Or(fsys).ReadFile(rel)
	if err != nil {
		return nil, err
	}
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	return compileSource(name, string(src))
}

// module returns the compiled module name (rel in fsys), compiling it on
// first use.
func (p *Program) module(fsys fsroot.FS, rel, name string) (*glua.FunctionProto, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if proto, ok := p.modules[name]; ok {
		return proto, nil
	}
	proto, err := compileFile(fsys, rel, name)
	if err != nil {
		return nil, err
	}
	p.modules[name] = proto
	return proto, nil
}

// NewState makes a fresh state for this program: opts as given, with
// Script defaulting to the program's path and Dir to its directory. The
// main chunk is not run; call Run (or Exec for both at once).
func (p *Program) NewState(opts Options) (*State, error) {
	if opts.Script == "" {
		opts.Script = p.Path
	}
	if opts.Dir == "" {
		opts.Dir = p.Dir
	}
	return newState(opts, p)
}

// Run runs the program's main chunk in s (made by p.NewState) under ctx
// and returns the chunk's results. The chunk receives s's Args as "...".
func (p *Program) Run(ctx context.Context, s *State) ([]glua.LValue, error) {
	fn := s.L.NewFunctionFromProto(p.proto)
	args := make([]glua.LValue, len(s.opts.Args))
	for i, a := range s.opts.Args {
		args[i] = glua.LString(a)
	}
	return s.Call(ctx, fn, args...)
}

// Exec runs the program once in a fresh state and closes it.
func (p *Program) Exec(ctx context.Context, opts Options) error {
	s, err := p.NewState(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = p.Run(ctx, s)
	return err
}
