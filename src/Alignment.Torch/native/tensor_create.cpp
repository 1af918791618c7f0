// Tensor lifetime, creation, metadata and data transfer.
#include "common.h"

#include <cstring>

using atg::Handle;

ATG_API void atg_tensor_free(Handle t) {
    if (t == nullptr) return;
    delete t;
    atg::live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

// A new handle to the same tensor (shares storage and autograd identity).
ATG_API Handle atg_tensor_alias(Handle t) { GUARD_T(atg::ref(t)) }

ATG_API Handle atg_tensor_empty(const int64_t* shape, int ndim, int dtype, int dev, int idx, int rg) {
    GUARD_T(atg::with_grad(at::empty(atg::dims(shape, ndim), atg::options(dtype, dev, idx)), rg))
}

ATG_API Handle atg_tensor_zeros(const int64_t* shape, int ndim, int dtype, int dev, int idx, int rg) {
    GUARD_T(atg::with_grad(at::zeros(atg::dims(shape, ndim), atg::options(dtype, dev, idx)), rg))
}

ATG_API Handle atg_tensor_ones(const int64_t* shape, int ndim, int dtype, int dev, int idx, int rg) {
    GUARD_T(atg::with_grad(at::ones(atg::dims(shape, ndim), atg::options(dtype, dev, idx)), rg))
}

ATG_API Handle atg_tensor_full(const int64_t* shape, int ndim, double value, int dtype, int dev, int idx, int rg) {
    GUARD_T(atg::with_grad(at::full(atg::dims(shape, ndim), value, atg::options(dtype, dev, idx)), rg))
}

ATG_API Handle atg_tensor_arange(double start, double end, double step, int dtype, int dev, int idx, int rg) {
    GUARD_T(atg::with_grad(at::arange(start, end, step, atg::options(dtype, dev, idx)), rg))
}

// Copies nbytes from data (host memory laid out row-major with the given dtype) into a new tensor.
ATG_API Handle atg_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape, int ndim, int dtype,
                                    int dev, int idx, int rg) {
    GUARD_T(([&] {
        auto opts = at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype));
        at::Tensor t = at::empty(atg::dims(shape, ndim), opts);
        int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
        if (expected != nbytes)
            throw std::invalid_argument("data has " + std::to_string(nbytes) + " bytes but shape " +
                                        c10::str(t.sizes()) + " of " + std::string(c10::toString(t.scalar_type())) +
                                        " needs " + std::to_string(expected));
        if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
        if (dev != 0) t = t.to(atg::device(dev, idx));
        if (rg != 0) t.requires_grad_(true);
        return t;
    })())
}

ATG_API Handle atg_tensor_randn(const int64_t* shape, int ndim, void* gen, int dtype, int dev, int idx, int rg) {
    // Random numbers are drawn on the CPU generator so a seed gives the same values on every device.
    GUARD_T(([&] {
        auto t = at::randn(atg::dims(shape, ndim), atg::generator(gen), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
        if (dev != 0) t = t.to(atg::device(dev, idx));
        return rg ? t.requires_grad_(true) : t;
    })())
}

ATG_API Handle atg_tensor_rand(const int64_t* shape, int ndim, void* gen, int dtype, int dev, int idx, int rg) {
    GUARD_T(([&] {
        auto t = at::rand(atg::dims(shape, ndim), atg::generator(gen), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
        if (dev != 0) t = t.to(atg::device(dev, idx));
        return rg ? t.requires_grad_(true) : t;
    })())
}

ATG_API Handle atg_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int ndim, void* gen, int dtype, int dev, int idx) {
    GUARD_T(([&] {
        auto t = at::randint(low, high, atg::dims(shape, ndim), atg::generator(gen), at::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)));
        if (dev != 0) t = t.to(atg::device(dev, idx));
        return t;
    })())
}

// In place: normal_/uniform_ with a generator (used by parameter initialization).
ATG_API int atg_tensor_normal_(Handle t, double mean, double std, void* gen) {
    GUARD_V(at::NoGradGuard g; atg::ref(t).normal_(mean, std, atg::generator(gen));)
}

ATG_API int atg_tensor_uniform_(Handle t, double from, double to, void* gen) {
    GUARD_V(at::NoGradGuard g; atg::ref(t).uniform_(from, to, atg::generator(gen));)
}

