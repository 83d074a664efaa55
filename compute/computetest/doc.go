// Package computetest is the conformance suite every compute.Backend runs: each operation is
// compared with a plain float64 loop on the host.
package computetest
