// Elementwise arithmetic, comparisons, reductions, shape operations and linear algebra.
#include "common.h"
#include "op_codes.h"

using atg::Handle;
using atg::ref;

namespace {

// A double from C# becomes an integer Scalar when the tensor is integral and the value whole,
// so int64 + 1 stays int64 as it would in PyTorch.
at::Scalar scalar_for(const at::Tensor& t, double v) {
    if (at::isIntegralType(t.scalar_type(), /*includeBool=*/true) && v == static_cast<double>(static_cast<int64_t>(v)))
        return at::Scalar(static_cast<int64_t>(v));
    return at::Scalar(v);
}

#define ATG_ENUM_ROW(name, code) name = code,
enum Unary { ATG_UNARY_OPS(ATG_ENUM_ROW) };

at::Tensor unary(const at::Tensor& x, int op) {
    switch (op) {
        case NEG: return at::neg(x);
        case EXP: return at::exp(x);
        case LOG: return at::log(x);
        case SQRT: return at::sqrt(x);
        case RSQRT: return at::rsqrt(x);
        case TANH: return at::tanh(x);
        case SIGMOID: return at::sigmoid(x);
        case SILU: return at::silu(x);
        case GELU: return at::gelu(x, "none");
        case GELU_TANH: return at::gelu(x, "tanh");
        case LOGSIGMOID: return at::log_sigmoid(x);
        case ABS: return at::abs(x);
        case RELU: return at::relu(x);
        case SIN: return at::sin(x);
        case COS: return at::cos(x);
        case LOG1P: return at::log1p(x);
        case EXPM1: return at::expm1(x);
        case SIGN: return at::sign(x);
        case FLOOR: return at::floor(x);
        case CEIL: return at::ceil(x);
        case ROUND: return at::round(x);
        case LOGICAL_NOT: return at::logical_not(x);
        case RECIPROCAL: return at::reciprocal(x);
        case SQUARE: return at::square(x);
        case ISNAN: return at::isnan(x);
        case ISINF: return at::isinf(x);
        default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
    }
}

enum Binary { ATG_BINARY_OPS(ATG_ENUM_ROW) };

at::Tensor binary(const at::Tensor& a, const at::Tensor& b, int op) {
    switch (op) {
        case ADD: return at::add(a, b);
        case SUB: return at::sub(a, b);
        case MUL: return at::mul(a, b);
        case DIV: return at::div(a, b);
        case POW: return at::pow(a, b);
        case EQ: return at::eq(a, b);
        case NE: return at::ne(a, b);
        case LT: return at::lt(a, b);
        case LE: return at::le(a, b);
        case GT: return at::gt(a, b);
        case GE: return at::ge(a, b);
        case MAXIMUM: return at::maximum(a, b);
        case MINIMUM: return at::minimum(a, b);
        case LOGICAL_AND: return at::logical_and(a, b);
        case LOGICAL_OR: return at::logical_or(a, b);
        case REMAINDER: return at::remainder(a, b);
        case FLOOR_DIVIDE: return at::div(a, b, "floor");
        default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
    }
}

void binary_(at::Tensor& a, const at::Tensor& b, int op) {
    switch (op) {
        case ADD: a.add_(b); return;
        case SUB: a.sub_(b); return;
        case MUL: a.mul_(b); return;
        case DIV: a.div_(b); return;
        case POW: a.pow_(b); return;
        case MAXIMUM: a.copy_(at::maximum(a, b)); return;
        case MINIMUM: a.copy_(at::minimum(a, b)); return;
        default: throw std::invalid_argument("binary op " + std::to_string(op) + " has no in-place form");
    }
}

enum ScalarOnly { ATG_SCALAR_ONLY_OPS(ATG_ENUM_ROW) };
#undef ATG_ENUM_ROW

at::Tensor binary_scalar(const at::Tensor& a, double v, int op) {
    at::Scalar s = scalar_for(a, v);
    switch (op) {
        case ADD: return at::add(a, s);
        case SUB: return at::sub(a, s);
        case MUL: return at::mul(a, s);
        case DIV: return at::div(a, s);
        case POW: return at::pow(a, s);
        case EQ: return at::eq(a, s);
        case NE: return at::ne(a, s);
        case LT: return at::lt(a, s);
        case LE: return at::le(a, s);
        case GT: return at::gt(a, s);
        case GE: return at::ge(a, s);
        case MAXIMUM: return at::clamp_min(a, s);
        case MINIMUM: return at::clamp_max(a, s);
        case REMAINDER: return at::remainder(a, s);
        case FLOOR_DIVIDE: return at::div(a, at::scalar_tensor(s, a.options().requires_grad(false)), "floor");
        case RSUB: return at::rsub(a, s);
        case RDIV: return at::mul(at::reciprocal(a), s);
        case RPOW: return at::pow(s, a);
        default: throw std::invalid_argument("unknown scalar op " + std::to_string(op));
    }
}

void binary_scalar_(at::Tensor& a, double v, int op) {
    at::Scalar s = scalar_for(a, v);
    switch (op) {
        case ADD: a.add_(s); return;
        case SUB: a.sub_(s); return;
        case MUL: a.mul_(s); return;
        case DIV: a.div_(s); return;
        case POW: a.pow_(s); return;
        case MAXIMUM: a.clamp_min_(s); return;
        case MINIMUM: a.clamp_max_(s); return;
        default: throw std::invalid_argument("scalar op " + std::to_string(op) + " has no in-place form");
    }
}

c10::optional<at::ScalarType> maybe_dtype(int dtype) {
    if (dtype < 0) return c10::nullopt;
    return static_cast<at::ScalarType>(dtype);
}

}  // namespace

