// Fused ops for the transformer hot path: RMSNorm, rotary embedding, causal (grouped-query) attention, SwiGLU and
// per-token log-probabilities. Each is one torch::autograd::Function with a hand-written backward that saves only
// what it needs and recomputes what is cheap, so a decoder layer is a handful of native calls and the autograd
// graph holds a handful of nodes instead of dozens.
//
// Precision: f16/bf16 inputs are computed in float32 where it matters (as Hugging Face's eager code does) and cast
// back; f32/f64 inputs are computed in their own type. Everything is written with ATen ops, so it runs on any
// device the linked libtorch supports.
//
// Double backward is not supported: saved statistics (rstd, logsumexp) are not connected to the graph.
#include "common.h"
#include "cpu_kernels.h"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <limits>

using atg::Handle;
using atg::ref;

// Throws std::invalid_argument with the streamed message when cond is false (messages name the op, the argument
// and the shapes involved).
#define FUSED_CHECK(cond, ...) \
    if (!(cond)) throw std::invalid_argument(c10::str(__VA_ARGS__))

namespace atg {
namespace fused {

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

bool is_reduced(const at::Tensor& t) { return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16; }

// The type arithmetic is carried out in: float32 for f16/bf16, the tensor's own type otherwise.
at::ScalarType acc_type(const at::Tensor& t) { return is_reduced(t) ? at::kFloat : t.scalar_type(); }

at::Tensor to_acc(const at::Tensor& t) { return is_reduced(t) ? t.to(at::kFloat) : t; }

void check_floating(const char* op, const char* name, const at::Tensor& t) {
    FUSED_CHECK(t.defined(), op, ": ", name, " is missing");
    FUSED_CHECK(at::isFloatingType(t.scalar_type()), op, ": ", name, " must be a floating-point tensor, got ",
                t.scalar_type(), " with shape ", t.sizes());
}

void check_same_device(const char* op, const char* name_a, const at::Tensor& a, const char* name_b, const at::Tensor& b) {
    FUSED_CHECK(a.device() == b.device(), op, ": ", name_a, " is on ", a.device(), " but ", name_b, " is on ", b.device());
}

// ---------------------------------------------------------------------------------------------------------------
// rms_norm: y = weight * (x * rsqrt(mean(x², -1) + eps)).to(x.dtype), the normalization in float32 for f16/bf16
// (Hugging Face LlamaRMSNorm's order: normalize in float32, cast to the input dtype, then scale by weight).
// Saves x, weight (inputs, held by the graph anyway) and rstd (one value per row); x̂ = x·rstd is recomputed.
// ---------------------------------------------------------------------------------------------------------------
struct FusedRmsNorm : Function<FusedRmsNorm> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight, double eps) {
        check_floating("rms_norm", "x", x);
        check_floating("rms_norm", "weight", weight);
        check_same_device("rms_norm", "x", x, "weight", weight);
        FUSED_CHECK(x.dim() >= 1, "rms_norm: x must have at least one dimension, got a scalar");
        FUSED_CHECK(weight.dim() == 1 && weight.size(0) == x.size(-1), "rms_norm: weight must have shape [",
                    x.size(-1), "] (the last dimension of x, whose shape is ", x.sizes(), "), got ", weight.sizes());
        FUSED_CHECK(eps >= 0, "rms_norm: eps must be >= 0, got ", eps);