// ---- metadata ----

ATG_API int atg_tensor_ndim(Handle t) { GUARD(-1, return static_cast<int>(atg::ref(t).dim());) }

ATG_API int atg_tensor_shape(Handle t, int64_t* out, int cap) {
    GUARD(-1,
        auto s = atg::ref(t).sizes();
        if (static_cast<int>(s.size()) > cap) throw std::length_error("shape buffer too small");
        for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
        return static_cast<int>(s.size());
    )
}

ATG_API int atg_tensor_dtype(Handle t) { GUARD(-1, return static_cast<int>(atg::ref(t).scalar_type());) }

ATG_API int atg_tensor_device(Handle t, int* index) {
    GUARD(-1,
        auto d = atg::ref(t).device();
        *index = d.has_index() ? d.index() : (d.is_cuda() ? 0 : -1);
        if (d.is_cpu()) return 0;
        if (d.is_cuda()) return 1;
        throw std::invalid_argument("unsupported device " + d.str());
    )
}

ATG_API int64_t atg_tensor_numel(Handle t) { GUARD(-1, return atg::ref(t).numel();) }

ATG_API int atg_tensor_is_contiguous(Handle t) { GUARD(-1, return atg::ref(t).is_contiguous() ? 1 : 0;) }

ATG_API int atg_tensor_element_size(Handle t) { GUARD(-1, return static_cast<int>(atg::ref(t).element_size());) }

// Pointer to the first element of a CPU tensor (for zero-copy reads of contiguous tensors).
ATG_API void* atg_tensor_data_ptr(Handle t) {
    GUARD(nullptr,
        const auto& x = atg::ref(t);
        if (!x.device().is_cpu()) throw std::invalid_argument("data_ptr needs a CPU tensor; call .cpu() first");
        return x.data_ptr();
    )
}

// Copies the tensor (any device, any layout) into dst as contiguous host memory of its own dtype.
ATG_API int atg_tensor_copy_to(Handle t, void* dst, int64_t nbytes) {
    GUARD_V(
        at::Tensor x = atg::ref(t).detach().to(at::kCPU).contiguous();
        int64_t need = x.numel() * static_cast<int64_t>(x.element_size());
        if (need != nbytes)
            throw std::invalid_argument("destination has " + std::to_string(nbytes) + " bytes, tensor needs " + std::to_string(need));
        if (need > 0) std::memcpy(dst, x.data_ptr(), static_cast<size_t>(need));
    )
}

ATG_API int atg_tensor_item_double(Handle t, double* out) {
    GUARD_V(*out = atg::ref(t).item<double>();)
}

ATG_API int atg_tensor_item_int64(Handle t, int64_t* out) {
    GUARD_V(*out = atg::ref(t).item<int64_t>();)
}

// Human-readable rendering (torch's printer), malloc'ed.
ATG_API char* atg_tensor_to_string(Handle t) {
    GUARD(nullptr,
        std::ostringstream os;
        os << atg::ref(t);
        std::string s = os.str();
        char* p = static_cast<char*>(std::malloc(s.size() + 1));
        std::memcpy(p, s.c_str(), s.size() + 1);
        return p;
    )
}

// ---- conversion ----

ATG_API Handle atg_tensor_to(Handle t, int dtype, int dev, int idx, int copy) {
    GUARD_T(([&] {
        const auto& x = atg::ref(t);
        auto st = dtype < 0 ? x.scalar_type() : static_cast<at::ScalarType>(dtype);
        auto d = dev < 0 ? x.device() : atg::device(dev, idx);
        return x.to(d, st, /*non_blocking=*/false, /*copy=*/copy != 0);
    })())
}

ATG_API Handle atg_tensor_clone(Handle t) { GUARD_T(atg::ref(t).clone()) }
ATG_API Handle atg_tensor_contiguous(Handle t) { GUARD_T(atg::ref(t).contiguous()) }

ATG_API int atg_tensor_copy_(Handle dst, Handle src) { GUARD_V(atg::ref(dst).copy_(atg::ref(src));) }
ATG_API int atg_tensor_fill_(Handle t, double v) { GUARD_V(atg::ref(t).fill_(v);) }
ATG_API int atg_tensor_zero_(Handle t) { GUARD_V(atg::ref(t).zero_();) }
