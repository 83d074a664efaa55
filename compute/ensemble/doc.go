// Package ensemble runs K independent networks of the same shape ("lanes") as one: it is a
// compute.Backend whose every tensor holds K matrices, one per lane, and whose every
// operation applies to all of them. A model built on it (nn.New) is K models; each training
// step runs every lane's forward pass, backward pass and update with the kernel launches of
// one network. On a GPU that is the point: small networks (NFL's Ng 1024) leave an H100
// mostly idle between launches, and an ensemble issues one batched GEMM (cuBLAS
// StridedBatched, through compute.LaneGemmer) and one elementwise kernel where K separate
// networks would issue K of each (issue 8, "ensemble lanes").
//
// # Layout
//
// A rows×cols ensemble tensor is one rows×(K·cols) tensor of the inner backend, lane k in
// columns k·cols … (k+1)·cols−1. With this layout, an operation on whole rows of every lane
// is one operation of the inner backend on one tensor: elementwise operations, activations,
// the optimizers, and also the bias operations, since the K bias rows side by side are one
// row of K·cols that AddRowVector and SumRows treat column by column. Only views that cut
// columns (the gate blocks of LSTM and GRU) run lane by lane, and so do the operations that
// return a scalar (the losses and sums, which are per lane), unless the inner backend is a
// compute.LaneScalarer (the GPU): then each is one operation queuing K values. A GEMM is one LaneGemmer call when
// the inner backend has it, and lane by lane otherwise; either way each lane's product is
// the inner Gemm's, bit for bit. The fused input products of a SimpleRNN
// (compute.InputDriver) are one inner operation when the inner backend has their lane
// forms (compute.LaneInputDriver: the GPU); without those the ensemble's MaxDrivenInputs is
// 0 and models use the GEMMs.
//
// # Host data
//
// Upload and Download move K·rows·cols values: lane 0's matrix first (row-major), then lane
// 1's, and so on. Upload also accepts rows·cols values and then writes the same matrix into
// every lane. UploadLane and DownloadLane move one lane, and Lane returns lane k's matrix as a
// tensor of the inner backend, so that one lane can be copied to or from a model of its own.
//
// # Exactness
//
// On the CPU, each lane of an ensemble computes the same bits as a model of its own when
// the tensors' rows hold a multiple of 8 values (every shape of the presets): the vector
// kernels then treat each element alike whichever lane it is in. Otherwise a lane's last
// elements may round differently (a scalar tail against a vector body). The scalars are
// per-lane sums over strided views, which may add in another order than over a contiguous
// tensor: the losses agree to about 1e-15, not bit for bit; the weights do not depend on
// them. On a GPU, cuBLAS may choose another kernel for a batch than for one product.
//
// # Scalars
//
// Operations that return a scalar return the sum over the lanes; LaneValues (the
// compute.LaneReporter interface) then holds each lane's value. nn.Model.LaneLosses uses it
// to report each network's loss. After DeferScalars (compute.LaneScalarCollector) they
// return 0 and queue their lanes' values, on the inner backend when it defers too, until
// CollectLaneScalars returns them per operation (CollectScalars: their sums): nn defers a
// step's losses and weight-decay terms this way, so that a GPU ensemble waits once per step.
package ensemble