        if (cpu::applies({&x, &weight})) {
            auto [y, rstd] = cpu::rms_norm_forward(x, weight, eps);
            ctx->save_for_backward({x, weight, rstd});
            return y;
        }
        at::Tensor xa = to_acc(x);
        at::Tensor rstd = at::rsqrt(xa.square().mean(-1, /*keepdim=*/true).add_(eps));  // (..., 1)
        at::Tensor y = weight * (xa * rstd).to(x.scalar_type());
        ctx->save_for_backward({x, weight, rstd});
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &weight = saved[1], &rstd = saved[2];
        if (grads[0].scalar_type() == x.scalar_type()) {
            at::Tensor gc = grads[0].contiguous();
            if (cpu::applies({&gc, &x, &weight, &rstd})) {
                auto [gx, gw] = cpu::rms_norm_backward(gc, x, weight, rstd, ctx->needs_input_grad(0), ctx->needs_input_grad(1));
                return {gx, gw, at::Tensor()};
            }
        }
        at::Tensor g = to_acc(grads[0]);
        at::Tensor xhat = to_acc(x) * rstd;  // recomputed normalized input
        at::Tensor gx, gw;
        if (ctx->needs_input_grad(1)) {
            // dL/dw = Σ_rows g ⊙ x̂ (x̂ as the forward used it: rounded to the input dtype)
            at::Tensor used = xhat.to(x.scalar_type()).to(g.scalar_type());
            gw = (g * used).reshape({-1, x.size(-1)}).sum(0).to(weight.scalar_type());
        }
        if (ctx->needs_input_grad(0)) {
            // dL/dx = rstd · (ĝ − x̂ · mean(ĝ ⊙ x̂, -1)) with ĝ = g ⊙ weight
            at::Tensor gh = g * to_acc(weight);
            at::Tensor dot = (gh * xhat).mean(-1, /*keepdim=*/true);
            gx = gh.sub_(xhat.mul_(dot)).mul_(rstd).to(x.scalar_type());
        }
        return {gx, gw, at::Tensor()};
    }
};

// ---------------------------------------------------------------------------------------------------------------
// rotary: out = x·cos + rotate_half(x)·sin with rotate_half(x) = cat(−x[..., D/2:], x[..., :D/2]) (Hugging Face
// layout). cos/sin are cast to x's dtype as HF does. Grad for x only; saves the (small) cos/sin tables.
// rotate_half is applied through two addcmul_ on the halves, so no concatenated copy is made.
// ---------------------------------------------------------------------------------------------------------------
void check_rotary(const at::Tensor& x, const at::Tensor& table, const char* name) {
    check_floating("apply_rotary", name, table);
    check_same_device("apply_rotary", "x", x, name, table);
    FUSED_CHECK(table.dim() == 2 || table.dim() == 4, "apply_rotary: ", name, " must be (T, D) or (B, 1, T, D), got shape ",
                table.sizes(), " (a (B, T, D) table needs unsqueeze(1))");
    FUSED_CHECK(table.size(-1) == x.size(-1) && table.size(-2) == x.size(-2), "apply_rotary: ", name, " shape ", table.sizes(),
                " does not match x shape ", x.sizes(), " in its last two dimensions (T, D)");
    if (table.dim() == 4)
        FUSED_CHECK((table.size(0) == x.size(0) || table.size(0) == 1) && (table.size(1) == x.size(1) || table.size(1) == 1),
                    "apply_rotary: ", name, " shape ", table.sizes(), " does not broadcast to x shape ", x.sizes());
}

// The CPU kernel takes float32/float64 x with a unit last stride (a transposed (B, T, H, D) projection qualifies) and
// tables of x's dtype on the CPU.
bool rotary_cpu(const at::Tensor& x, const at::Tensor& c, const at::Tensor& s) {
    return x.device().is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) && x.stride(-1) == 1 &&
           c.scalar_type() == x.scalar_type() && s.scalar_type() == x.scalar_type() && c.device().is_cpu() && s.device().is_cpu() &&
           c.sizes() == s.sizes();
}

