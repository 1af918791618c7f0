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

// out[j] = e^(in[j] − shift) for float32, vectorized with GCC's generic vector types: Cephes' expf (range reduction by
// ln 2, degree-6 polynomial; relative error < 1e-7), exactly 0 below −87 (so −inf gives 0), NaN stays NaN. x86 machines
// with AVX2+FMA run an 8-wide build of the same code, chosen once at run time; others the 4-wide baseline build.
#define ATG_EXP_BODY(V, I)                                                   \
    const I keep = !(x < -87.0f);                                            \
    x = x < -87.0f ? -87.0f : x;                                             \
    x = x > 88.0f ? 88.0f : x;                                               \
    V fx = x * 1.44269504088896341f + 0.5f;                                  \
    I k2 = __builtin_convertvector(fx, I);                                       \
    k2 += (__builtin_convertvector(k2, V) > fx); /* floor: −1 where rounded up */ \
    V nf = __builtin_convertvector(k2, V);                                    \
    V r = x - nf * 0.693359375f + nf * 2.12194440e-4f;                       \
    V y = r * 1.9875691500e-4f + 1.3981999507e-3f;                           \
    y = y * r + 8.3334519073e-3f;                                            \
    y = y * r + 4.1665795894e-2f;                                            \
    y = y * r + 1.6666665459e-1f;                                            \
    y = y * r + 5.0000001201e-1f;                                            \
    y = y * r * r + r + 1.0f;                                                \
    x = (V)((I)(y * (V)((k2 + 127) << 23)) & keep);

#define ATG_EXP_ROW(V, I, W)                                                 \
    int64_t j = 0;                                                           \
    for (; j + W <= n; j += W) {                                             \
        V x;                                                                 \
        std::memcpy(&x, in + j, sizeof x);                                   \
        x -= shift;                                                          \
        ATG_EXP_BODY(V, I)                                                   \
        std::memcpy(out + j, &x, sizeof x);                                  \
    }                                                                        \
    if (j < n) {                                                             \
        float buf[W] = {};                                                   \
        std::memcpy(buf, in + j, (n - j) * sizeof(float));                   \
        V x;                                                                 \
        std::memcpy(&x, buf, sizeof x);                                      \
        x -= shift;                                                          \
        ATG_EXP_BODY(V, I)                                                   \
        std::memcpy(buf, &x, sizeof x);                                      \
        std::memcpy(out + j, buf, (n - j) * sizeof(float));                  \
    }

typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

void exp_row_base(float* out, const float* in, int64_t n, float shift) { ATG_EXP_ROW(v4f, v4i, 4) }

#if defined(__x86_64__)
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

__attribute__((target("avx2,fma"))) void exp_row_avx2(float* out, const float* in, int64_t n, float shift) {
    ATG_EXP_ROW(v8f, v8i, 8)
}

const bool kAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif

void exp_row(float* out, const float* in, int64_t n, float shift) {
#if defined(__x86_64__)
    if (kAvx2) return exp_row_avx2(out, in, n, shift);
#endif
    exp_row_base(out, in, n, shift);
}

void exp_row(double* out, const double* in, int64_t n, double shift) {
    for (int64_t j = 0; j < n; j++) out[j] = std::exp(in[j] - shift);
}

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

// Key positions visible to row r: j < limit(r); add (B, S) is 0 for real keys and −inf for padding (nullptr: none).
template <typename T>
struct RowMask {
    int64_t rows_per_batch, T_, S;
    const T* add;
    int64_t limit(int64_t r) const { return S - T_ + (r % T_) + 1; }
    const T* add_row(int64_t r) const { return add == nullptr ? nullptr : add + (r / rows_per_batch) * S; }
};

// Row helpers with kLanes independent accumulators, so the loops vectorize without reassociating anything.
constexpr int kLanes = 16;

