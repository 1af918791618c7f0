// CPU kernels: see cpu_kernels.h. Loops are written so that g++ -O3 vectorizes them with the baseline x86-64 / arm64
// instruction set (no intrinsics, no -march): float32 exp is a polynomial (Cephes' expf: range reduction by ln 2 and a
// degree-6 polynomial, ≤ 2 ulp on the range used here), because glibc's expf does not vectorize.
#include "cpu_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace atg {
namespace cpu {

bool applies(std::initializer_list<const at::Tensor*> tensors) {
    at::ScalarType type = at::ScalarType::Undefined;
    for (const at::Tensor* t : tensors) {
        if (!t->defined() || !t->device().is_cpu() || !t->is_contiguous()) return false;
        at::ScalarType s = t->scalar_type();
        if (s != at::kFloat && s != at::kDouble) return false;
        if (type == at::ScalarType::Undefined) type = s;
        else if (s != type) return false;
    }
    return true;
}

namespace {

// e^x for x ≤ 0 or moderate x (the callers pass x − max ≤ 0 or x − lse): Cephes expf.
inline float exp_poly(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float fx = x * 1.44269504088896341f + 0.5f;
    int32_t n = static_cast<int32_t>(fx);
    n -= static_cast<float>(n) > fx ? 1 : 0;  // floor
    float nf = static_cast<float>(n);
    float r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    int32_t bits = (n + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

inline double exp_poly(double x) { return std::exp(x); }

// Rows are split into at most this many fixed chunks for reductions across rows, whatever the thread count.
constexpr int64_t kReductionChunks = 64;

template <typename T>
void adamw_kernel(T* p, const T* g, T* m, T* v, int64_t n, T decay, bool decayed, T b1, T one_minus_b1, T b2,
                  T one_minus_b2, T sqrt_bc2, T eps, T neg_step) {
    at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) {
            T gi = g[i];
            T pi = decayed ? p[i] * decay : p[i];
            T mi = m[i] * b1 + one_minus_b1 * gi;
            T vi = v[i] * b2 + one_minus_b2 * gi * gi;
            T denom = std::sqrt(vi) / sqrt_bc2 + eps;
            m[i] = mi;
            v[i] = vi;
            p[i] = pi + neg_step * mi / denom;
        }
    });
}

template <typename T>
void rms_forward_kernel(const T* x, const T* w, T* y, T* rstd, int64_t rows, int64_t d, double eps) {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / d), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            const T* xr = x + r * d;
            double ss = 0;
            for (int64_t j = 0; j < d; j++) ss += static_cast<double>(xr[j]) * xr[j];
            T s = static_cast<T>(1.0 / std::sqrt(ss / d + eps));
            rstd[r] = s;
            T* yr = y + r * d;
            for (int64_t j = 0; j < d; j++) yr[j] = w[j] * (xr[j] * s);
        }
    });
}

template <typename T>
void rms_backward_kernel(const T* g, const T* x, const T* w, const T* rstd, T* gx, double* gw_partial, int64_t rows,
                         int64_t d, int64_t chunks) {
    const int64_t per_chunk = (rows + chunks - 1) / chunks;
    at::parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; c++) {
            double* gw = gw_partial == nullptr ? nullptr : gw_partial + c * d;
            const int64_t r0 = c * per_chunk, r1 = std::min(rows, r0 + per_chunk);
            for (int64_t r = r0; r < r1; r++) {
                const T* gr = g + r * d;
                const T* xr = x + r * d;
                const T s = rstd[r];
                if (gw != nullptr)
                    for (int64_t j = 0; j < d; j++) gw[j] += static_cast<double>(gr[j]) * (xr[j] * s);
                if (gx != nullptr) {
                    double dot = 0;
                    for (int64_t j = 0; j < d; j++) dot += static_cast<double>(gr[j] * w[j]) * (xr[j] * s);
                    const T mean = static_cast<T>(dot / d);
                    T* out = gx + r * d;
                    for (int64_t j = 0; j < d; j++) out[j] = (gr[j] * w[j] - (xr[j] * s) * mean) * s;
                }
            }
        }
    });
}

// Key positions visible to row r: j < limit, and pad[b, j] when there is a padding mask.
struct RowMask {
    int64_t rows_per_batch, T, S;
    const bool* pad;
    int64_t limit(int64_t r) const { return S - T + (r % T) + 1; }
    const bool* pad_row(int64_t r) const { return pad == nullptr ? nullptr : pad + (r / rows_per_batch) * S; }
};