struct FusedRotary : Function<FusedRotary> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
        check_floating("apply_rotary", "x", x);
        FUSED_CHECK(x.dim() == 4, "apply_rotary: x must be (B, H, T, D), got shape ", x.sizes());
        FUSED_CHECK(x.size(-1) % 2 == 0, "apply_rotary: the head dimension D must be even, got shape ", x.sizes());
        check_rotary(x, cos, "cos");
        check_rotary(x, sin, "sin");
        at::Tensor c = cos.to(x.scalar_type()), s = sin.to(x.scalar_type());
        if (rotary_cpu(x, c, s)) {
            at::Tensor cc = c.contiguous(), sc = s.contiguous();
            ctx->save_for_backward({cc, sc});
            return cpu::rotary(x, cc, sc, /*backward=*/false);
        }
        const int64_t h = x.size(-1) / 2;
        at::Tensor out = x * c;
        out.narrow(-1, 0, h).addcmul_(x.narrow(-1, h, h), s.narrow(-1, 0, h), -1);  // −x₂·sin₁
        out.narrow(-1, h, h).addcmul_(x.narrow(-1, 0, h), s.narrow(-1, h, h), 1);   // +x₁·sin₂
        ctx->save_for_backward({c, s});
        return out;
    }

    // rotate_half is linear with transpose −rotate_half, so dx = g·cos + (cat((g·sin)[..., D/2:], −(g·sin)[..., :D/2]).
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &c = saved[0], &s = saved[1];
        const at::Tensor& g = grads[0];
        if (g.dim() == 4 && rotary_cpu(g, c, s)) return {cpu::rotary(g, c.contiguous(), s.contiguous(), /*backward=*/true), at::Tensor(), at::Tensor()};
        const int64_t h = g.size(-1) / 2;
        at::Tensor gx = g * c;
        gx.narrow(-1, 0, h).addcmul_(g.narrow(-1, h, h), s.narrow(-1, h, h), 1);
        gx.narrow(-1, h, h).addcmul_(g.narrow(-1, 0, h), s.narrow(-1, 0, h), -1);
        return {gx, at::Tensor(), at::Tensor()};
    }
};

// ---------------------------------------------------------------------------------------------------------------
// causal_attention with grouped-query heads, an end-aligned causal mask and an optional key padding mask.
// Query head h uses kv head h / G (G = Hq / Hkv). Queries are viewed as (B, Hkv, G·T, D) so one batched matmul
// against the unrepeated K and V serves every query head of a group: no repeat_kv copy, and the K/V gradient sum
// over the group falls out of the matmul.
//
// Memory: P (B, Hq, T, S) is NOT saved. Forward saves q, k, v (inputs) and the row logsumexp (B, Hq, T); backward
// recomputes P = exp(scale·QKᵀ − lse) under the mask (flash-attention style: one extra matmul, no T×S activation
// kept between forward and backward).
// ---------------------------------------------------------------------------------------------------------------

// true where query i (absolute position S−T+i) may see key j: (B or 1, 1, 1, T, S), to mask a (B, Hkv, G, T, S) view.
at::Tensor allowed_mask(int64_t T, int64_t S, const at::Tensor& padding, const at::Device& device) {
    auto opts = at::TensorOptions().dtype(at::kLong).device(device);
    at::Tensor qpos = at::arange(S - T, S, opts).unsqueeze(1);  // (T, 1)
    at::Tensor kpos = at::arange(S, opts).unsqueeze(0);         // (1, S)
    at::Tensor allowed = kpos.le(qpos);                         // (T, S)
    if (padding.defined()) return allowed.unsqueeze(0).logical_and(padding.unsqueeze(1)).view({padding.size(0), 1, 1, T, S});
    return allowed.view({1, 1, 1, T, S});
}

// Scaled, masked scores (B, Hkv, G·T, S) in the accumulation type; masked entries are −inf.
at::Tensor masked_scores(const at::Tensor& q4, const at::Tensor& k, double scale, const at::Tensor& allowed, int64_t G) {
    at::Tensor s = at::matmul(q4, k.transpose(-2, -1));
    if (is_reduced(s)) s = s.to(at::kFloat);
    s.mul_(scale);
    const int64_t B = s.size(0), Hkv = s.size(1), S = s.size(3), T = s.size(2) / G;
    s.view({B, Hkv, G, T, S}).masked_fill_(allowed.logical_not(), -std::numeric_limits<double>::infinity());
    return s;
}

// The CPU path works through the batch in chunks whose score matrices total at most kAttentionChunkElements: the
// scores stay in cache between the matmul and the softmax, and no step allocates (and page-faults in) a fresh
// B·H·T·S buffer — glibc hands blocks of 32 MiB and more straight to mmap, so such a buffer costs its size in page
// faults every time (a (16·4, 512, 256) float QKᵀ ran at a third of the speed of one of 255 columns).
constexpr int64_t kAttentionChunkElements = int64_t{1} << 20;  // 4 MiB of float32 scores

