package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// The quick start ends by itself and prints node 7's arrival first and its conviction last.
func TestEventsQuickStart(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		out, _ := io.ReadAll(r)
		done <- string(out)
	}()
	main()
	os.Stdout = stdout
	w.Close()
	lines := strings.Split(strings.TrimSpace(<-done), "\n")
	if len(lines) < 2 || lines[0] != "node 7: UNKNOWN -> ALIVE" || lines[len(lines)-1] != "node 7: SUSPECT -> FAILED" {
		t.Fatalf("output %q: want node 7 UNKNOWN -> ALIVE first and SUSPECT -> FAILED last", lines)
	}
}
