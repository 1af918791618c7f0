// Hand-written CPU kernels for the hot spots of a training step. Each one replaces a chain of ATen element-wise ops
// (one pass over memory and one temporary per op) with a single pass that keeps a row in cache: the optimizer step,
// RMSNorm forward/backward and the softmax part of attention. They take float32 or float64 CPU tensors laid out
// contiguously; `applies` says whether a call qualifies, and callers fall back to the ATen composition otherwise
// (CUDA, half types, strided inputs), so results never depend on which path ran beyond rounding.
//
// Reductions (sums over a row, the weight gradient of RMSNorm) run in double and in a fixed order that does not
// depend on the number of threads, so a training run is bit-for-bit reproducible on any thread count.
#pragma once

#include <ATen/ATen.h>

namespace atg {
namespace cpu {

// True when every tensor is defined, on the CPU, contiguous, and of one dtype that is float32 or float64.
bool applies(std::initializer_list<const at::Tensor*> tensors);

// One AdamW step on one parameter (PyTorch's single-tensor algorithm, decoupled weight decay), in place on p, m, v.
void adamw(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, double lr, double beta1, double beta2,
           double eps, double weight_decay, int64_t step);

// RMSNorm over the last dimension: y = weight ⊙ x·rstd, rstd = 1/sqrt(mean(x²) + eps). Returns y and rstd (rows, 1).
std::pair<at::Tensor, at::Tensor> rms_norm_forward(const at::Tensor& x, const at::Tensor& weight, double eps);

// Gradients of rms_norm_forward: gx = rstd·(ĝ − x̂·mean(ĝ⊙x̂)) with ĝ = g⊙weight, x̂ = x·rstd; gw = Σ_rows g⊙x̂.
// Either may be skipped (returned undefined).
std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& g, const at::Tensor& x, const at::Tensor& weight,
                                                     const at::Tensor& rstd, bool need_gx, bool need_gw);

// In place on scores (R rows of S keys, R = B·Hkv·G·T, rows ordered b, hkv, g, t): scale, causal mask aligned to the
// end (query t sees keys j ≤ S−T+t), key padding mask pad (B, S) bool or undefined; then a row softmax. Returns the
// row logsumexp (R) of the scaled, masked scores; a row with no visible key gets P = 0 and logsumexp 0.
at::Tensor attention_softmax(at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad, double scale);

// In place on scores: P = exp(scale·S − lse) under the same mask as attention_softmax (recomputation in backward).
void attention_probs(at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad, double scale, const at::Tensor& lse);

// In place on dp (R rows of S): dS = scale · P ⊙ (dP − Σ_j dP⊙P), the gradient of the scaled scores.
void attention_softmax_backward(at::Tensor& dp, const at::Tensor& p, double scale);

// Rotary embedding in Hugging Face's rotate_half layout on x (B, H, T, D) with any strides but a unit last one; cos/sin
// (T, D) or (B or 1, 1, T, D) contiguous, of x's dtype. Forward: x·cos + rotate_half(x)·sin; backward (the transpose):
// g·cos − rotate_half(g·sin). The result is contiguous (B, H, T, D).
at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool backward);

// Per-row log-softmax at the target: logits (N, V) contiguous, targets (N) int64 (ignore_index rows give 0 and are
// skipped). Returns (logprob (N), lse (N)); targets must already be checked to lie in [0, V) or equal ignore_index.
std::pair<at::Tensor, at::Tensor> logprobs_forward(const at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index);

// Gradient of logprobs_forward: grad[n, j] = g[n]·(1[j = target] − exp(logit − lse)), 0 on ignored rows.
at::Tensor logprobs_backward(const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse, const at::Tensor& g,
                             int64_t ignore_index);

// SwiGLU h = silu(a) ⊙ b = a·σ(a)·b in one pass (a, b contiguous, one shape).
at::Tensor swiglu_forward(const at::Tensor& a, const at::Tensor& b);

// Its gradients in one pass: ga = g⊙b⊙σ(a)·(1 + a·(1 − σ(a))), gb = g⊙a⊙σ(a); a skipped one is returned undefined.
std::pair<at::Tensor, at::Tensor> swiglu_backward(const at::Tensor& g, const at::Tensor& a, const at::Tensor& b, bool need_ga, bool need_gb);

}  // namespace cpu
}  // namespace atg