// Batch rows per chunk when one batch row's scores hold per_batch elements (at least one row).
int64_t chunk_batches(int64_t per_batch, int64_t B) {
    return std::max<int64_t>(1, std::min<int64_t>(B, kAttentionChunkElements / std::max<int64_t>(1, per_batch)));
}

// Rows [b0, b0 + n) of an optional (B, S) mask.
at::Tensor slice(const at::Tensor& mask, int64_t b0, int64_t n) { return mask.defined() ? mask.narrow(0, b0, n) : mask; }

struct FusedCausalAttention : Function<FusedCausalAttention> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                              c10::optional<at::Tensor> padding_mask, double scale, bool has_scale) {
        check_inputs(q, k, v);
        const int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3);
        const int64_t Hkv = k.size(1), S = k.size(2), G = Hq / Hkv;
        at::Tensor pad = check_padding(padding_mask, B, S, q.device());
        if (!has_scale) scale = 1.0 / std::sqrt(static_cast<double>(D));

        at::Tensor q4 = q.reshape({B, Hkv, G * T, D});
        if (cpu_path(q, k, v)) {
            // Batched matmuls over B·Hkv on contiguous 3-D operands: a (B, Hkv, S, D) view of a (B, S, Hkv, D) tensor
            // (what the projections' transposes give) costs several times more inside at::matmul than one copy.
            at::Tensor q3 = q4.reshape({B * Hkv, G * T, D}).contiguous();
            at::Tensor k3 = k.contiguous().view({B * Hkv, S, D});
            at::Tensor v3 = v.contiguous().view({B * Hkv, S, v.size(3)});
            at::Tensor padc = pad.defined() ? pad.contiguous() : pad;
            at::Tensor out = at::empty({B * Hkv, G * T, v3.size(2)}, q3.options());
            std::vector<at::Tensor> lse_parts;
            const int64_t per = chunk_batches(Hq * T * S, B);
            at::Tensor work = at::empty({per * Hkv, G * T, S}, q3.options());  // scores of one chunk, reused
            for (int64_t b0 = 0; b0 < B; b0 += per) {
                const int64_t nb = std::min(per, B - b0), r0 = b0 * Hkv, nr = nb * Hkv;
                at::Tensor p = work.narrow(0, 0, nr);
                at::bmm_out(p, q3.narrow(0, r0, nr), k3.narrow(0, r0, nr).transpose(1, 2));  // raw scores
                lse_parts.push_back(cpu::attention_softmax(p, nb, T, slice(padc, b0, nb), scale));
                at::Tensor o = out.narrow(0, r0, nr);
                at::bmm_out(o, p, v3.narrow(0, r0, nr));
            }
            at::Tensor lse = lse_parts.size() == 1 ? lse_parts[0] : at::cat(lse_parts);
            ctx->save_for_backward({q3, k3, v3, lse});
            ctx->saved_data["padding"] = padc;
            ctx->saved_data["scale"] = scale;
            ctx->saved_data["cpu_shape"] = std::vector<int64_t>{B, Hq, T, D, Hkv, S};
            return out.view({B, Hq, T, v.size(3)});
        }
        at::Tensor allowed = allowed_mask(T, S, pad, q.device());
        at::Tensor p = masked_scores(q4, k, scale, allowed, G);  // scores, turned into P in place below
        at::Tensor lse = at::logsumexp(p, -1, /*keepdim=*/true);  // (B, Hkv, G·T, 1); −inf for fully masked rows
        lse.masked_fill_(lse.eq(-std::numeric_limits<double>::infinity()), 0);  // such rows have only −inf scores: exp(−inf − 0) = 0, so P = 0 and out = 0
        p.sub_(lse).exp_();
        at::Tensor out = at::matmul(p.to(v.scalar_type()), v);  // (B, Hkv, G·T, Dv)

        ctx->save_for_backward({q, k, v, lse});
        ctx->saved_data["padding"] = pad;
        ctx->saved_data["scale"] = scale;
        return out.view({B, Hq, T, v.size(3)});
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &lse = saved[3];
        at::Tensor pad = ctx->saved_data["padding"].toTensor();
        const double scale = ctx->saved_data["scale"].toDouble();
        auto cpu_shape = ctx->saved_data.find("cpu_shape");
        if (cpu_shape != ctx->saved_data.end()) {  // saved by the CPU forward: q3, k3, v3 are (B·Hkv, ·, D) contiguous
            auto dims = cpu_shape->second.toIntVector();
            const int64_t B = dims[0], Hq = dims[1], T = dims[2], D = dims[3], Hkv = dims[4], S = dims[5], G = Hq / Hkv;
            const at::Tensor &q3 = q, &k3 = k, &v3 = v;
            at::Tensor g3 = grads[0].to(q3.scalar_type()).reshape({B * Hkv, G * T, v3.size(2)});
            const bool want_v = ctx->needs_input_grad(2), want_qk = ctx->needs_input_grad(0) || ctx->needs_input_grad(1);
            at::Tensor gq3 = ctx->needs_input_grad(0) ? at::empty_like(q3) : at::Tensor();
            at::Tensor gk3 = ctx->needs_input_grad(1) ? at::empty_like(k3) : at::Tensor();
            at::Tensor gv3 = want_v ? at::empty_like(v3) : at::Tensor();
            const int64_t per = chunk_batches(Hq * T * S, B);
            at::Tensor work_p = at::empty({per * Hkv, G * T, S}, q3.options());
            at::Tensor work_ds = want_qk ? at::empty({per * Hkv, G * T, S}, q3.options()) : at::Tensor();
            for (int64_t b0 = 0; b0 < B; b0 += per) {
                const int64_t nb = std::min(per, B - b0), r0 = b0 * Hkv, nr = nb * Hkv;
                at::Tensor qc = q3.narrow(0, r0, nr), kc = k3.narrow(0, r0, nr), vc = v3.narrow(0, r0, nr), gc = g3.narrow(0, r0, nr);
                at::Tensor p = work_p.narrow(0, 0, nr);
                at::bmm_out(p, qc, kc.transpose(1, 2));
                cpu::attention_probs(p, nb, T, slice(pad, b0, nb), scale, lse.narrow(0, r0 * G * T, nr * G * T));  // recomputed P
                if (want_v) { at::Tensor o = gv3.narrow(0, r0, nr); at::bmm_out(o, p.transpose(1, 2), gc); }  // Pᵀ dO, summed over G
                if (want_qk) {
                    at::Tensor ds = work_ds.narrow(0, 0, nr);
                    at::bmm_out(ds, gc, vc.transpose(1, 2));           // dP = dO Vᵀ
                    cpu::attention_softmax_backward(ds, p, scale);     // scale · dS
                    if (gq3.defined()) { at::Tensor o = gq3.narrow(0, r0, nr); at::bmm_out(o, ds, kc); }
                    if (gk3.defined()) { at::Tensor o = gk3.narrow(0, r0, nr); at::bmm_out(o, ds.transpose(1, 2), qc); }  // summed over G
                }
            }
            at::Tensor gq = gq3.defined() ? gq3.view({B, Hq, T, D}) : at::Tensor();
            at::Tensor gk = gk3.defined() ? gk3.view({B, Hkv, S, D}) : at::Tensor();
            at::Tensor gv = gv3.defined() ? gv3.view({B, Hkv, S, v3.size(2)}) : at::Tensor();
            return {gq, gk, gv, at::Tensor(), at::Tensor(), at::Tensor()};
        }
        const int64_t B = q.size(0), Hq = q.size(1), T = q.size(2), D = q.size(3);
        const int64_t Hkv = k.size(1), S = k.size(2), G = Hq / Hkv;

        at::Tensor q4 = q.reshape({B, Hkv, G * T, D});
        at::Tensor g4 = grads[0].reshape({B, Hkv, G * T, v.size(3)});
        at::Tensor p = masked_scores(q4, k, scale, allowed_mask(T, S, pad, q.device()), G).sub_(lse).exp_();  // recomputed P

        at::Tensor gq, gk, gv;
        if (ctx->needs_input_grad(2)) gv = at::matmul(p.to(v.scalar_type()).transpose(-2, -1), g4);  // Pᵀ dO, summed over G
        if (ctx->needs_input_grad(0) || ctx->needs_input_grad(1)) {
            at::Tensor ds = at::matmul(g4, v.transpose(-2, -1));  // dP = dO Vᵀ
            if (is_reduced(ds)) ds = ds.to(at::kFloat);
            at::Tensor rowdot = (ds * p).sum(-1, /*keepdim=*/true);
            ds.sub_(rowdot).mul_(p);  // dS = P ⊙ (dP − rowsum(dP ⊙ P)); 0 wherever P is (masked entries)
            ds = ds.to(q.scalar_type());
            if (ctx->needs_input_grad(0)) gq = at::matmul(ds, k).mul_(scale).view({B, Hq, T, D});
            if (ctx->needs_input_grad(1)) gk = at::matmul(ds.transpose(-2, -1), q4).mul_(scale);  // summed over G
        }
        return {gq, gk, gv, at::Tensor(), at::Tensor(), at::Tensor()};
    }

    // The CPU kernels take float32/float64 on the CPU (q, k, v need not be contiguous: the matmuls lay them out).
    static bool cpu_path(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        return q.device().is_cpu() && (q.scalar_type() == at::kFloat || q.scalar_type() == at::kDouble);
    }

    static void check_inputs(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
        const char* op = "causal_attention";
        check_floating(op, "q", q);
        check_floating(op, "k", k);
        check_floating(op, "v", v);
        FUSED_CHECK(q.dim() == 4, op, ": q must be (B, Hq, T, D), got shape ", q.sizes());
        FUSED_CHECK(k.dim() == 4, op, ": k must be (B, Hkv, S, D), got shape ", k.sizes());
        FUSED_CHECK(v.dim() == 4, op, ": v must be (B, Hkv, S, Dv), got shape ", v.sizes());
        FUSED_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type(), op,
                    ": q, k and v must have one dtype, got ", q.scalar_type(), ", ", k.scalar_type(), ", ", v.scalar_type());
        check_same_device(op, "q", q, "k", k);
        check_same_device(op, "q", q, "v", v);
        FUSED_CHECK(k.sizes().slice(0, 3) == v.sizes().slice(0, 3), op, ": k shape ", k.sizes(), " and v shape ", v.sizes(),
                    " must agree in (B, Hkv, S)");
        FUSED_CHECK(q.size(0) == k.size(0), op, ": batch size of q (shape ", q.sizes(), ") differs from k (shape ", k.sizes(), ")");
        FUSED_CHECK(q.size(3) == k.size(3), op, ": head dimension of q (shape ", q.sizes(), ") differs from k (shape ", k.sizes(), ")");
        FUSED_CHECK(k.size(1) > 0 && q.size(1) % k.size(1) == 0, op, ": query heads Hq=", q.size(1),
                    " must be a multiple of key/value heads Hkv=", k.size(1), " (q shape ", q.sizes(), ", k shape ", k.sizes(), ")");
        FUSED_CHECK(q.size(2) <= k.size(2), op, ": more queries (T=", q.size(2), ") than keys (S=", k.size(2),
                    "); the causal mask is aligned to the end, so T <= S");
    }

    // The padding mask as bool (B, S), or an undefined tensor when absent.
    static at::Tensor check_padding(const c10::optional<at::Tensor>& mask, int64_t B, int64_t S, const at::Device& device) {
        if (!mask.has_value() || !mask->defined()) return at::Tensor();
        const at::Tensor& m = *mask;
        FUSED_CHECK(m.scalar_type() == at::kBool || at::isIntegralType(m.scalar_type(), /*includeBool=*/false),
                    "causal_attention: padding_mask must be bool or integer (1 = real token, 0 = padding), got ", m.scalar_type());
        FUSED_CHECK(m.dim() == 2 && m.size(0) == B && m.size(1) == S, "causal_attention: padding_mask must be (B, S) = [", B,
                    ", ", S, "], got shape ", m.sizes());
        FUSED_CHECK(m.device() == device, "causal_attention: padding_mask is on ", m.device(), " but q is on ", device);
        return m.scalar_type() == at::kBool ? m : m.ne(0);
    }
};