// ---- elementwise ----

ATG_API Handle atg_tensor_unary(Handle t, int op) { GUARD_T(unary(ref(t), op)) }

ATG_API Handle atg_tensor_binary(Handle a, Handle b, int op) { GUARD_T(binary(ref(a), ref(b), op)) }

ATG_API int atg_tensor_binary_(Handle a, Handle b, int op) {
    GUARD_V(at::Tensor x = ref(a); binary_(x, ref(b), op);)
}

ATG_API Handle atg_tensor_binary_scalar(Handle a, double v, int op) { GUARD_T(binary_scalar(ref(a), v, op)) }

ATG_API int atg_tensor_binary_scalar_(Handle a, double v, int op) {
    GUARD_V(at::Tensor x = ref(a); binary_scalar_(x, v, op);)
}

// a + alpha * b as a new tensor (nullptr on error).
ATG_API Handle atg_tensor_add_scaled(Handle a, Handle b, double alpha) { GUARD_T(at::add(ref(a), ref(b), alpha)) }

// a += alpha * b in place (0, or -1 on error).
ATG_API int atg_tensor_add_scaled_(Handle a, Handle b, double alpha) { GUARD_V(ref(a).add_(ref(b), alpha);) }

// The name of an op code in op_codes.h (kind 0: unary, 1: binary or scalar-only), or nullptr for an unknown code.
// The string is static: the caller must not free it.
ATG_API const char* atg_op_name(int kind, int code) {
#define ATG_NAME_ROW(name, value) if (code == (value)) return #name;
    if (kind == 0) { ATG_UNARY_OPS(ATG_NAME_ROW) }
    if (kind == 1) { ATG_BINARY_OPS(ATG_NAME_ROW) ATG_SCALAR_ONLY_OPS(ATG_NAME_ROW) }
#undef ATG_NAME_ROW
    return nullptr;
}

ATG_API Handle atg_tensor_clamp(Handle t, double min, int has_min, double max, int has_max) {
    GUARD_T(([&] {
        c10::optional<at::Scalar> lo, hi;
        if (has_min) lo = scalar_for(ref(t), min);
        if (has_max) hi = scalar_for(ref(t), max);
        return at::clamp(ref(t), lo, hi);
    })())
}

