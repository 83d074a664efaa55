// Package optim holds the optimizers of spec §4.2 — Adam (with Keras' and PyTorch's ε
// conventions), RMSProp without momentum, SGD without momentum, and Adagrad — as fused
// backend operations over nn parameters, with named state tensors for checkpoints.
//
// The defaults are Keras' (TensorFlow 2), which NFL uses by setting only the learning rate:
// Adam β1 0.9, β2 0.999, ε 1e-7 added to √v (TensorFlow ApplyAdam); RMSprop ρ 0.9, ε 1e-7,
// accumulator starting at 0; Adagrad ε 1e-7, accumulator starting at 0.1
// (tf.keras.optimizers.Adagrad initial_accumulator_value). The Sorscher code uses
// torch.optim.Adam: ε 1e-8 added to √v̂ (compute.EpsilonPyTorch). Weight decay is part of the
// loss (package nn), not of the optimizer, as in both reference codebases.
package optim
