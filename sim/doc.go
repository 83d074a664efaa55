// Package sim generates the batched random-walk trajectories that path-integrating RNNs
// are trained on: 2-d per-step displacement inputs and the positions they lead to.
//
// # Motion models
//
// Sorscher is the random walk of Sorscher et al. 2019 and Schaeffer et al. 2022, exactly as
// spec §1.1 describes (SOR trajectory_generator.py generate_trajectory and avoid_wall; NFL
// trajectory_generator.py): a Rayleigh-distributed forward speed, Gaussian turn noise,
// and a wall rule that within BorderRegion of the nearest wall turns a walker heading
// towards it parallel to the wall and slows it down. The turn only takes effect on the
// next step and positions are never clamped, so walkers can leave the box (spec §0.1
// item 9).
//
// RatInABox is the motion model of RatInABox's Agent (ecosystem.md §2.2): an
// Ornstein–Uhlenbeck rotational velocity, a Rayleigh speed driven by an OU process on a
// normal variable, spring-like wall repulsion with thigmotaxis, and reflection when a
// step would cross a wall.
//
// # Layout
//
// A Batch is time-major, as SOR's PyTorch generator returns it: element (t, b, k) of
// Vel and Pos sits at index (t·B + b)·2 + k, and Heading's (t, b) at t·B + b. Inputs and
// targets are aligned so that target t is reached by adding input t to target t−1 (to
// InitPos for t = 0); positions are accumulated in float32 so that this holds exactly
// in float32 arithmetic, up to the periodic wrap when Params.Periodic is set.
//
// # Randomness and determinism
//
// All draws come from the *rand.PCG given to New; the same source state always gives the
// same batches. Each batch is a fresh set of B independent trajectories, so the PCG
// state is the generator's whole state: MarshalBinary/UnmarshalBinary checkpoint it and
// a resumed run continues bit-identically. The Sorscher walk draws a seed for each chunk of
// 32 trajectories from that source at the start of a batch and walks the chunks in parallel,
// each from its own PCG stream, so a batch does not depend on GOMAXPROCS. Draw order differs
// from the NumPy reference, so only distributions, not streams, match it (spec §10 item 6).
//
// With Params.RNG = Philox (config trajectory.rng: philox) the Sorscher walk instead draws from
// the counter-based Philox4x32-10, keyed by a word New draws from the source, with the counter
// (step, trajectory, batch index): see philox.go for the layout. It runs in float32 arithmetic
// without fused operations, so compute/cuda's GPU generator reproduces its batches bit for bit,
// and a trajectory does not depend on B, on T beyond its length, or on how the batch is split.
// Its state is the key and the batch counter; SkipBatch advances the counter past a batch
// generated elsewhere. Its statistics pass the same tests as the PCG walk's.
//
// # Errors and panics
//
// Invalid Params (from configuration) return config.BadValue, a *config.ConfigError naming
// the field's configuration key. Passing a Batch whose slices do not match its B and T is a
// programming error and panics.
package sim