template <typename T>
void softmax_kernel(T* s, T* lse, int64_t rows, const RowMask& mask, T scale) {
    const int64_t S = mask.S;
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / S), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* row = s + r * S;
            const int64_t lim = mask.limit(r);
            const bool* pr = mask.pad_row(r);
            T mx = -std::numeric_limits<T>::infinity();
            for (int64_t j = 0; j < lim; j++) {
                T val = row[j] * scale;
                row[j] = val;
                bool on = pr == nullptr || pr[j];
                mx = on && val > mx ? val : mx;
            }
            if (mx == -std::numeric_limits<T>::infinity()) {  // no visible key
                std::fill(row, row + S, T(0));
                lse[r] = 0;
                continue;
            }
            double sum = 0;
            for (int64_t j = 0; j < lim; j++) {
                T e = exp_poly(row[j] - mx);
                e = pr == nullptr || pr[j] ? e : T(0);
                row[j] = e;
                sum += e;
            }
            const T inv = static_cast<T>(1.0 / sum);
            for (int64_t j = 0; j < lim; j++) row[j] *= inv;
            std::fill(row + lim, row + S, T(0));
            lse[r] = mx + static_cast<T>(std::log(sum));
        }
    });
}

template <typename T>
void probs_kernel(T* s, const T* lse, int64_t rows, const RowMask& mask, T scale) {
    const int64_t S = mask.S;
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / S), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* row = s + r * S;
            const int64_t lim = mask.limit(r);
            const bool* pr = mask.pad_row(r);
            const T l = lse[r];
            for (int64_t j = 0; j < lim; j++) {
                T e = exp_poly(row[j] * scale - l);
                row[j] = pr == nullptr || pr[j] ? e : T(0);
            }
            std::fill(row + lim, row + S, T(0));
        }
    });
}

template <typename T>
void softmax_backward_kernel(T* dp, const T* p, int64_t rows, int64_t S, T scale) {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / S), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* d = dp + r * S;
            const T* pr = p + r * S;
            double dot = 0;
            for (int64_t j = 0; j < S; j++) dot += static_cast<double>(d[j]) * pr[j];
            const T dt = static_cast<T>(dot);
            for (int64_t j = 0; j < S; j++) d[j] = scale * pr[j] * (d[j] - dt);
        }
    });
}

template <typename T>
void logprobs_forward_kernel(const T* x, const int64_t* tgt, T* out, T* lse, int64_t rows, int64_t V, int64_t ignore) {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / V), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            const T* row = x + r * V;
            T mx = -std::numeric_limits<T>::infinity();
            for (int64_t j = 0; j < V; j++) mx = row[j] > mx ? row[j] : mx;
            double sum = 0;
            for (int64_t j = 0; j < V; j++) sum += exp_poly(row[j] - mx);
            const T l = mx + static_cast<T>(std::log(sum));
            lse[r] = l;
            out[r] = tgt[r] == ignore ? T(0) : row[tgt[r]] - l;
        }
    });
}

template <typename T>
void logprobs_backward_kernel(const T* x, const int64_t* tgt, const T* lse, const T* g, T* grad, int64_t rows, int64_t V,
                              int64_t ignore) {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / V), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* out = grad + r * V;
            if (tgt[r] == ignore) {
                std::fill(out, out + V, T(0));
                continue;
            }
            const T* row = x + r * V;
            const T l = lse[r], gr = g[r];
            for (int64_t j = 0; j < V; j++) out[j] = -gr * exp_poly(row[j] - l);
            out[tgt[r]] += gr;
        }
    });
}

RowMask row_mask(const at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad) {
    const int64_t S = scores.size(-1), rows = scores.numel() / S;
    TORCH_CHECK(!pad.defined() || (pad.scalar_type() == at::kBool && pad.is_contiguous() && pad.device().is_cpu() &&
                                   pad.numel() == B * S), "attention kernel: padding mask must be a contiguous CPU bool (B, S)");
    return RowMask{rows / B, T, S, pad.defined() ? pad.data_ptr<bool>() : nullptr};
}

}  // namespace

void adamw(at::Tensor& p, const at::Tensor& g, at::Tensor& m, at::Tensor& v, double lr, double beta1, double beta2,
           double eps, double weight_decay, int64_t step) {
    const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adamw", [&] {
        adamw_kernel<scalar_t>(p.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), m.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(),
                               p.numel(), static_cast<scalar_t>(1.0 - lr * weight_decay), weight_decay != 0,
                               static_cast<scalar_t>(beta1), static_cast<scalar_t>(1.0 - beta1), static_cast<scalar_t>(beta2),
                               static_cast<scalar_t>(1.0 - beta2), static_cast<scalar_t>(std::sqrt(bc2)),
                               static_cast<scalar_t>(eps), static_cast<scalar_t>(-lr / bc1));
    });
}

