// 4-bit (NF4, FP4) and 8-bit blockwise quantization in bitsandbytes' formats, and a linear layer over a 4-bit weight.
//
// Formats (bitsandbytes.functional.quantize_4bit / quantize_blockwise, the layout transformers saves):
// - 4-bit: the weight is flattened row-major and cut into blocks of `blocksize` values; absmax[b] = max |w| over block
//   b (float32); each value w·(1/absmax) is mapped to the index of the nearest code value (NF4: the 16 normal-float
//   values of the QLoRA paper; FP4: sign bit + 3-bit magnitude {0, 0.0625, 8, 12, 4, 6, 2, 3}/12), ties going to the
//   lower index because the thresholds are the midpoints compared with `>`. Two indices share a byte, the first value
//   in the high nibble; the packed tensor is uint8 ((n + 1) / 2, 1). A block of zeros gives 1/0 = inf, 0·inf = NaN,
//   and NaN takes the all-false branch (index 0) exactly as bitsandbytes' CUDA kernel does.
// - 8-bit blockwise (used for double quantization of the absmax values): the same absmax scaling, then a binary search
//   over a sorted 256-entry code (the dynamic map) picking the nearer of the two bracketing entries (ties: the upper),
//   as bitsandbytes' dQuantize<0>.
//
// - int8 per row (bitsandbytes' int8_vectorwise_quant with threshold 0, the LLM.int8() weight format without outlier
//   decomposition): SCB[r] = max |w| over row r (float32), q = round-half-even(w · (127 / SCB[r])) as int8 (an
//   all-zero row gives SCB 0 and q 0); dequantized as q · SCB[r] · (1/127 in float32), int8_vectorwise_dequant's order.
//
// linear_4bit / linear_8bit: y = x·Wᵀ + b with W dequantized tile by tile (a band of output rows at a time) into one
// scratch buffer that feeds the matmul; the full float weight never exists. Backward gives the input gradient
// gx = g·W the same way (W is frozen: no weight gradient), so LoRA adapters before and after the layer train. Only
// the quantized weight is saved for backward, never a dequantized copy.
#include "checkpoint.h"
#include "common.h"

#include <ATen/Parallel.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

using atg::Handle;
using atg::ref;

#define QUANT_CHECK(cond, ...) \
    if (!(cond)) throw std::invalid_argument(c10::str(__VA_ARGS__))