// ---------------------------------------------------------------------------------------------------------------
// swiglu: silu(a) ⊙ b. Saves a and b; sigmoid(a) is recomputed in backward.
// ---------------------------------------------------------------------------------------------------------------
struct FusedSwiglu : Function<FusedSwiglu> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& a, const at::Tensor& b) {
        check_floating("swiglu", "a", a);
        check_floating("swiglu", "b", b);
        check_same_device("swiglu", "a", a, "b", b);
        FUSED_CHECK(a.sizes() == b.sizes(), "swiglu: a (gate) shape ", a.sizes(), " differs from b (up) shape ", b.sizes());
        FUSED_CHECK(a.scalar_type() == b.scalar_type(), "swiglu: a is ", a.scalar_type(), " but b is ", b.scalar_type());
        ctx->save_for_backward({a, b});
        if (cpu::applies({&a, &b})) return cpu::swiglu_forward(a, b);
        return at::silu(to_acc(a)).mul_(to_acc(b)).to(a.scalar_type());
    }

    // d/da silu(a) = σ(a)·(1 + a·(1 − σ(a))); d/db = silu(a).
    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        if (cpu::applies({&saved[0], &saved[1], &grads[0]})) {
            auto [ga, gb] = cpu::swiglu_backward(grads[0], saved[0], saved[1], ctx->needs_input_grad(0), ctx->needs_input_grad(1));
            return {ga, gb};
        }
        at::Tensor a = to_acc(saved[0]), b = to_acc(saved[1]), g = to_acc(grads[0]);
        at::Tensor ga, gb;
        // ATen's silu and silu_backward are single vectorized passes: gb = g·silu(a), ga = silu'(a)·(g·b).
        if (ctx->needs_input_grad(1)) gb = at::silu(a).mul_(g).to(saved[1].scalar_type());
        if (ctx->needs_input_grad(0)) ga = at::silu_backward(g * b, a).to(saved[0].scalar_type());
        return {ga, gb};
    }
};