ATG_API Handle atg_tensor_softplus(Handle t, double beta, double threshold) { GUARD_T(at::softplus(ref(t), beta, threshold)) }

ATG_API Handle atg_tensor_where(Handle cond, Handle a, Handle b) { GUARD_T(at::where(ref(cond), ref(a), ref(b))) }

ATG_API Handle atg_tensor_masked_fill(Handle t, Handle mask, double value) {
    GUARD_T(ref(t).masked_fill(ref(mask), scalar_for(ref(t), value)))
}

ATG_API int atg_tensor_masked_fill_(Handle t, Handle mask, double value) {
    GUARD_V(ref(t).masked_fill_(ref(mask), scalar_for(ref(t), value));)
}

ATG_API Handle atg_tensor_tril(Handle t, int64_t diagonal) { GUARD_T(at::tril(ref(t), diagonal)) }
ATG_API Handle atg_tensor_triu(Handle t, int64_t diagonal) { GUARD_T(at::triu(ref(t), diagonal)) }

// ---- reductions ----

// nd == 0 reduces over every dimension (keeping them all as size 1 when keepdim).
static std::vector<int64_t> reduce_dims(const at::Tensor& t, const int64_t* d, int nd) {
    if (nd > 0) return std::vector<int64_t>(d, d + nd);
    std::vector<int64_t> all(static_cast<size_t>(t.dim()));
    for (int64_t i = 0; i < t.dim(); i++) all[static_cast<size_t>(i)] = i;
    return all;
}

ATG_API Handle atg_tensor_sum(Handle t, const int64_t* d, int nd, int keepdim, int dtype) {
    GUARD_T(nd == 0 && !keepdim ? at::sum(ref(t), maybe_dtype(dtype)) : at::sum(ref(t), reduce_dims(ref(t), d, nd), keepdim != 0, maybe_dtype(dtype)))
}

ATG_API Handle atg_tensor_mean(Handle t, const int64_t* d, int nd, int keepdim, int dtype) {
    GUARD_T(nd == 0 && !keepdim ? at::mean(ref(t), maybe_dtype(dtype)) : at::mean(ref(t), reduce_dims(ref(t), d, nd), keepdim != 0, maybe_dtype(dtype)))
}

ATG_API Handle atg_tensor_var(Handle t, const int64_t* d, int nd, int64_t correction, int keepdim) {
    GUARD_T(([&] {
        at::OptionalIntArrayRef dims = nd == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(atg::dims(d, nd));
        return at::var(ref(t), dims, c10::optional<int64_t>(correction), keepdim != 0);
    })())
}

ATG_API Handle atg_tensor_logsumexp(Handle t, const int64_t* d, int nd, int keepdim) {
    GUARD_T(at::logsumexp(ref(t), atg::dims(d, nd), keepdim != 0))
}

ATG_API Handle atg_tensor_norm(Handle t, double p, const int64_t* d, int nd, int keepdim) {
    GUARD_T(nd == 0 ? at::norm(ref(t), p) : at::norm(ref(t), p, atg::dims(d, nd), keepdim != 0))
}

ATG_API Handle atg_tensor_max_all(Handle t) { GUARD_T(at::max(ref(t))) }
ATG_API Handle atg_tensor_min_all(Handle t) { GUARD_T(at::min(ref(t))) }

// Max/min along a dimension: values and indices.
ATG_API int atg_tensor_max_dim(Handle t, int64_t dim, int keepdim, Handle* values, Handle* indices) {
    GUARD_V(auto r = at::max(ref(t), dim, keepdim != 0); *values = atg::wrap(std::get<0>(r)); *indices = atg::wrap(std::get<1>(r));)
}

