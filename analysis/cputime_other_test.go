//go:build !unix

package analysis

import "time"

// processCPUTime is unavailable here; benchmarks then omit the per-CPU-second metric.
func processCPUTime() time.Duration { return 0 }