// ---------------------------------------------------------------------------------------------------------------
// logprobs: log_softmax(logits)[target] per position, 0 where target == ignore_index. Logits (..., V), targets
// (...) int64. The result is float32 for f16/bf16 logits (sequence sums of bf16 log-probs lose too much), the
// logits' dtype otherwise. Saves logits (an input), targets and the row logsumexp; backward rebuilds
// softmax one chunk of rows at a time: g·(onehot(target) − softmax(logits)), zero rows where ignored.
// Rows are processed in chunks so no full-size float32 copy of the logits is ever made.
// ---------------------------------------------------------------------------------------------------------------
constexpr int64_t kChunkElements = int64_t(1) << 24;

int64_t chunk_rows(int64_t V) { return std::max<int64_t>(1, kChunkElements / std::max<int64_t>(V, 1)); }

struct FusedLogprobs : Function<FusedLogprobs> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index) {
        check_floating("logprobs", "logits", logits);
        FUSED_CHECK(logits.dim() >= 1, "logprobs: logits must be (..., V), got a scalar");
        FUSED_CHECK(targets.scalar_type() == at::kLong, "logprobs: targets must be int64, got ", targets.scalar_type());
        check_same_device("logprobs", "logits", logits, "targets", targets);
        auto batch = logits.sizes().slice(0, logits.dim() - 1);
        FUSED_CHECK(targets.sizes() == batch, "logprobs: targets shape ", targets.sizes(), " must equal the logits shape ",
                    logits.sizes(), " without its last (vocabulary) dimension, i.e. ", batch);
        const int64_t V = logits.size(-1);
        at::Tensor valid = targets.ne(ignore_index);
        at::Tensor safe = targets.masked_fill(valid.logical_not(), 0);
        // An out-of-range index would be a device-side assert on CUDA (fatal to the process); checking costs one sync.
        FUSED_CHECK(!(safe.lt(0) | safe.ge(V)).any().item<bool>(), "logprobs: a target is outside [0, ", V,
                    ") and is not ignore_index=", ignore_index);