ATG_API int atg_tensor_min_dim(Handle t, int64_t dim, int keepdim, Handle* values, Handle* indices) {
    GUARD_V(auto r = at::min(ref(t), dim, keepdim != 0); *values = atg::wrap(std::get<0>(r)); *indices = atg::wrap(std::get<1>(r));)
}

ATG_API Handle atg_tensor_argmax(Handle t, int64_t dim, int has_dim, int keepdim) {
    GUARD_T(has_dim ? at::argmax(ref(t), dim, keepdim != 0) : at::argmax(ref(t)))
}

ATG_API Handle atg_tensor_argmin(Handle t, int64_t dim, int has_dim, int keepdim) {
    GUARD_T(has_dim ? at::argmin(ref(t), dim, keepdim != 0) : at::argmin(ref(t)))
}

ATG_API Handle atg_tensor_cumsum(Handle t, int64_t dim, int dtype) { GUARD_T(at::cumsum(ref(t), dim, maybe_dtype(dtype))) }

ATG_API Handle atg_tensor_all(Handle t) { GUARD_T(at::all(ref(t))) }
ATG_API Handle atg_tensor_any(Handle t) { GUARD_T(at::any(ref(t))) }

ATG_API int atg_tensor_topk(Handle t, int64_t k, int64_t dim, int largest, int sorted, Handle* values, Handle* indices) {
    GUARD_V(auto r = at::topk(ref(t), k, dim, largest != 0, sorted != 0); *values = atg::wrap(std::get<0>(r)); *indices = atg::wrap(std::get<1>(r));)
}

ATG_API int atg_tensor_sort(Handle t, int64_t dim, int descending, Handle* values, Handle* indices) {
    GUARD_V(auto r = at::sort(ref(t), dim, descending != 0); *values = atg::wrap(std::get<0>(r)); *indices = atg::wrap(std::get<1>(r));)
}

// Thin SVD A = U·diag(S)·Vh (torch.linalg.svd, full_matrices false): U (m, k), S (k), Vh (k, n), k = min(m, n).
ATG_API int atg_linalg_svd(Handle t, Handle* u, Handle* s, Handle* vh) {
    GUARD_V(auto r = at::linalg_svd(ref(t), false); *u = atg::wrap(std::get<0>(r)); *s = atg::wrap(std::get<1>(r)); *vh = atg::wrap(std::get<2>(r));)
}

// Reduced QR A = Q·R (torch.linalg.qr, mode "reduced"): Q (m, k), R (k, n), k = min(m, n).
ATG_API int atg_linalg_qr(Handle t, Handle* q, Handle* r) {
    GUARD_V(auto res = at::linalg_qr(ref(t), "reduced"); *q = atg::wrap(std::get<0>(res)); *r = atg::wrap(std::get<1>(res));)
}

ATG_API Handle atg_tensor_multinomial(Handle probs, int64_t n, int replacement, void* gen) {
    GUARD_T(at::multinomial(ref(probs), n, replacement != 0, atg::generator(gen)))
}

// ---- shape ----

ATG_API Handle atg_tensor_view(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).view(atg::dims(s, n))) }
ATG_API Handle atg_tensor_reshape(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).reshape(atg::dims(s, n))) }
ATG_API Handle atg_tensor_permute(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).permute(atg::dims(s, n))) }
ATG_API Handle atg_tensor_expand(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).expand(atg::dims(s, n))) }
ATG_API Handle atg_tensor_repeat(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).repeat(atg::dims(s, n))) }
ATG_API Handle atg_tensor_flip(Handle t, const int64_t* s, int n) { GUARD_T(ref(t).flip(atg::dims(s, n))) }
ATG_API Handle atg_tensor_transpose(Handle t, int64_t d0, int64_t d1) { GUARD_T(ref(t).transpose(d0, d1)) }
ATG_API Handle atg_tensor_flatten(Handle t, int64_t start, int64_t end) { GUARD_T(ref(t).flatten(start, end)) }
ATG_API Handle atg_tensor_narrow(Handle t, int64_t dim, int64_t start, int64_t length) { GUARD_T(ref(t).narrow(dim, start, length)) }
ATG_API Handle atg_tensor_select(Handle t, int64_t dim, int64_t index) { GUARD_T(ref(t).select(dim, index)) }