template <typename T>
T row_max(const T* x, int64_t n) {
    T acc[kLanes];
    std::fill(acc, acc + kLanes, -std::numeric_limits<T>::infinity());
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (int k = 0; k < kLanes; k++) acc[k] = x[j + k] > acc[k] ? x[j + k] : acc[k];
    T m = -std::numeric_limits<T>::infinity();
    for (int k = 0; k < kLanes; k++) m = acc[k] > m ? acc[k] : m;
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

template <typename T>
double sum(const T* x, int64_t n) {
    T acc[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (int k = 0; k < kLanes; k++) acc[k] += x[j + k];
    double total = 0;
    for (int k = 0; k < kLanes; k++) total += acc[k];
    for (; j < n; j++) total += x[j];
    return total;
}

// x[j] ← exp(x[j] − shift), returning Σ x[j].
template <typename T>
double exp_shift_sum(T* x, int64_t n, T shift) {
    exp_row(x, x, n, shift);
    return sum(x, n);
}

template <typename T>
double dot(const T* a, const T* b, int64_t n) {
    T acc[kLanes] = {};
    int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
        for (int k = 0; k < kLanes; k++) acc[k] += a[j + k] * b[j + k];
    double sum = 0;
    for (int k = 0; k < kLanes; k++) sum += acc[k];
    for (; j < n; j++) sum += static_cast<double>(a[j]) * b[j];
    return sum;
}

template <typename T>
void softmax_kernel(T* s, T* lse, int64_t rows, const RowMask<T>& mask, T scale) {
    const int64_t S = mask.S;
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / S), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* row = s + r * S;
            const int64_t lim = mask.limit(r);
            if (const T* add = mask.add_row(r))
                for (int64_t j = 0; j < lim; j++) row[j] = row[j] * scale + add[j];
            else
                for (int64_t j = 0; j < lim; j++) row[j] *= scale;
            std::fill(row + lim, row + S, T(0));
            const T mx = row_max(row, lim);
            if (mx == -std::numeric_limits<T>::infinity()) {  // no visible key
                std::fill(row, row + lim, T(0));
                lse[r] = 0;
                continue;
            }
            const double sum = exp_shift_sum(row, lim, mx);  // exp(−inf) = 0 for padding
            const T inv = static_cast<T>(1.0 / sum);
            for (int64_t j = 0; j < lim; j++) row[j] *= inv;
            lse[r] = mx + static_cast<T>(std::log(sum));
        }
    });
}

template <typename T>
void probs_kernel(T* s, const T* lse, int64_t rows, const RowMask<T>& mask, T scale) {
    const int64_t S = mask.S;
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / S), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            T* row = s + r * S;
            const int64_t lim = mask.limit(r);
            const T l = lse[r];
            if (const T* add = mask.add_row(r))
                for (int64_t j = 0; j < lim; j++) row[j] = row[j] * scale + add[j];
            else
                for (int64_t j = 0; j < lim; j++) row[j] *= scale;
            exp_row(row, row, lim, l);
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
            const T dt = static_cast<T>(dot(d, pr, S));
            for (int64_t j = 0; j < S; j++) d[j] = scale * pr[j] * (d[j] - dt);
        }
    });
}

template <typename T>
void logprobs_forward_kernel(const T* x, const int64_t* tgt, T* out, T* lse, int64_t rows, int64_t V, int64_t ignore) {
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / V), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            const T* row = x + r * V;
            const T mx = row_max(row, V);
            T buf[1024];
            double total = 0;
            for (int64_t j = 0; j < V; j += 1024) {
                const int64_t len = std::min<int64_t>(1024, V - j);
                exp_row(buf, row + j, len, mx);
                total += sum(buf, len);
            }
            const T l = mx + static_cast<T>(std::log(total));
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
            exp_row(out, row, V, l);
            for (int64_t j = 0; j < V; j++) out[j] *= -gr;
            out[tgt[r]] += gr;
        }
    });
}

template <typename T>
void rotary_kernel(const T* x, const T* c, const T* s, T* out, int64_t B, int64_t H, int64_t Tn, int64_t D,
                   int64_t sx0, int64_t sx1, int64_t sx2, int64_t table_batch_stride, bool backward) {
    const int64_t h = D / 2;
    at::parallel_for(0, B * H * Tn, std::max<int64_t>(1, 8192 / D), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; r++) {
            const int64_t t = r % Tn, hh = (r / Tn) % H, b = r / (Tn * H);
            const T* xr = x + b * sx0 + hh * sx1 + t * sx2;
            const T* cr = c + b * table_batch_stride + t * D;
            const T* sr = s + b * table_batch_stride + t * D;
            T* o = out + r * D;
            if (!backward) {
                for (int64_t j = 0; j < h; j++) o[j] = xr[j] * cr[j] - xr[j + h] * sr[j];
                for (int64_t j = h; j < D; j++) o[j] = xr[j] * cr[j] + xr[j - h] * sr[j];
            } else {
                for (int64_t j = 0; j < h; j++) o[j] = xr[j] * cr[j] + xr[j + h] * sr[j + h];
                for (int64_t j = h; j < D; j++) o[j] = xr[j] * cr[j] - xr[j - h] * sr[j - h];
            }
        }
    });
}