namespace atg {
namespace quant {

// bitsandbytes' NF4 table (the values its CUDA kernels and get_4bit_type("nf4") hold).
constexpr float kNf4[16] = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
                            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};

// FP4 magnitudes by 3-bit code (exponent bias 3, one mantissa bit), before the division by 12.
constexpr float kFp4Raw[8] = {0.0f, 0.0625f, 8.0f, 12.0f, 4.0f, 6.0f, 2.0f, 3.0f};

enum Type : int { Nf4 = 0, Fp4 = 1 };

// The 4-bit code table as get_4bit_type builds it: the raw values divided by their largest magnitude in float32.
at::Tensor code4(int type) {
    at::Tensor t = at::empty({16}, at::kFloat);
    float* p = t.data_ptr<float>();
    if (type == Nf4) {
        std::copy(kNf4, kNf4 + 16, p);
    } else {
        for (int i = 0; i < 8; i++) {
            p[i] = kFp4Raw[i] / 12.0f;
            p[i + 8] = -kFp4Raw[i] / 12.0f;
        }
    }
    return t;
}

// create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8): for i in 0..6 the means of 2^i + 1 float32
// linspace(0.1, 1) boundaries, scaled by 10^(i−6), with both signs; then 0 and 1; sorted.
at::Tensor dynamic_map() {
    std::vector<float> data;
    for (int i = 0; i < 7; i++) {
        at::Tensor b = at::linspace(0.1, 1.0, (1 << i) + 1, at::kFloat);
        at::Tensor means = (b.narrow(0, 0, b.size(0) - 1) + b.narrow(0, 1, b.size(0) - 1)) / 2.0;
        at::Tensor pos = means * std::pow(10.0, -6 + i), neg = means * -std::pow(10.0, -6 + i);
        for (int64_t k = 0; k < means.size(0); k++) data.push_back(pos[k].item<float>());
        for (int64_t k = 0; k < means.size(0); k++) data.push_back(neg[k].item<float>());
    }
    data.push_back(0.0f);
    data.push_back(1.0f);
    std::sort(data.begin(), data.end());
    return at::tensor(data, at::kFloat);
}

// Midpoint thresholds between consecutive sorted code values.
struct Thresholds {
    float nf4[15];
    float fp4[7];        // between the sorted FP4 magnitudes
    uint8_t fp4_code[8]; // sorted magnitude rank → 3-bit code
    Thresholds() {
        for (int i = 0; i < 15; i++) nf4[i] = static_cast<float>((static_cast<double>(kNf4[i]) + kNf4[i + 1]) / 2);
        uint8_t order[8] = {0, 1, 6, 7, 4, 5, 2, 3};  // codes by increasing magnitude
        for (int i = 0; i < 8; i++) fp4_code[i] = order[i];
        for (int i = 0; i < 7; i++)
            fp4[i] = static_cast<float>((static_cast<double>(kFp4Raw[order[i]]) + kFp4Raw[order[i + 1]]) / 24);
    }
};
const Thresholds& thresholds() {
    static const Thresholds t;
    return t;
}

// Index of x (already divided by absmax) in the 4-bit code: the number of midpoints it exceeds (NaN exceeds none).
inline uint8_t encode4(float x, int type, const Thresholds& th) {
    if (type == Nf4) {
        uint8_t k = 0;
        for (int i = 0; i < 15; i++) k += x > th.nf4[i];
        return k;
    }
    uint8_t sign = x < 0 ? 8 : 0;
    float a = std::fabs(x);
    uint8_t k = 0;
    for (int i = 0; i < 7; i++) k += a > th.fp4[i];
    return sign + th.fp4_code[k];
}

// bitsandbytes' dQuantize<0>: binary search over the sorted 256-entry code, then the nearer bracketing entry.
inline uint8_t encode8(const float* code, float x) {
    int pivot = 127, upper = 255, lower = 0;
    float val = code[pivot];
    for (int i = 64; i > 0; i >>= 1) {
        if (x > val) {
            lower = pivot;
            pivot += i;
        } else {
            upper = pivot;
            pivot -= i;
        }
        val = code[pivot];
    }
    if (upper == 255) upper = 254;
    return std::fabs(x - code[lower]) < std::fabs(x - code[upper]) ? static_cast<uint8_t>(lower) : static_cast<uint8_t>(upper);
}

void check_blocksize(int64_t blocksize, bool four_bit) {
    QUANT_CHECK(blocksize >= 2 && (!four_bit || blocksize % 2 == 0), "quantize: blocksize must be ",
                four_bit ? "an even number >= 2" : "at least 2", ", got ", blocksize);
}

// Runs body(e0, e1, inv) over every block of x's n values (in parallel), after storing the block's absmax in absmax[b];
// inv = 1/absmax, infinite for an all-zero block (as bitsandbytes computes it).
template <typename Body>
void for_blocks(const float* x, int64_t n, int64_t blocksize, float* absmax, const Body& body) {
    const int64_t blocks = (n + blocksize - 1) / blocksize;
    at::parallel_for(0, blocks, 16, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; b++) {
            const int64_t e0 = b * blocksize, e1 = std::min(n, e0 + blocksize);
            float m = 0;
            for (int64_t e = e0; e < e1; e++) m = std::max(m, std::fabs(x[e]));
            absmax[b] = m;
            body(e0, e1, 1.0f / m);
        }
    });
}

// (packed uint8 ((n + 1) / 2, 1), absmax float32 (blocks)).
std::pair<at::Tensor, at::Tensor> quantize4(const at::Tensor& a, int64_t blocksize, int type) {
    QUANT_CHECK(a.defined() && at::isFloatingType(a.scalar_type()), "quantize_4bit: the input must be a floating-point tensor");
    QUANT_CHECK(type == Nf4 || type == Fp4, "quantize_4bit: unknown quant type ", type, " (0 = nf4, 1 = fp4)");
    check_blocksize(blocksize, true);
    at::Tensor x = a.to(at::kCPU, at::kFloat).contiguous().view(-1);
    const int64_t n = x.numel(), blocks = (n + blocksize - 1) / blocksize;
    at::Tensor packed = at::zeros({(n + 1) / 2, 1}, at::kByte);
    at::Tensor absmax = at::empty({blocks}, at::kFloat);
    const float* xp = x.data_ptr<float>();
    uint8_t* pp = packed.data_ptr<uint8_t>();
    float* ap = absmax.data_ptr<float>();
    const Thresholds& th = thresholds();
    for_blocks(xp, n, blocksize, ap, [&](int64_t e0, int64_t e1, float inv) {
        // blocksize is even, so a block starts on a byte; a missing last value counts as 0 (as the CUDA load's default).
        for (int64_t e = e0; e < e1; e += 2) {
            const float second = e + 1 < e1 ? xp[e + 1] : 0.0f;
            pp[e / 2] = static_cast<uint8_t>((encode4(xp[e] * inv, type, th) << 4) | encode4(second * inv, type, th));
        }
    });
    return {packed, absmax};
}

