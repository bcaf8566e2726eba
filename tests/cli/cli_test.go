// Package cli_test runs the flashemu command line end to end with
// testscript: each testdata/*.txtar script runs `flashemu` (this test
// binary re-executed as the command, via testscript.Main) in a scratch
// directory and checks its output and exit status.
package cli_test

import (
	"flag"
	"os"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the txtar scripts' golden files with the actual output")

func TestMain(m *testing.M) {
	// Subprocess tests (limits_test.go) re-run this binary as flashemu.
	if os.Getenv(asCLIEnv) == "1" {
		os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
	}
	testscript.Main(m, map[string]func(){
		"flashemu": func() { os.Exit(cli.Main(os.Args[1:], cli.OSEnv())) },
	})
}

func TestCLI(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// Keep sharding variables of an outer test runner away.
			for _, k := range []string{"TEST_TOTAL_SHARDS", "TEST_SHARD_INDEX", "TEST_SHARD_STATUS_FILE", "JOB_COMPLETION_INDEX", "FLASHEMU_TOTAL_SHARDS"} {
				env.Setenv(k, "")
			}
			env.Setenv("XDG_CACHE_HOME", env.WorkDir+"/cache")
			env.Setenv("XDG_STATE_HOME", env.WorkDir+"/state")
			return nil
		},
	})
}