// SwiGLU, W lanes at a time: σ(a) = 1 / (1 + e^(−a)) with the vectorized exp (e^(−a) saturates at e^88 for a < −88,
// so σ → 0 and silu → 0; a > 87 gives e^(−a) = 0 and σ = 1); the last n mod W elements go through one padded vector.
// Forward h = a·σ·b; backward ga = g·b·σ·(1 + a·(1 − σ)), gb = g·a·σ (either output may be null).
#define ATG_SWIGLU_STEP(V, I, av, bv, gv, STORE)                                             \
    {                                                                                        \
        V x = -av;                                                                           \
        ATG_EXP_BODY(V, I)                                                                   \
        const V sg = 1.0f / (1.0f + x);                                                      \
        if (h != nullptr) { const V r = av * sg * bv; STORE(h, r) }                          \
        if (gb != nullptr) { const V r = gv * av * sg; STORE(gb, r) }                        \
        if (ga != nullptr) { const V r = gv * bv * sg * (1.0f + av * (1.0f - sg)); STORE(ga, r) } \
    }
#define ATG_STORE_FULL(p, r) std::memcpy(p + j, &r, sizeof r);
#define ATG_STORE_PART(p, r) { float t_[sizeof r / sizeof(float)]; std::memcpy(t_, &r, sizeof r); std::memcpy(p + j, t_, m * sizeof(float)); }
#define ATG_SWIGLU(V, I, W)                                                                  \
    int64_t j = begin;                                                                       \
    for (; j + W <= end; j += W) {                                                           \
        V av, bv, gv = {};                                                                   \
        std::memcpy(&av, a + j, sizeof av);                                                  \
        std::memcpy(&bv, b + j, sizeof bv);                                                  \
        if (g != nullptr) std::memcpy(&gv, g + j, sizeof gv);                                \
        ATG_SWIGLU_STEP(V, I, av, bv, gv, ATG_STORE_FULL)                                    \
    }                                                                                        \
    if (j < end) {                                                                           \
        const int64_t m = end - j;                                                           \
        float ab[W] = {}, bb[W] = {}, gg[W] = {};                                            \
        std::memcpy(ab, a + j, m * sizeof(float));                                           \
        std::memcpy(bb, b + j, m * sizeof(float));                                           \
        if (g != nullptr) std::memcpy(gg, g + j, m * sizeof(float));                         \
        V av, bv, gv;                                                                        \
        std::memcpy(&av, ab, sizeof av);                                                     \
        std::memcpy(&bv, bb, sizeof bv);                                                     \
        std::memcpy(&gv, gg, sizeof gv);                                                     \
        ATG_SWIGLU_STEP(V, I, av, bv, gv, ATG_STORE_PART)                                    \
    }

void swiglu_range_base(const float* a, const float* b, const float* g, float* h, float* ga, float* gb, int64_t begin, int64_t end) {
    ATG_SWIGLU(v4f, v4i, 4)
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void swiglu_range_avx2(const float* a, const float* b, const float* g, float* h, float* ga,
                                                           float* gb, int64_t begin, int64_t end) {
    ATG_SWIGLU(v8f, v8i, 8)
}
#endif

void swiglu_range(const float* a, const float* b, const float* g, float* h, float* ga, float* gb, int64_t begin, int64_t end) {
#if defined(__x86_64__)
    if (kAvx2) return swiglu_range_avx2(a, b, g, h, ga, gb, begin, end);
#endif
    swiglu_range_base(a, b, g, h, ga, gb, begin, end);
}

void swiglu_range(const double* a, const double* b, const double* g, double* h, double* ga, double* gb, int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; j++) {
        const double x = a[j], sg = 1.0 / (1.0 + std::exp(-x));
        if (h != nullptr) h[j] = x * sg * b[j];
        if (gb != nullptr) gb[j] = g[j] * x * sg;
        if (ga != nullptr) ga[j] = g[j] * b[j] * sg * (1.0 + x * (1.0 - sg));
    }
}

// Splits [0, n) into ranges that are whole multiples of 8 (so only the very last range has a partial vector).
template <typename T>
void swiglu_kernel(const T* a, const T* b, const T* g, T* h, T* ga, T* gb, int64_t n) {
    constexpr int64_t kChunk = 4096;
    at::parallel_for(0, (n + kChunk - 1) / kChunk, 1, [&](int64_t c0, int64_t c1) {
        swiglu_range(a, b, g, h, ga, gb, c0 * kChunk, std::min(n, c1 * kChunk));
    });
}