// The 4-bit code as a byte table: pairs[v] = (code[v >> 4], code[v & 15]), the two values one packed byte holds.
struct PairTable {
    float v[256][2];
    float code[16];
    explicit PairTable(const float* c) {
        std::copy(c, c + 16, code);
        for (int b = 0; b < 256; b++) {
            v[b][0] = c[b >> 4];
            v[b][1] = c[b & 15];
        }
    }
};

// f[2k] = code[p[k] >> 4]·s, f[2k + 1] = code[p[k] & 15]·s for k < pairs: the pair-table lookup and the scaling in
// one pass, plain C++.
void dequant_pairs_scalar(const uint8_t* p, int64_t pairs, const PairTable& table, float s, float* f) {
    for (int64_t k = 0; k < pairs; k++) std::memcpy(f + 2 * k, table.v[p[k]], 2 * sizeof(float));
    for (int64_t k = 0; k < 2 * pairs; k++) f[k] *= s;
}

#if defined(__x86_64__) && defined(__GNUC__)
// The same with AVX2, 8 bytes (16 values) a step: each nibble picks its value from the 16-entry code held in two
// registers (a permute in each, a blend on the index's bit 3), the two nibbles' values are scaled and interleaved.
// The products are the scalar ones (one float multiply each), so the result is identical; about twice as fast on
// one core (7.4 against 3.7 billion values a second on the AMD EPYC these benchmarks ran on).
__attribute__((target("avx2"), always_inline)) inline __m256 lookup16(__m256 low_half, __m256 high_half, __m256i idx) {
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(low_half, idx), _mm256_permutevar8x32_ps(high_half, idx),
                            _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));
}

__attribute__((target("avx2"))) void dequant_pairs_avx2(const uint8_t* p, int64_t pairs, const PairTable& table, float s, float* f) {
    const __m256 low_half = _mm256_loadu_ps(table.code), high_half = _mm256_loadu_ps(table.code + 8), scale = _mm256_set1_ps(s);
    const __m256i nibble = _mm256_set1_epi32(15);
    int64_t k = 0;
    for (; k + 8 <= pairs; k += 8) {
        const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p + k)));
        const __m256 first = _mm256_mul_ps(lookup16(low_half, high_half, _mm256_srli_epi32(bytes, 4)), scale);
        const __m256 second = _mm256_mul_ps(lookup16(low_half, high_half, _mm256_and_si256(bytes, nibble)), scale);
        const __m256 a = _mm256_unpacklo_ps(first, second), b = _mm256_unpackhi_ps(first, second);
        _mm256_storeu_ps(f + 2 * k, _mm256_permute2f128_ps(a, b, 0x20));
        _mm256_storeu_ps(f + 2 * k + 8, _mm256_permute2f128_ps(a, b, 0x31));
    }
    dequant_pairs_scalar(p + k, pairs - k, table, s, f + 2 * k);
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");
#endif

void dequant_pairs(const uint8_t* p, int64_t pairs, const PairTable& table, float s, float* f) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (kHasAvx2) return dequant_pairs_avx2(p, pairs, table, s, f);
#endif
    dequant_pairs_scalar(p, pairs, table, s, f);
}

