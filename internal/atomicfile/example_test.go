package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/flashemu/flashemu/internal/atomicfile"
)

// A File appears complete at Commit, or not at all.
func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "flashemu-example")
	defer os.RemoveAll(dir)
	f, err := atomicfile.Create(nil, filepath.Join(dir, "trace.jsonl"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Fprintln(f, `{"seq":0,"op":"write"}`)
	fmt.Println(f.Commit())
	b, _ := os.ReadFile(filepath.Join(dir, "trace.jsonl"))
	fmt.Print(string(b))
	// Output:
	// <nil>
	// {"seq":0,"op":"write"}
}