// The additive mask (B, S): 0 where pad is true, −inf where it is false; undefined without padding.
at::Tensor additive_mask(const at::Tensor& scores, int64_t B, const at::Tensor& pad) {
    if (!pad.defined()) return at::Tensor();
    const int64_t S = scores.size(-1);
    TORCH_CHECK(pad.scalar_type() == at::kBool && pad.device().is_cpu() && pad.numel() == B * S,
                "attention kernel: padding mask must be a CPU bool (B, S)");
    return at::zeros({B, S}, scores.options()).masked_fill_(pad.reshape({B, S}).logical_not(), -std::numeric_limits<double>::infinity());
}

template <typename T>
RowMask<T> row_mask(const at::Tensor& scores, int64_t B, int64_t T_, const at::Tensor& add) {
    const int64_t S = scores.size(-1), rows = scores.numel() / S;
    return RowMask<T>{rows / B, T_, S, add.defined() ? add.data_ptr<T>() : nullptr};
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
    const int64_t rows = scores.numel() / scores.size(-1);
    at::Tensor add = additive_mask(scores, B, pad);
    at::Tensor lse = at::empty({rows}, scores.options());
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "attention_softmax", [&] {
        softmax_kernel<scalar_t>(scores.data_ptr<scalar_t>(), lse.data_ptr<scalar_t>(), rows, row_mask<scalar_t>(scores, B, T, add),
                                 static_cast<scalar_t>(scale));
    });
    return lse;
}

void attention_probs(at::Tensor& scores, int64_t B, int64_t T, const at::Tensor& pad, double scale, const at::Tensor& lse) {
    const int64_t rows = scores.numel() / scores.size(-1);
    at::Tensor add = additive_mask(scores, B, pad);
    at::Tensor l = lse.contiguous();
    AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "attention_probs", [&] {
        probs_kernel<scalar_t>(scores.data_ptr<scalar_t>(), l.data_ptr<scalar_t>(), rows, row_mask<scalar_t>(scores, B, T, add),
                               static_cast<scalar_t>(scale));
    });
}

void attention_softmax_backward(at::Tensor& dp, const at::Tensor& p, double scale) {
    const int64_t S = dp.size(-1), rows = S == 0 ? 0 : dp.numel() / S;
    AT_DISPATCH_FLOATING_TYPES(dp.scalar_type(), "attention_softmax_backward", [&] {
        softmax_backward_kernel<scalar_t>(dp.data_ptr<scalar_t>(), p.data_ptr<scalar_t>(), rows, S, static_cast<scalar_t>(scale));
    });
}

at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool backward) {
    const int64_t B = x.size(0), H = x.size(1), Tn = x.size(2), D = x.size(3);
    at::Tensor out = at::empty({B, H, Tn, D}, x.options());
    // A (B, 1, T, D) table with B > 1 steps by T·D per batch row; a (T, D) or (1, 1, T, D) table is shared.
    const int64_t table_batch_stride = cos.dim() == 4 && cos.size(0) > 1 ? Tn * D : 0;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rotary", [&] {
        rotary_kernel<scalar_t>(x.data_ptr<scalar_t>(), cos.data_ptr<scalar_t>(), sin.data_ptr<scalar_t>(), out.data_ptr<scalar_t>(), B, H,
                                Tn, D, x.stride(0), x.stride(1), x.stride(2), table_batch_stride, backward);
    });
    return out;
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

at::Tensor swiglu_forward(const at::Tensor& a, const at::Tensor& b) {
    at::Tensor h = at::empty_like(a);
    AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "swiglu_forward", [&] {
        swiglu_kernel<scalar_t>(a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(), nullptr, h.data_ptr<scalar_t>(), nullptr, nullptr, a.numel());
    });
    return h;
}

std::pair<at::Tensor, at::Tensor> swiglu_backward(const at::Tensor& g, const at::Tensor& a, const at::Tensor& b, bool need_ga, bool need_gb) {
    at::Tensor ga = need_ga ? at::empty_like(a) : at::Tensor();
    at::Tensor gb = need_gb ? at::empty_like(b) : at::Tensor();
    AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "swiglu_backward", [&] {
        swiglu_kernel<scalar_t>(a.data_ptr<scalar_t>(), b.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), nullptr,
                                need_ga ? ga.data_ptr<scalar_t>() : nullptr, need_gb ? gb.data_ptr<scalar_t>() : nullptr, a.numel());
    });
    return {ga, gb};
}

}  // namespace cpu
}  // namespace atg