// Writes elements [e0, e0 + count) of the dequantized flat weight into out (count values of scalar_t): code[q]·absmax
// in float32, then converted. Block by block: the block's bytes are looked up and scaled by the block's absmax
// (dequant_pairs). Any range works (a row of odd length starts on a low nibble).
template <typename scalar_t>
void dequant_range(const uint8_t* packed, const float* absmax, const PairTable& table, int64_t blocksize, int64_t e0, int64_t count,
                   scalar_t* out) {
    constexpr int64_t kRun = 256;   // values converted at a time for a non-float32 output
    float buf[kRun];
    const int64_t end = e0 + count;
    int64_t e = e0;
    while (e < end) {
        const int64_t b = e / blocksize, stop = std::min(end, (b + 1) * blocksize);
        const float s = absmax[b];
        while (e < stop) {
            const int64_t n = std::is_same<scalar_t, float>::value ? stop - e : std::min(stop - e, kRun);
            float* f = std::is_same<scalar_t, float>::value ? reinterpret_cast<float*>(out + (e - e0)) : buf;
            int64_t i = 0;
            if (e & 1) f[i++] = table.v[packed[e >> 1]][1] * s;    // a low nibble first
            const uint8_t* p = packed + ((e + i) >> 1);
            const int64_t pairs = (n - i) / 2;
            dequant_pairs(p, pairs, table, s, f + i);
            i += 2 * pairs;
            if (i < n) f[i++] = table.v[p[pairs]][0] * s;          // a high nibble last
            if (!std::is_same<scalar_t, float>::value)
                for (int64_t k = 0; k < n; k++) out[e - e0 + k] = static_cast<scalar_t>(f[k]);
            e += n;
        }
    }
}

// dequant_range over [e0, e0 + count) split across threads.
template <typename scalar_t>
void dequant_range_parallel(const uint8_t* packed, const float* absmax, const PairTable& table, int64_t blocksize, int64_t e0,
                            int64_t count, scalar_t* out) {
    at::parallel_for(0, count, 1 << 14, [&](int64_t a, int64_t b) {
        dequant_range<scalar_t>(packed, absmax, table, blocksize, e0 + a, b - a, out + a);
    });
}

void check_state(const char* op, const at::Tensor& packed, const at::Tensor& absmax, const at::Tensor& code, int64_t n, int64_t blocksize) {
    check_blocksize(blocksize, true);
    QUANT_CHECK(packed.scalar_type() == at::kByte && packed.is_contiguous() && packed.device().is_cpu(), op,
                ": the packed weight must be a contiguous uint8 CPU tensor, got ", packed.scalar_type(), " ", packed.sizes());
    QUANT_CHECK(packed.numel() == (n + 1) / 2, op, ": the packed weight has ", packed.numel(), " bytes; ", n,
                " values need ", (n + 1) / 2);
    QUANT_CHECK(absmax.scalar_type() == at::kFloat && absmax.is_contiguous() && absmax.dim() == 1, op,
                ": absmax must be a contiguous float32 vector, got ", absmax.scalar_type(), " ", absmax.sizes());
    QUANT_CHECK(absmax.numel() == (n + blocksize - 1) / blocksize, op, ": absmax has ", absmax.numel(), " values; ", n,
                " values in blocks of ", blocksize, " need ", (n + blocksize - 1) / blocksize);
    QUANT_CHECK(code.scalar_type() == at::kFloat && code.is_contiguous() && code.numel() == 16, op,
                ": the code (quant_map) must be 16 float32 values, got ", code.scalar_type(), " ", code.sizes());
}

at::Tensor dequantize4(const at::Tensor& packed, const at::Tensor& absmax, const at::Tensor& code, int64_t blocksize,
                       at::IntArrayRef shape, at::ScalarType dtype) {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    check_state("dequantize_4bit", packed, absmax, code, n, blocksize);
    at::Tensor out = at::empty(shape, at::TensorOptions().dtype(dtype));
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, dtype, "dequantize_4bit", [&] {
        const PairTable table(code.data_ptr<float>());
        dequant_range_parallel<scalar_t>(packed.data_ptr<uint8_t>(), absmax.data_ptr<float>(), table, blocksize, 0, n, out.data_ptr<scalar_t>());
    });
    return out;
}

std::pair<at::Tensor, at::Tensor> quantize8(const at::Tensor& a, const at::Tensor& code, int64_t blocksize) {
    QUANT_CHECK(a.defined() && at::isFloatingType(a.scalar_type()), "quantize_blockwise: the input must be a floating-point tensor");
    QUANT_CHECK(code.scalar_type() == at::kFloat && code.numel() == 256, "quantize_blockwise: the code must be 256 float32 values");
    check_blocksize(blocksize, false);
    at::Tensor x = a.to(at::kCPU, at::kFloat).contiguous().view(-1);
    at::Tensor c = code.contiguous();
    const int64_t n = x.numel(), blocks = (n + blocksize - 1) / blocksize;
    at::Tensor q = at::empty({n}, at::kByte);
    at::Tensor absmax = at::empty({blocks}, at::kFloat);
    const float *xp = x.data_ptr<float>(), *cp = c.data_ptr<float>();
    uint8_t* qp = q.data_ptr<uint8_t>();
    float* ap = absmax.data_ptr<float>();
    for_blocks(xp, n, blocksize, ap, [&](int64_t e0, int64_t e1, float inv) {
        for (int64_t e = e0; e < e1; e++) qp[e] = encode8(cp, xp[e] * inv);
    });
    return {q, absmax};
}

