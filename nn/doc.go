// Package nn holds the path-integrating recurrent networks of spec §3 — the Sorscher/NFL
// "RNN", LSTM, GRU, UGRNN and SRNN — with their losses (spec §4.1), dropout, initialisers,
// and a hand-derived backward pass through time, all on a compute.Backend.
//
// # Models
//
// RNN (spec §3.1): h_0 = p0·W_enc, h_t = φ(u_t·W_in + h_{t−1}·W_rec), ŷ_t = h_t·W_dec, no
// biases; the grid layer g_t is h_t. The other cells use NFL's three-layer base (§3.2–3.3):
// s_0 = p0·W_enc + b_enc (LSTM: h_0 and c_0 from two encoders), m_t = u_t·W_M + b_M, a
// recurrent core on m_t, g_t = φ(r_t·W_D + b_D), ŷ_t = g_t·W_dec + b_dec. The cores follow
// Keras: LSTM gates i, f, c, o with unit forget bias; GRU gates z, r, h with reset_after
// (bias 2×3Ng: input row, recurrent row); UGRNN with one 2Ng×2Ng matrix on [m_t, h_{t−1}]
// and gate σ(a_g + 1); SRNN is SimpleRNN without bias. Model.Params lists the parameters
// with stable names (the checkpoint keys): W_enc, W_in, W_rec, W_dec for RNN; W_enc, b_enc
// (LSTM: W_enc_h, b_enc_h, W_enc_c, b_enc_c), W_M, b_M, the core's W_in, W_rec, b (UGRNN: W,
// b), W_D, b_D, W_dec, b_dec for the others. Weights are stored inputs×outputs (Keras kernel
// layout), so a layer is X·W.
//
// # The step
//
// Batches are time-major; every T×B×N array is a (T·B)×N tensor. Only the recurrent product
// is sequential: the encoder, the input product of all T steps, the grid layer, the readout,
// the loss and the weight gradients of the readout, dense, input and recurrent matrices are
// each one GEMM over all T·B rows (README, "Speed on a CPU"). Buffers and per-step views are
// allocated once per (B, T) shape; after that Step allocates nothing.
//
// # Losses and regularisation
//
// Cross-entropy of softmax(ŷ) against the target code, mean over batch and time; MSE, mean
// over batch, time and outputs; polar MSE r̂² + r² − 2r̂r·cos(θ̂ − θ), mean over batch and
// time. Weight decay adds λ·Σ W_rec² (no ½) to the loss. For UGRNN it acts on the recurrent
// block of W (the rows multiplying h_{t−1}); Config.NFLUGRNNBiasDecay reproduces NFL's decay of
// the bias vector instead (spec §0.1 item 7).
//
// # Dropout
//
// Keras semantics: one mask per sequence (B×n) reused at every time step, inverted scaling
// 1/(1−p), training steps only. Config.InputDropout (NFL's readout_dropout) drops the
// velocity u_t for RNN and the embedding m_t for the others (spec §0.1 item 6);
// Config.RecurrentDropout drops h_{t−1} inside the recurrent product. As in Keras, LSTM and
// GRU share one input mask between their gates while recurrent dropout is off
// (implementation 2) and draw independent input and recurrent masks per gate when it is on
// (Keras then falls back to implementation 1). UGRNN accepts the rates and ignores them,
// as NFL's keras.layers.RNN wrapper does.
// Masks come from the model's rng, input masks first.
//
// # Precision and checks
//
// The model code sees only compute.Backend, so it runs in float32 (cpu.New) for training and
// in float64 (cpu.New64) for the finite-difference gradient checks of every cell, activation,
// loss, dropout and weight-decay combination (grad_test.go).
//
// # Errors
//
// A Config that fails Validate returns a *FieldError naming the field and the allowed values;
// FromConfig returns config.BadValue, a *config.ConfigError naming the configuration key,
// as every FromConfig of the project does. Batches of
// the wrong size and other misuse panic with an "nn:" or "compute:" message.
package nn
