//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSignalHelper is the process TestSecondSignal signals: it stops at its first signal
// and then takes a second to "save a checkpoint" before exiting 130.
func TestSignalHelper(t *testing.T) {
	if os.Getenv("GRIDCELLS_TEST_SIGNALS") != "1" {
		t.Skip("run by TestSecondSignal")
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	stopping := interruptOn(cancel, finished, io.Discard, "test")
	os.Stdout.WriteString("ready\n")
	<-ctx.Done()
	time.Sleep(time.Second) // the checkpoint
	os.Stdout.WriteString("saved\n")
	close(finished)
	<-stopping
	os.Exit(130)
}

// A second Ctrl-C ends the process at once; a SIGTERM after the Ctrl-C (a sweep worker's,
// sent beside the terminal's SIGINT to the process group) or a repeated SIGTERM (a
// scheduler's) does not cut the checkpoint short.
func TestSecondSignal(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second syscall.Signal
		killed        bool
	}{
		{"Ctrl-C twice", syscall.SIGINT, syscall.SIGINT, true},
		{"Ctrl-C then the worker's SIGTERM", syscall.SIGINT, syscall.SIGTERM, false},
		{"SIGTERM twice", syscall.SIGTERM, syscall.SIGTERM, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.killed && signal.Ignored(os.Interrupt) {
				// Started with SIGINT ignored (a background job), as the helper then is: the
				// default handling restored after the first Ctrl-C is to ignore it.
				t.Skip("SIGINT is ignored in this process")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalHelper$")
			cmd.Env = append(os.Environ(), "GRIDCELLS_TEST_SIGNALS=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(out)
			if line, _ := r.ReadString('\n'); line != "ready\n" {
				cmd.Process.Kill()
				t.Fatalf("helper said %q", line)
			}
			cmd.Process.Signal(tc.first)
			time.Sleep(100 * time.Millisecond)
			cmd.Process.Signal(tc.second)
			rest, _ := io.ReadAll(r)
			err = cmd.Wait()
			ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if tc.killed {
				if !ws.Signaled() || ws.Signal() != syscall.SIGINT || strings.Contains(string(rest), "saved") {
					t.Errorf("want the process ended by the second SIGINT; got %v, output %q", err, rest)
				}
				return
			}
			if ws.Signaled() || ws.ExitStatus() != 130 || !strings.Contains(string(rest), "saved") {
				t.Errorf("want the checkpoint saved and exit 130; got %v, output %q", err, rest)
			}
		})
	}
}