at::Tensor dequantize8(const at::Tensor& q, const at::Tensor& absmax, const at::Tensor& code, int64_t blocksize) {
    check_blocksize(blocksize, false);
    QUANT_CHECK(q.scalar_type() == at::kByte, "dequantize_blockwise: the quantized values must be uint8, got ", q.scalar_type());
    QUANT_CHECK(code.scalar_type() == at::kFloat && code.numel() == 256, "dequantize_blockwise: the code must be 256 float32 values");
    QUANT_CHECK(absmax.scalar_type() == at::kFloat && absmax.numel() == (q.numel() + blocksize - 1) / blocksize,
                "dequantize_blockwise: absmax must hold one float32 per block of ", blocksize, " (", (q.numel() + blocksize - 1) / blocksize,
                "), got ", absmax.scalar_type(), " ", absmax.sizes());
    at::Tensor qc = q.contiguous().view(-1), ac = absmax.contiguous(), cc = code.contiguous();
    at::Tensor out = at::empty({qc.numel()}, at::kFloat);
    const uint8_t* qp = qc.data_ptr<uint8_t>();
    const float *ap = ac.data_ptr<float>(), *cp = cc.data_ptr<float>();
    float* op = out.data_ptr<float>();
    for (int64_t e = 0; e < qc.numel(); e++) op[e] = cp[qp[e]] * ap[e / blocksize];
    return out.view(q.sizes());
}

// (q int8 (rows, cols), SCB float32 (rows)) of a 2-D weight.
std::pair<at::Tensor, at::Tensor> quantize_int8_rows(const at::Tensor& a) {
    QUANT_CHECK(a.defined() && at::isFloatingType(a.scalar_type()) && a.dim() == 2,
                "quantize_int8_rowwise: the input must be a 2-D floating-point tensor, got ", a.scalar_type(), " ", a.sizes());
    at::Tensor x = a.to(at::kCPU, at::kFloat).contiguous();
    const int64_t rows = x.size(0), cols = x.size(1);
    at::Tensor q = at::empty({rows, cols}, at::kChar);
    at::Tensor scb = at::empty({rows}, at::kFloat);
    const float* xp = x.data_ptr<float>();
    int8_t* qp = q.data_ptr<int8_t>();
    float* sp = scb.data_ptr<float>();
    at::parallel_for(0, rows, 4, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; r++) {
            const float* row = xp + r * cols;
            float m = 0;
            for (int64_t c = 0; c < cols; c++) m = std::max(m, std::fabs(row[c]));
            sp[r] = m;
            const float s = (1.0f / m) * 127.0f;   // PyTorch evaluates 127.0 / row_stats as reciprocal() * 127
            for (int64_t c = 0; c < cols; c++)
                qp[r * cols + c] = m == 0 ? 0 : static_cast<int8_t>(std::max(-127.0f, std::min(127.0f, std::nearbyint(row[c] * s))));
        }
    });
    return {q, scb};
}

constexpr float kInv127 = 7.874015718698502e-3f;

void check_int8_state(const char* op, const at::Tensor& q, const at::Tensor& scb, int64_t out_features, int64_t in_features) {
    QUANT_CHECK(q.scalar_type() == at::kChar && q.is_contiguous() && q.device().is_cpu() && q.numel() == out_features * in_features, op,
                ": the weight must be a contiguous int8 CPU tensor of ", out_features, " × ", in_features, " values, got ",
                q.scalar_type(), " ", q.sizes());
    QUANT_CHECK(scb.scalar_type() == at::kFloat && scb.is_contiguous() && scb.numel() == out_features, op,
                ": SCB must hold one float32 per output row (", out_features, "), got ", scb.scalar_type(), " ", scb.sizes());
}

// Writes rows [r0, r0 + rows) of the dequantized int8 weight into out.
template <typename scalar_t>
void dequant_int8_rows(const int8_t* q, const float* scb, int64_t cols, int64_t r0, int64_t rows, scalar_t* out) {
    for (int64_t r = 0; r < rows; r++) {
        const float s = scb[r0 + r];
        const int8_t* qr = q + (r0 + r) * cols;
        for (int64_t c = 0; c < cols; c++) out[r * cols + c] = static_cast<scalar_t>(static_cast<float>(qr[c]) * s * kInv127);
    }
}

