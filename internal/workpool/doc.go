// Package workpool runs the parts of one parallel operation (a matrix product, an
// elementwise pass) on the calling goroutine and a persistent set of worker
// goroutines, with a hand-off cheap enough for operations of tens of microseconds.
//
// A training step issues a few hundred such operations back to back. Handing each
// to a parked goroutine through a channel costs a futex wake of an idle core, and
// on the virtual machines the project runs on that was measured at about 50 µs per
// operation (a 200×128×128 SGEMM took as long on two cores as on one). Like the
// thread pools of OpenBLAS and OpenMP's active wait policy, the workers here spin
// for a while after each operation, polling for the next one, and only then park;
// the caller likewise spins on the completion count instead of sleeping. Spinning
// yields the processor on every poll (runtime.Gosched), so other goroutines of the
// process, such as a training loop's batch producer, still run.
//
// Spinning assumes that the process has its GOMAXPROCS cores to itself: Gosched yields
// to the process's other goroutines, not to other processes. Several training processes on
// one machine should each get a share of the cores through GOMAXPROCS, as the sweep
// executors set it.
//
// One operation runs at a time: a call made while another is in flight runs all of
// its parts on its own goroutine, which keeps results and progress independent of
// how calls interleave.
package workpool
