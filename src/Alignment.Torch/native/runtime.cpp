// Errors, version, threads, devices, grad mode, random generators.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/version.h>
#include <cstdlib>
#include <cstring>

namespace atg {

std::atomic<int64_t> live_tensors{0};

static thread_local std::string* last_error = nullptr;

void set_error(const std::string& message) {
    if (last_error == nullptr) last_error = new std::string();
    *last_error = message.empty() ? std::string("native error without a message") : message;
}

at::Device device(int device_type, int device_index) {
    switch (device_type) {
        case 0: return at::Device(at::kCPU);
        case 1: return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index < 0 ? 0 : device_index));
        default: throw std::invalid_argument("unknown device type " + std::to_string(device_type));
    }
}

at::TensorOptions options(int dtype, int device_type, int device_index) {
    return at::TensorOptions()
        .dtype(static_cast<at::ScalarType>(dtype))
        .device(device(device_type, device_index));
}

int write_list(const std::vector<at::Tensor>& ts, Handle* out, int cap) {
    if (static_cast<int>(ts.size()) > cap)
        throw std::length_error("result has " + std::to_string(ts.size()) + " tensors but room for " + std::to_string(cap));
    for (size_t i = 0; i < ts.size(); i++) out[i] = wrap(ts[i]);
    return static_cast<int>(ts.size());
}

static char* copy_string(const std::string& s) {
    char* p = static_cast<char*>(std::malloc(s.size() + 1));
    if (p != nullptr) std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

}  // namespace atg

using atg::Handle;

// Returns the pending error message (malloc'ed; free with atg_string_free) and clears it, or nullptr.
ATG_API char* atg_error_take() {
    try {
        if (atg::last_error == nullptr || atg::last_error->empty()) return nullptr;
        char* p = atg::copy_string(*atg::last_error);
        atg::last_error->clear();
        return p;
    } catch (...) {
        return nullptr;
    }
}

ATG_API void atg_string_free(char* p) { std::free(p); }

ATG_API char* atg_runtime_version() { GUARD(nullptr, return atg::copy_string(TORCH_VERSION);) }

ATG_API int64_t atg_runtime_live_tensors() { return atg::live_tensors.load(); }

ATG_API int atg_runtime_get_num_threads() { GUARD(-1, return at::get_num_threads();) }

ATG_API int atg_runtime_set_num_threads(int n) { GUARD_V(at::set_num_threads(n);) }

ATG_API int atg_runtime_cuda_is_available() { GUARD(-1, return at::hasCUDA() && at::detail::getCUDAHooks().getNumGPUs() > 0 ? 1 : 0;) }

ATG_API int atg_runtime_cuda_device_count() { GUARD(-1, return at::hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0;) }

ATG_API int atg_runtime_has_cuda_build() { GUARD(-1, return at::hasCUDA() ? 1 : 0;) }

ATG_API int atg_runtime_cuda_synchronize() {
    // Nothing to wait for on CPU; on a CUDA build a device-to-host copy of a scalar synchronizes the stream.
    GUARD_V(if (at::hasCUDA()) { at::zeros({1}, at::TensorOptions().device(at::kCUDA)).cpu(); })
}

ATG_API int atg_runtime_grad_enabled() { GUARD(-1, return at::GradMode::is_enabled() ? 1 : 0;) }

ATG_API int atg_runtime_set_grad_enabled(int enabled) { GUARD_V(at::GradMode::set_enabled(enabled != 0);) }

ATG_API int atg_runtime_manual_seed(uint64_t seed) {
    GUARD_V(
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
    )
}

// ---- generators ----

struct AtgGenerator { at::Generator gen; };

ATG_API AtgGenerator* atg_generator_new(uint64_t seed) {
    GUARD(nullptr, return new AtgGenerator{at::detail::createCPUGenerator(seed)};)
}

ATG_API AtgGenerator* atg_generator_default() {
    GUARD(nullptr, return new AtgGenerator{at::detail::getDefaultCPUGenerator()};)
}

ATG_API void atg_generator_free(AtgGenerator* g) { delete g; }

ATG_API int atg_generator_manual_seed(AtgGenerator* g, uint64_t seed) {
    GUARD_V(
        std::lock_guard<std::mutex> lock(g->gen.mutex());
        g->gen.set_current_seed(seed);
    )
}

ATG_API int atg_generator_initial_seed(AtgGenerator* g, uint64_t* out) {
    GUARD_V(*out = g->gen.current_seed();)
}

ATG_API Handle atg_generator_get_state(AtgGenerator* g) {
    GUARD_T(([&] {
        std::lock_guard<std::mutex> lock(g->gen.mutex());
        return g->gen.get_state();
    })())
}

ATG_API int atg_generator_set_state(AtgGenerator* g, Handle state) {
    GUARD_V(
        std::lock_guard<std::mutex> lock(g->gen.mutex());
        g->gen.set_state(atg::ref(state));
    )
}

// Lets other files reach the generator behind a handle (nullptr means the default generator).
namespace atg {
c10::optional<at::Generator> generator(void* g) {
    if (g == nullptr) return c10::nullopt;
    return static_cast<AtgGenerator*>(g)->gen;
}
}  // namespace atg