at::Tensor dequantize_int8_rows(const at::Tensor& q, const at::Tensor& scb, at::ScalarType dtype) {
    QUANT_CHECK(q.dim() == 2, "dequantize_int8_rowwise: the weight must be 2-D, got ", q.sizes());
    check_int8_state("dequantize_int8_rowwise", q, scb, q.size(0), q.size(1));
    at::Tensor out = at::empty(q.sizes(), at::TensorOptions().dtype(dtype));
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, dtype, "dequantize_int8_rowwise", [&] {
        scalar_t* op = out.data_ptr<scalar_t>();
        at::parallel_for(0, q.size(0), 4, [&](int64_t a, int64_t b) {
            dequant_int8_rows<scalar_t>(q.data_ptr<int8_t>(), scb.data_ptr<float>(), q.size(1), a, b - a, op + a * q.size(1));
        });
    });
    return out;
}

// ---------------------------------------------------------------------------------------------------------------
// linear_4bit
// ---------------------------------------------------------------------------------------------------------------

// Scratch elements per tile: 1 Mi values (4 MiB in float32). The band of output rows has to be wide for the matmul
// to run at the speed of an unbanded one: with 128 input rows and 2 threads (OpenBLAS), a 1024 × 2816 weight's
// forward took 9.5 ms in bands of 93 rows (256 Ki values), 5.8 ms in bands of 372 and 4.9 ms unbanded; a 2816 × 1024
// one 6.2, 5.0 and 4.5 ms. The backward's bands (g·W, accumulated) ran at the unbanded speed at any of these sizes.
constexpr int64_t kTileElements = int64_t{1} << 20;

// The calling thread's scratch for dequantized tiles, at least rows × cols elements of the options' dtype: one buffer
// kept per thread and dtype rather than a fresh 4 MiB block each call, which the heap would hand out again in pieces
// between the activations a training step keeps. A tile is only read inside the call that fills it.
at::Tensor tile_scratch(int64_t rows, int64_t cols, const at::TensorOptions& options) {
    thread_local at::Tensor cached[3];   // float32, bfloat16, float16
    const auto dtype = options.dtype().toScalarType();
    const int slot = dtype == at::kFloat ? 0 : dtype == at::kBFloat16 ? 1 : dtype == at::kHalf ? 2 : -1;
    if (slot < 0) return at::empty({rows, cols}, options);   // float64: tests only
    at::Tensor& buffer = cached[slot];
    if (!buffer.defined() || buffer.numel() < rows * cols) buffer = at::empty({std::max(rows * cols, kTileElements)}, options);
    return buffer.narrow(0, 0, rows * cols).view({rows, cols});
}

int64_t tile_rows(int64_t out_features, int64_t in_features) {
    return std::max<int64_t>(1, std::min<int64_t>(out_features, kTileElements / std::max<int64_t>(1, in_features)));
}

// blocksize 0 marks an int8 per-row weight (packed int8 (out, in), absmax = SCB, no code); otherwise a 4-bit one.
constexpr int64_t kInt8Rows = 0;

// Dequantizes weight rows [r0, r0 + rows) into scratch (rows, in) of scratch's dtype. table: the 4-bit code's pair
// table (null for an int8 weight).
void dequant_rows(const at::Tensor& packed, const at::Tensor& absmax, const PairTable* table, int64_t blocksize,
                  int64_t in_features, int64_t r0, int64_t rows, at::Tensor& scratch) {
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kBFloat16, at::kHalf, scratch.scalar_type(), "linear_quant", [&] {
        scalar_t* sp = scratch.data_ptr<scalar_t>();
        const float* ap = absmax.data_ptr<float>();
        if (blocksize == kInt8Rows) {
            const int8_t* qp = packed.data_ptr<int8_t>();
            at::parallel_for(0, rows, 4, [&](int64_t a, int64_t b) {
                dequant_int8_rows<scalar_t>(qp, ap, in_features, r0 + a, b - a, sp + a * in_features);
            });
            return;
        }
        dequant_range_parallel<scalar_t>(packed.data_ptr<uint8_t>(), ap, *table, blocksize, r0 * in_features, rows * in_features, sp);
    });
}