        at::Tensor dense = logits.device().is_cpu() ? logits.contiguous() : logits;
        if (cpu::applies({&dense})) {
            // One pass per row. A strided view (logits[:, :-1]) is copied once and the copy is what backward reads, so
            // the full logits it was cut from can be freed after the forward.
            auto [out, lse] = cpu::logprobs_forward(dense, targets, ignore_index);
            ctx->save_for_backward({dense, targets, lse});
            ctx->saved_data["ignore_index"] = ignore_index;
            return out.view(batch);
        }
        at::Tensor rows = logits.reshape({-1, V});
        const int64_t N = rows.size(0), step = chunk_rows(V);
        at::Tensor lse = at::empty({N}, logits.options().dtype(acc_type(logits)));
        for (int64_t r = 0; r < N; r += step) {
            const int64_t n = std::min(step, N - r);
            lse.narrow(0, r, n).copy_(at::logsumexp(to_acc(rows.narrow(0, r, n)), -1));
        }
        at::Tensor picked = to_acc(rows.gather(1, safe.reshape({-1, 1})).squeeze(1));
        at::Tensor out = (picked - lse).masked_fill_(valid.reshape({-1}).logical_not(), 0);

        ctx->save_for_backward({logits, targets, lse});
        ctx->saved_data["ignore_index"] = ignore_index;
        return out.view(batch);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &logits = saved[0], &targets = saved[1], &lse = saved[2];
        const int64_t ignore_index = ctx->saved_data["ignore_index"].toInt();
        if (!ctx->needs_input_grad(0)) return {at::Tensor(), at::Tensor(), at::Tensor()};

