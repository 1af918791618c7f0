// Shared by every native file: the error slot, the GUARD macro, handle helpers.
// No exception may cross extern "C": every export body runs inside GUARD, which catches
// everything, stores the message in a thread-local slot and returns a sentinel.
#pragma once

#include <ATen/ATen.h>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#define ATG_API extern "C" __attribute__((visibility("default")))

namespace atg {

// Thread-local last error; set by GUARD, taken (and cleared) by atg_error_take.
void set_error(const std::string& message);

// Number of live tensor handles created by this library (for leak tests).
extern std::atomic<int64_t> live_tensors;

// A tensor handle is a heap-allocated at::Tensor (a reference-counted pointer to storage).
using Handle = at::Tensor*;

inline Handle wrap(at::Tensor t) {
    live_tensors.fetch_add(1, std::memory_order_relaxed);
    return new at::Tensor(std::move(t));
}

// Undefined tensors (e.g. a grad that does not exist) cross as nullptr, not as an error.
inline Handle wrap_maybe(at::Tensor t) {
    if (!t.defined()) return nullptr;
    return wrap(std::move(t));
}

inline const at::Tensor& ref(Handle h) {
    if (h == nullptr) throw std::invalid_argument("null tensor handle");
    return *h;
}

inline at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

inline std::vector<at::Tensor> tensors(Handle* hs, int n) {
    std::vector<at::Tensor> v;
    v.reserve(n);
    for (int i = 0; i < n; i++) v.push_back(ref(hs[i]));
    return v;
}

// ATen factories ignore TensorOptions::requires_grad, so callers set it afterwards with with_grad.
at::TensorOptions options(int dtype, int device_type, int device_index);

inline at::Tensor with_grad(at::Tensor t, int requires_grad) {
    if (requires_grad != 0) t.requires_grad_(true);
    return t;
}
at::Device device(int device_type, int device_index);

// Writes a vector of tensors into out (caller-provided array of capacity cap); returns the count.
int write_list(const std::vector<at::Tensor>& ts, Handle* out, int cap);

}  // namespace atg

#define GUARD(sentinel, ...)                                             \
    try {                                                                \
        __VA_ARGS__                                                      \
    } catch (const c10::Error& e) {                                      \
        atg::set_error(e.what_without_backtrace());                      \
    } catch (const std::exception& e) {                                  \
        atg::set_error(e.what());                                        \
    } catch (...) {                                                      \
        atg::set_error("unknown native error");                          \
    }                                                                    \
    return sentinel;

// For exports that return a tensor handle (nullptr on error).
#define GUARD_T(...) GUARD(nullptr, return atg::wrap(__VA_ARGS__);)
// For exports with no result: 0 on success, -1 on error.
#define GUARD_V(...) GUARD(-1, __VA_ARGS__ return 0;)

namespace atg {
// The generator behind an AtgGenerator* (nullptr: libtorch's default generator).
c10::optional<at::Generator> generator(void* g);
}  // namespace atg