// The pair table of a 4-bit weight's code, or null for an int8 weight.
std::unique_ptr<PairTable> pair_table(const at::Tensor& code, int64_t blocksize) {
    return blocksize == kInt8Rows ? nullptr : std::make_unique<PairTable>(code.data_ptr<float>());
}

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

// LinearQuant's flags (bits): the caller never reads the output's values; keep the product for a checkpoint's rerun.
constexpr int64_t kValueUnused = 1, kKeepForRerun = 2;

// The linear layer over a frozen quantized weight: 4-bit (blocksize > 0) or int8 per row (blocksize kInt8Rows).
struct LinearQuant : Function<LinearQuant> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& packed, const at::Tensor& absmax,
                              const at::Tensor& code, c10::optional<at::Tensor> bias, int64_t out_features, int64_t in_features,
                              int64_t blocksize, int64_t flags) {
        const char* op = blocksize == kInt8Rows ? "linear_8bit" : "linear_4bit";
        QUANT_CHECK(out_features > 0 && in_features > 0, op, ": out_features and in_features must be positive, got ",
                    out_features, " and ", in_features);
        if (blocksize == kInt8Rows) check_int8_state(op, packed, absmax, out_features, in_features);
        else check_state(op, packed, absmax, code, out_features * in_features, blocksize);
        QUANT_CHECK(x.defined() && at::isFloatingType(x.scalar_type()) && x.device().is_cpu(),
                    op, ": x must be a floating-point CPU tensor");
        QUANT_CHECK(x.dim() >= 1 && x.size(-1) == in_features, op, ": x shape ", x.sizes(), " must end in in_features = ", in_features);
        at::Tensor b = bias.has_value() ? *bias : at::Tensor();
        if (b.defined())
            QUANT_CHECK(b.dim() == 1 && b.size(0) == out_features, op, ": bias must have shape [", out_features, "], got ", b.sizes());

        std::vector<int64_t> out_shape(x.sizes().begin(), x.sizes().end());
        out_shape.back() = out_features;
        ctx->save_for_backward({packed, absmax, code});
        ctx->saved_data["shape"] = std::vector<int64_t>{out_features, in_features, blocksize};
        ctx->saved_data["has_bias"] = b.defined();
        // The caller reads only the gradient this node passes back, not the output (a checkpoint's recomputation of
        // the block's last projection): zeros of the output's shape, the backward unchanged.
        if (flags & kValueUnused) return at::zeros(out_shape, x.options());
        // Kept for the rerun: inside a checkpointed body the forward puts the product on the body's tape and the rerun
        // takes it back instead of dequantizing and multiplying again (checkpoint.h); no-op outside a body. The caller
        // must not change the product in place.
        checkpoint::RerunTape* tape = (flags & kKeepForRerun) ? checkpoint::current_tape() : nullptr;
        if (tape != nullptr && tape->replaying()) return tape->take_value(out_shape).detach();

        at::Tensor x2 = x.reshape({-1, in_features}).contiguous();
        const int64_t N = x2.size(0), tr = tile_rows(out_features, in_features);
        const auto table = pair_table(code, blocksize);
        at::Tensor y = at::empty({N, out_features}, x2.options());
        at::Tensor scratch = tile_scratch(tr, in_features, x2.options());
        for (int64_t r0 = 0; r0 < out_features; r0 += tr) {
            const int64_t rows = std::min(tr, out_features - r0);
            at::Tensor s = scratch.narrow(0, 0, rows);
            dequant_rows(packed, absmax, table.get(), blocksize, in_features, r0, rows, s);
            at::Tensor o = y.narrow(1, r0, rows);
            at::mm_out(o, x2, s.t());   // straight into y's columns (a row stride the matmul takes)
        }
        if (b.defined()) y.add_(b.to(y.scalar_type()));
        if (tape != nullptr) tape->keep_value(y.view(out_shape));
        return y.view(out_shape);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &packed = saved[0], &absmax = saved[1], &code = saved[2];
        auto dims = ctx->saved_data["shape"].toIntVector();
        const int64_t out_features = dims[0], in_features = dims[1], blocksize = dims[2];
        at::Tensor g2 = grads[0].reshape({-1, out_features}).contiguous();
        at::Tensor gx, gb;
        if (ctx->needs_input_grad(0)) {
            const int64_t tr = tile_rows(out_features, in_features);
            std::vector<int64_t> x_shape(grads[0].sizes().begin(), grads[0].sizes().end());
            x_shape.back() = in_features;
            const auto table = pair_table(code, blocksize);
            gx = at::empty({g2.size(0), in_features}, g2.options());
            at::Tensor scratch = tile_scratch(tr, in_features, g2.options());
            for (int64_t r0 = 0; r0 < out_features; r0 += tr) {
                const int64_t rows = std::min(tr, out_features - r0);
                at::Tensor s = scratch.narrow(0, 0, rows);
                dequant_rows(packed, absmax, table.get(), blocksize, in_features, r0, rows, s);
                if (r0 == 0) at::mm_out(gx, g2.narrow(1, r0, rows), s);   // gx = g[:, band] · W[band, :]
                else gx.addmm_(g2.narrow(1, r0, rows), s);                // gx += ...
            }
            gx = gx.view(x_shape);
        }
        if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(4)) gb = g2.sum(0);
        return {gx, at::Tensor(), at::Tensor(), at::Tensor(), gb, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace quant
}  // namespace atg