ATG_API Handle atg_tensor_slice(Handle t, int64_t dim, int64_t start, int64_t end, int64_t step) {
    GUARD_T(ref(t).slice(dim, start, end, step))
}

ATG_API Handle atg_tensor_squeeze(Handle t, int64_t dim, int has_dim) { GUARD_T(has_dim ? ref(t).squeeze(dim) : ref(t).squeeze()) }
ATG_API Handle atg_tensor_unsqueeze(Handle t, int64_t dim) { GUARD_T(ref(t).unsqueeze(dim)) }

ATG_API Handle atg_tensor_index_select(Handle t, int64_t dim, Handle index) { GUARD_T(at::index_select(ref(t), dim, ref(index))) }
ATG_API Handle atg_tensor_gather(Handle t, int64_t dim, Handle index) { GUARD_T(at::gather(ref(t), dim, ref(index))) }
ATG_API Handle atg_tensor_scatter(Handle t, int64_t dim, Handle index, Handle src) { GUARD_T(at::scatter(ref(t), dim, ref(index), ref(src))) }
ATG_API Handle atg_tensor_scatter_add(Handle t, int64_t dim, Handle index, Handle src) { GUARD_T(at::scatter_add(ref(t), dim, ref(index), ref(src))) }
ATG_API Handle atg_tensor_masked_select(Handle t, Handle mask) { GUARD_T(at::masked_select(ref(t), ref(mask))) }
ATG_API Handle atg_tensor_nonzero(Handle t) { GUARD_T(at::nonzero(ref(t))) }

ATG_API Handle atg_tensor_repeat_interleave(Handle t, int64_t repeats, int64_t dim) { GUARD_T(at::repeat_interleave(ref(t), repeats, dim)) }
ATG_API Handle atg_tensor_repeat_interleave_tensor(Handle t, Handle repeats, int64_t dim) { GUARD_T(at::repeat_interleave(ref(t), ref(repeats), dim)) }

ATG_API Handle atg_tensor_cat(Handle* ts, int n, int64_t dim) { GUARD_T(at::cat(atg::tensors(ts, n), dim)) }
ATG_API Handle atg_tensor_stack(Handle* ts, int n, int64_t dim) { GUARD_T(at::stack(atg::tensors(ts, n), dim)) }

ATG_API int atg_tensor_split(Handle t, int64_t size, int64_t dim, Handle* out, int cap) {
    GUARD(-1, return atg::write_list(at::split(ref(t), size, dim), out, cap);)
}

ATG_API int atg_tensor_split_sizes(Handle t, const int64_t* sizes, int n, int64_t dim, Handle* out, int cap) {
    GUARD(-1, return atg::write_list(at::split_with_sizes(ref(t), atg::dims(sizes, n), dim), out, cap);)
}

ATG_API int atg_tensor_chunk(Handle t, int64_t chunks, int64_t dim, Handle* out, int cap) {
    GUARD(-1, return atg::write_list(at::chunk(ref(t), chunks, dim), out, cap);)
}

// ---- linear algebra ----

ATG_API Handle atg_tensor_matmul(Handle a, Handle b) { GUARD_T(at::matmul(ref(a), ref(b))) }
ATG_API Handle atg_tensor_mm(Handle a, Handle b) { GUARD_T(at::mm(ref(a), ref(b))) }
ATG_API Handle atg_tensor_bmm(Handle a, Handle b) { GUARD_T(at::bmm(ref(a), ref(b))) }

ATG_API Handle atg_tensor_linear(Handle x, Handle w, Handle b) {
    GUARD_T(b == nullptr ? at::linear(ref(x), ref(w)) : at::linear(ref(x), ref(w), ref(b)))
}