std::pair<at::Tensor, at::Tensor> rms_norm_forward(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const int64_t d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
    at::Tensor y = at::empty_like(x);
    std::vector<int64_t> rshape(x.sizes().begin(), x.sizes().end());
    rshape.back() = 1;
    at::Tensor rstd = at::empty(rshape, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rms_norm_forward", [&] {
        rms_forward_kernel<scalar_t>(x.data_ptr<scalar_t>(), weight.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(),
                                     rstd.data_ptr<scalar_t>(), rows, d, eps);
    });
    return {y, rstd};
}

std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& g, const at::Tensor& x, const at::Tensor& weight,
                                                     const at::Tensor& rstd, bool need_gx, bool need_gw) {
    const int64_t d = x.size(-1), rows = d == 0 ? 0 : x.numel() / d;
    const int64_t chunks = std::max<int64_t>(1, std::min(rows, kReductionChunks));
    at::Tensor gx = need_gx ? at::empty_like(x) : at::Tensor();
    at::Tensor partial = need_gw ? at::zeros({chunks, d}, x.options().dtype(at::kDouble)) : at::Tensor();
    at::Tensor rstd_c = rstd.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rms_norm_backward", [&] {
        rms_backward_kernel<scalar_t>(g.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), weight.data_ptr<scalar_t>(),
                                      rstd_c.data_ptr<scalar_t>(), need_gx ? gx.data_ptr<scalar_t>() : nullptr,
                                      need_gw ? partial.data_ptr<double>() : nullptr, rows, d, chunks);
    });
    at::Tensor gw;
    if (need_gw) {
        // Chunks summed in order (not a tree whose shape depends on the thread count).
        at::Tensor acc = partial[0].clone();
        for (int64_t c = 1; c < chunks; c++) acc.add_(partial[c]);
        gw = acc.to(weight.scalar_type());
    }
    return {gx, gw};
}

at::Tensor attention_softmax(at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad, double scale) {
    RowMask mask = row_mask(scores, B, T, pad);
    const int64_t rows = scores.numel() / mask.S;
    at::Tensor lse = at::empty({rows}, scores.options());
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "attention_softmax", [&] {
        softmax_kernel<scalar_t>(scores.data_ptr<scalar_t>(), lse.data_ptr<scalar_t>(), rows, mask, static_cast<scalar_t>(scale));
    });
    return lse;
}

void attention_probs(at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad, double scale, const at::Tensor& lse) {
    RowMask mask = row_mask(scores, B, T, pad);
    const int64_t rows = scores.numel() / mask.S;
    at::Tensor l = lse.contiguous();
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "attention_probs", [&] {
        probs_kernel<scalar_t>(scores.data_ptr<scalar_t>(), l.data_ptr<scalar_t>(), rows, mask, static_cast<scalar_t>(scale));
    });
}

void attention_softmax_backward(at::Tensor& dp, const at::Tensor& p, double scale) {
    const int64_t S = dp.size(-1), rows = S == 0 ? 0 : dp.numel() / S;
    AT_DISPATCH_FLOATING_TYPES(dp.scalar_type(), "attention_softmax_backward", [&] {
        softmax_backward_kernel<scalar_t>(dp.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), rows, S, static_cast<scalar_t>(scale));
    });
}

std::pair<at::Tensor, at::Tensor> logprobs_forward(const at::Tensor& logits, const at::Tensor& targets, int64_t ignore_index) {
    const int64_t V = logits.size(-1), rows = V == 0 ? 0 : logits.numel() / V;
    at::Tensor out = at::empty({rows}, logits.options());
    at::Tensor lse = at::empty({rows}, logits.options());
    at::Tensor t = targets.contiguous();
    AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "logprobs_forward", [&] {
        logprobs_forward_kernel<scalar_t>(logits.data_ptr<scalar_t>(), t.data_ptr<int64_t>(), out.data_ptr<scalar_t>(),
                                          lse.data_ptr<scalar_t>(), rows, V, ignore_index);
    });
    return {out, lse};
}

at::Tensor logprobs_backward(const at::Tensor& logits, const at::Tensor& targets, const at::Tensor& lse, const at::Tensor& g,
                             int64_t ignore_index) {
    const int64_t V = logits.size(-1), rows = V == 0 ? 0 : logits.numel() / V;
    at::Tensor grad = at::empty_like(logits);
    at::Tensor t = targets.contiguous(), l = lse.contiguous(), gc = g.contiguous();
    AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "logprobs_backward", [&] {
        logprobs_backward_kernel<scalar_t>(logits.data_ptr<scalar_t>(), t.data_ptr<int64_t>(), l.data_ptr<scalar_t>(),
                                           gc.data_ptr<scalar_t>(), grad.data_ptr<scalar_t>(), rows, V, ignore_index);
    });
    return grad;
}

}  // namespace cpu
}  // namespace atg
