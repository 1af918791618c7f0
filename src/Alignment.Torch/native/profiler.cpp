// libtorch's operator profiler, for finding where a training step spends its time (`align bench train --profile`).
// Recording starts at atg_profiler_start and stops at atg_profiler_stop, which writes a Chrome trace (JSON,
// chrome://tracing or Perfetto) of every ATen operator the calling thread ran, backward included.
#include "common.h"

#include <torch/csrc/autograd/profiler_legacy.h>

using torch::autograd::profiler::RecordProfile;

ATG_API void* atg_profiler_start(const char* path) {
    GUARD(nullptr, return new RecordProfile(std::string(path));)
}

ATG_API int atg_profiler_stop(void* recording) {
    GUARD_V(delete static_cast<RecordProfile*>(recording);)
}
