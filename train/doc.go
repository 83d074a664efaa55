// Package train runs the training loop of a path-integrating network (spec §4) and writes
// its run directory (README, "Run directory").
//
// # The loop
//
// Every gradient step draws a fresh batch of B trajectories of T steps (package sim), encodes
// the start and target positions with the run's code (package encode), runs the model's
// forward and backward pass (package nn) and applies the optimizer (package optim). A
// producer goroutine generates the next batch while the current step runs, so batch
// generation overlaps with the step (README, "Speed on a CPU"). Every training.eval_every steps
// the network is evaluated on a fresh batch (loss and decoding error in cm, spec §2.3) and,
// with eval.track_scores (on unless off), up to 256 of the analysed units are scored on
// their rate maps of a fixed batch of the post-training evaluation's shape (the best score60
// and the fraction above 0.3: when the grid cells emerge); a line is appended to
// metrics.jsonl. Every training.checkpoint_every steps, and at the end, the state is
// checkpointed.
//
// # Using a trained network
//
// LoadModel loads a finished run's final weights with its target code (encode.ForRun, the
// run's place-cell centres) and motion model; EncodeBatch turns trajectories of the caller's
// (package sim) into the network's inputs as training does, and the model's Evaluate or
// Forward runs it (ExampleLoadModel).
//
// # Batches on the GPU
//
// On the CUDA backend, a run whose code is one of the presets' kinds makes its batches on the
// device (devicegen.go): with trajectory.rng philox the whole batch (the counter-based walk
// and its codes) from the batch index, with the PCG walk the codes of the host's walk. The
// checkpointed generator state is the same either way, so a run resumes on either device.
//
// # Ensembles
//
// TrainStacked trains runs that share a StackKey (network shape, optimizer, batch shape and
// schedule; no dropout) as the lanes of one ensemble (package compute/ensemble): one model
// holds every network, each step runs them all with batched GEMMs, and each run keeps its own
// batches, metrics, evaluations and checkpoints through a model of its own that is brought up
// to date before it is evaluated or checkpointed. On the CPU each lane's weights are
// bit-identical to the run's alone; "gridcells lanes" and "gridcells sweep run --lanes"
// use it on GPUs.
//
// # Determinism and resume
//
// All randomness derives from the config's seed through separate PCG streams: the
// trajectory generator, the model's initial weights and dropout masks, the evaluation
// batches (one stateless stream per evaluated step), the batch whose rate maps are scored
// at every evaluation, and the post-training evaluation. Scoring reads only its own stream,
// so tracking the scores or not trains the same network to the bit. A
// checkpoint holds the weights, the optimizer state, the step counter and the state of every
// stateful random source — for the trajectory generator the state that produces the next
// batch the loop has not consumed yet, not the state of the producer, which is one batch
// ahead. Resume restores them, drops metrics lines written after the checkpoint, and
// continues; the final weights are bit-identical to those of an uninterrupted run with the
// same seed and backend. Cancelling the context saves a checkpoint at the last completed
// step and returns the context's error; on the CPU a step in progress is given up within a
// time step of its recurrence and trained again on resume.
//
// # Run directory
//
//	config.json            the resolved config with the gridcells and Go versions, the backend and
//	                       a fingerprint of the target code (resume and evaluation check it)
//	place_cells.npy        place-cell centres, Np×F×2 float32 (place codes only)
//	metrics.jsonl          one JSON object per evaluated step (MetricsLine)
//	checkpoint/latest.npz  weights (keys = nn parameter names), optimizer state ("optim.*"),
//	                       step, RNG states and counters ("state.*")
//	checkpoint/final.npz   the final weights only, keys = nn parameter names
//	eval/activations.npy   grid-layer activations of the post-training batch, (B·T)×Ng float32
//	eval/positions.npy     their positions, (B·T)×2 float32
//	ratemaps.npy           rate maps at eval.nbins[0], units×n×n float32 (NaN = empty bin)
//	ratemaps_N.npy         rate maps at the other resolutions
//	scores.csv, scores_N.csv  grid scores per analysed unit
//	summary.json           headline numbers (Summary)
//
// Every file is written atomically (internal/safefile), so a run directory is either
// complete or resumable. Evaluate recomputes the post-training part from a finished run.
//
// Library code never prints: progress goes through the Progress interface.
package train