        const int64_t V = logits.size(-1);
        if (cpu::applies({&logits}) && grads[0].scalar_type() == logits.scalar_type())
            return {cpu::logprobs_backward(logits, targets, lse, grads[0], ignore_index).view(logits.sizes()), at::Tensor(), at::Tensor()};
        at::Tensor rows = logits.reshape({-1, V});
        at::Tensor valid = targets.ne(ignore_index).reshape({-1, 1});
        at::Tensor t = targets.reshape({-1, 1}).masked_fill(valid.logical_not(), 0);
        at::Tensor g = grads[0].reshape({-1, 1}).to(lse.scalar_type()).masked_fill(valid.logical_not(), 0);  // (N, 1)
        at::Tensor grad = at::empty_like(rows, at::MemoryFormat::Contiguous);
        const int64_t N = rows.size(0), step = chunk_rows(V);
        for (int64_t r = 0; r < N; r += step) {
            const int64_t n = std::min(step, N - r);
            at::Tensor gc = g.narrow(0, r, n);
            at::Tensor chunk = to_acc(rows.narrow(0, r, n)).sub(lse.narrow(0, r, n).unsqueeze(1)).exp_().mul_(gc).neg_();
            chunk.scatter_add_(1, t.narrow(0, r, n), gc);  // + g at the target
            grad.narrow(0, r, n).copy_(chunk);
        }
        return {grad.view(logits.sizes()), at::Tensor(), at::Tensor()};
    }
};

}  // namespace fused
}  // namespace atg

using namespace atg::fused;

ATG_API Handle atg_fused_rms_norm(Handle x, Handle weight, double eps) { GUARD_T(FusedRmsNorm::apply(ref(x), ref(weight), eps)) }

ATG_API Handle atg_fused_rotary(Handle x, Handle cos, Handle sin) { GUARD_T(FusedRotary::apply(ref(x), ref(cos), ref(sin))) }

// padding_mask may be nullptr (no padding); has_scale == 0 selects the default scale 1/sqrt(D).
ATG_API Handle atg_fused_causal_attention(Handle q, Handle k, Handle v, Handle padding_mask, double scale, int has_scale) {
    GUARD_T(([&] {
        c10::optional<at::Tensor> pad;
        if (padding_mask != nullptr) pad = ref(padding_mask);
        return FusedCausalAttention::apply(ref(q), ref(k), ref(v), pad, scale, has_scale != 0);
    })())
}

ATG_API Handle atg_fused_swiglu(Handle a, Handle b) { GUARD_T(FusedSwiglu::apply(ref(a), ref(b))) }

ATG_API Handle atg_fused_logprobs(Handle logits, Handle targets, int64_t ignore_index) {
    GUARD_T(FusedLogprobs::apply(ref(logits), ref(targets), ignore_index))
}
