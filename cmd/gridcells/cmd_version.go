package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
)

func init() {
	register(&Command{
		Name:  "version",
		Short: "print the version of gridcells",
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected arguments %q", args)
				}
				fmt.Fprintf(os.Stdout, "gridcells %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
				return nil
			}
		},
	})
}
