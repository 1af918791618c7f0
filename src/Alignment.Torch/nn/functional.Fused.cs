using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        // Fused transformer ops (native/fused.cpp): one native call and one autograd node each, with a hand-written,
        // memory-lean backward. f16/bf16 inputs are computed in float32 where precision matters and cast back.
        public static partial class functional
        {
            /// <summary>RMSNorm as Hugging Face's LlamaRMSNorm computes it:
            /// <c>weight * (x * rsqrt(mean(x², -1) + eps)).to(x.dtype)</c>, the normalization in float32 for f16/bf16 x.</summary>
            /// <param name="x">(..., D) activations.</param>
            /// <param name="weight">(D) scale.</param>
            /// <param name="eps">Added to the mean square before the reciprocal square root.</param>
            /// <returns>(..., D), dtype of <c>weight * x</c> (PyTorch promotion).</returns>
            public static Tensor rms_norm(Tensor x, Tensor weight, double eps = 1e-6) =>
                Tensor.Wrap(NativeMethods.atg_fused_rms_norm(x.Handle, weight.Handle, eps));

            /// <summary>Rotary position embedding in Hugging Face's rotate_half layout:
            /// <c>x * cos + rotate_half(x) * sin</c> with <c>rotate_half(x) = cat(-x[..., D/2:], x[..., :D/2])</c>.
            /// cos/sin are cast to x's dtype; they get no gradient. Build them with <see cref="rotary_cos_sin"/>.</summary>
            /// <param name="x">(B, H, T, D) queries or keys, D even.</param>
            /// <param name="cos">(T, D), or (B, 1, T, D) for per-sequence positions (B may be 1).</param>
            /// <param name="sin">Same shape as cos.</param>
            /// <returns>(B, H, T, D).</returns>
            public static Tensor apply_rotary(Tensor x, Tensor cos, Tensor sin) =>
                Tensor.Wrap(NativeMethods.atg_fused_rotary(x.Handle, cos.Handle, sin.Handle));

            /// <summary>Causal scaled-dot-product attention with grouped-query heads:
            /// <c>softmax(q·kᵀ·scale + mask)·v</c>, query head h reading kv head <c>h / (Hq/Hkv)</c>.
            /// The causal mask is aligned to the end: query i sits at absolute position S−T+i and sees keys 0..S−T+i,
            /// so T &lt; S works with a KV cache. A query that can see no key (e.g. a left-padded position) gets 0, not NaN.
            /// The T×S probabilities are recomputed in backward rather than kept.</summary>
            /// <param name="q">(B, Hq, T, D).</param>
            /// <param name="k">(B, Hkv, S, D); Hq must be a multiple of Hkv and T ≤ S.</param>
            /// <param name="v">(B, Hkv, S, Dv).</param>
            /// <param name="padding_mask">Optional (B, S) bool or integer: true/1 = real token, false/0 = padding key (masked out).</param>
            /// <param name="scale">Score scale; default 1/sqrt(D).</param>
            /// <returns>(B, Hq, T, Dv).</returns>
            public static Tensor causal_attention(Tensor q, Tensor k, Tensor v, Tensor? padding_mask = null, double? scale = null)
            {
                var r = NativeMethods.atg_fused_causal_attention(q.Handle, k.Handle, v.Handle, padding_mask?.RawHandle ?? IntPtr.Zero,
                                                                 scale ?? 0, scale.HasValue ? 1 : 0);
                GC.KeepAlive(padding_mask);
                return Tensor.Wrap(r);
            }

            /// <summary>SwiGLU gate: <c>silu(a) * b</c> (Llama's MLP: <c>silu(gate_proj(x)) * up_proj(x)</c>).</summary>
            /// <param name="a">The gate, any shape.</param>
            /// <param name="b">The up projection, same shape and dtype as a.</param>
            public static Tensor swiglu(Tensor a, Tensor b) => Tensor.Wrap(NativeMethods.atg_fused_swiglu(a.Handle, b.Handle));

            /// <summary>Log-probability of each target token: <c>log_softmax(logits, -1)</c> gathered at targets, 0 where the
            /// target equals ignore_index. The full softmax is never stored (backward rebuilds it in chunks of rows).
            /// Computed and returned in float32 for f16/bf16 logits, in the logits' dtype otherwise.</summary>
            /// <param name="logits">(B, T, V), or any (..., V).</param>
            /// <param name="targets">(B, T) int64 (the logits' shape without V); targets other than ignore_index must be in [0, V).</param>
            /// <param name="ignore_index">Target value that marks a position to skip (prompt or padding).</param>
            /// <returns>(B, T).</returns>
            public static Tensor logprobs_of(Tensor logits, Tensor targets, long ignore_index = -100) =>
                Tensor.Wrap(NativeMethods.atg_fused_logprobs(logits.Handle, targets.Handle, ignore_index));

            /// <summary>Rotary cos/sin tables in Hugging Face's layout: <c>inv_freq = 1 / theta^(arange(0, D, 2) / D)</c>,
            /// <c>freqs = position ⊗ inv_freq</c>, <c>emb = cat(freqs, freqs, -1)</c>, returning (cos(emb), sin(emb)).
            /// Computed in dtype (float32, as HF does, unless asked otherwise).</summary>
            /// <param name="positions">(T) or (B, T) int64 absolute positions.</param>
            /// <param name="head_dim">D, even.</param>
            /// <param name="theta">RoPE base (config.json rope_theta).</param>
            /// <param name="dtype">Floating type the tables are computed and returned in.</param>
            /// <returns>(cos, sin), each (T, D) for (T) positions or (B, 1, T, D) for (B, T) positions, ready for
            /// <see cref="apply_rotary"/>.</returns>
            public static (Tensor cos, Tensor sin) rotary_cos_sin(Tensor positions, long head_dim, double theta = 10000.0,
                                                                 ScalarType dtype = ScalarType.Float32)
            {
                if (head_dim <= 0 || head_dim % 2 != 0) throw new TorchException($"rotary_cos_sin: head_dim must be positive and even, got {head_dim}");
                if (theta <= 0) throw new TorchException($"rotary_cos_sin: theta must be positive, got {theta}");
                if (!dtype.IsFloatingPoint()) throw new TorchException($"rotary_cos_sin: dtype must be floating point, got {dtype.TorchName()}");
                int nd = positions.dim();
                if (nd != 1 && nd != 2)
                    throw new TorchException($"rotary_cos_sin: positions must be (T) or (B, T), got shape [{string.Join(", ", positions.shape)}]");

                using var scope = NewDisposeScope();
                var exponent = arange(0, head_dim, 2, dtype, positions.device).div(head_dim);  // (D/2)
                var invFreq = exponent.Binary(theta, Tensor.BinaryOp.RPow).reciprocal();       // 1 / theta^(2i/D)
                var freqs = positions.to(dtype).unsqueeze(-1).mul(invFreq);                     // (..., T, D/2)
                var emb = cat(new[] { freqs, freqs }, -1);                                      // (..., T, D)
                var c = emb.cos();
                var s = emb.sin();
                if (nd == 2)
                {
                    c = c.unsqueeze(1);  // (B, 1, T, D)
                    s = s.unsqueeze(1);
                }
                return (c.MoveToOuterScope(), s.MoveToOuterScope());
            }
        }
    }
}