using namespace atg::quant;

// type: 0 = nf4, 1 = fp4, 2 = the 8-bit dynamic map.
ATG_API Handle atg_quant_code(int type) {
    GUARD_T(([&] {
        QUANT_CHECK(type >= 0 && type <= 2, "quant_code: unknown type ", type, " (0 = nf4, 1 = fp4, 2 = dynamic 8-bit)");
        return type == 2 ? dynamic_map() : code4(type);
    })())
}

ATG_API int atg_quantize_4bit(Handle a, int64_t blocksize, int type, Handle* packed, Handle* absmax) {
    GUARD_V(auto [p, m] = quantize4(ref(a), blocksize, type); *packed = atg::wrap(p); *absmax = atg::wrap(m);)
}

ATG_API Handle atg_dequantize_4bit(Handle packed, Handle absmax, Handle code, int64_t blocksize, const int64_t* shape, int ndim, int dtype) {
    GUARD_T(dequantize4(ref(packed), ref(absmax), ref(code), blocksize, atg::dims(shape, ndim), static_cast<at::ScalarType>(dtype)))
}

ATG_API int atg_quantize_blockwise(Handle a, Handle code, int64_t blocksize, Handle* q, Handle* absmax) {
    GUARD_V(auto [qq, m] = quantize8(ref(a), ref(code), blocksize); *q = atg::wrap(qq); *absmax = atg::wrap(m);)
}

ATG_API Handle atg_dequantize_blockwise(Handle q, Handle absmax, Handle code, int64_t blocksize) {
    GUARD_T(dequantize8(ref(q), ref(absmax), ref(code), blocksize))
}

// bias may be nullptr. flags: 1 when the caller uses only the result's gradient path, never its values (the result is
// then zeros); 2 to keep the product for a checkpointed body's rerun (see LinearQuant::forward).
ATG_API Handle atg_linear_4bit(Handle x, Handle packed, Handle absmax, Handle code, Handle bias, int64_t out_features,
                               int64_t in_features, int64_t blocksize, int flags) {
    GUARD_T(([&] {
        c10::optional<at::Tensor> b;
        if (bias != nullptr) b = ref(bias);
        QUANT_CHECK(blocksize != kInt8Rows, "linear_4bit: blocksize must be positive");
        return LinearQuant::apply(ref(x), ref(packed), ref(absmax), ref(code), b, out_features, in_features, blocksize,
                                  static_cast<int64_t>(flags));
    })())
}

ATG_API int atg_quantize_int8_rowwise(Handle a, Handle* q, Handle* scb) {
    GUARD_V(auto [qq, s] = quantize_int8_rows(ref(a)); *q = atg::wrap(qq); *scb = atg::wrap(s);)
}

ATG_API Handle atg_dequantize_int8_rowwise(Handle q, Handle scb, int dtype) {
    GUARD_T(dequantize_int8_rows(ref(q), ref(scb), static_cast<at::ScalarType>(dtype)))
}

// bias may be nullptr; flags as for atg_linear_4bit.
ATG_API Handle atg_linear_8bit(Handle x, Handle q, Handle scb, Handle bias, int64_t out_features, int64_t in_features, int flags) {
    GUARD_T(([&] {
        c10::optional<at::Tensor> b;
        if (bias != nullptr) b = ref(bias);
        // no code table for int8; an empty tensor stands in (custom functions take no undefined tensor arguments)
        return LinearQuant::apply(ref(x), ref(q), ref(scb), at::empty({0}, at::kFloat), b, out_features, in_features, kInt8Rows,
                                  static_cast<int64_t>(flags));
    })())
}
