// Package compute defines the backend interface that the models (package nn) and the
// optimizers (package optim) run on, so that the same training step runs on the CPU
// (compute/cpu), on an NVIDIA GPU (compute/cuda) and as an ensemble of same-shaped networks
// on either (compute/ensemble).
//
// # Layout
//
// Every tensor is a 2-D, row-major matrix. Arrays with more axes are flattened: the T×B×N
// time-major arrays of a batch are (T·B)×N tensors whose rows t·B … t·B+B−1 hold time step t,
// so one GEMM covers all T·B rows (README, "Speed on a CPU"). Weight matrices use the Keras
// kernel layout, inputs × outputs, so a layer is Y = X·W.
//
// # Opaque tensors
//
// A Tensor is a handle owned by its backend. Its memory may be on a device; only the backend
// reads or writes it. Host data moves through Upload and Download. View returns a block of an
// existing tensor (rows, or columns with the parent's leading dimension) that shares its
// memory: models build the per-time-step views of their workspaces once, so the step itself
// allocates nothing.
//
// # Precision
//
// float32 is the production type. A backend reports its element type with DType. The CPU
// backend is one generic implementation instantiated for float32 (cpu.New) and float64
// (cpu.New64); the models are written against this interface only, so the same model code
// runs in float64 for the finite-difference gradient checks and in float32 for training.
// Scalars (alpha, learning rates) are float64 in the interface and rounded by the backend;
// reductions (losses, sums of squares) accumulate in float64 and return float64.
//
// # Calling conventions and panics
//
// The destination comes first. Shapes must match exactly; a mismatch is programmer misuse
// and panics with an error wrapping ErrShape (or ErrView) that names the operation and the
// shapes. Elementwise operations allow dst to alias an operand of the same shape; Gemm's
// output must not alias its inputs. Operations are deterministic: the same inputs on the same
// backend give the same bits.
//
// # Conformance
//
// Package compute/computetest holds the suite every backend runs:
// computetest.TestBackend(t, b) compares each operation with a plain float64 loop.
package compute
