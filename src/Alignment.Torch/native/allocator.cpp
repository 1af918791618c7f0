// glibc malloc settings for training-sized tensors, applied when libaligntorch is loaded.
//
// libtorch's CPU allocator is plain malloc. glibc serves blocks of 32 MiB and more (its largest dynamic mmap
// threshold) with a fresh mmap and unmaps them on free, so every step of a training loop page-faults its big
// activations in again: a (16, 256, 4096) float logits tensor is 64 MiB, 16,384 faults of zeroed pages. On the CI
// machine `align bench train` took 2.4 million minor faults for one DPO d=512 run and spent 13 s of 74 in the
// kernel. glibc will not raise its mmap threshold above 32 MiB, so instead every block comes from malloc's heap
// (M_MMAP_MAX = 0; glibc still maps a block over 64 MiB that a thread other than the main one asks for, its thread
// arenas being capped at that size) and up to 1 GiB of free heap top is kept instead of trimmed: blocks are reused
// from step to step, faults fell to 0.6 million (about the peak's own first touches) and throughput rose 5–10%. Peak
// RSS stays within a few percent; memory freed after the peak is returned to the system only beyond that 1 GiB.
//
// ALIGN_MALLOC=system leaves glibc's defaults alone.
#include "common.h"

#include <cstdlib>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

constexpr int kKeepBytes = 1 << 30;  // 1 GiB

int tuned = 0;

__attribute__((constructor)) void tune_malloc() {
#if defined(__GLIBC__)
    const char* choice = std::getenv("ALIGN_MALLOC");
    if (choice != nullptr && std::strcmp(choice, "system") == 0) return;
    // M_MMAP_MAX first: a trim threshold set on its own would switch off glibc's dynamic mmap threshold and map every
    // block of 128 KiB and more (measured: 5x the faults of the default). If it is refused nothing has changed.
    if (mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, kKeepBytes) == 1) tuned = 1;
#endif
}

}  // namespace

// 1 when the settings above are in effect, 0 when glibc's defaults are (ALIGN_MALLOC=system, or not glibc).
ATG_API int atg_runtime_malloc_tuned() { return tuned; }

// While on (nonzero), blocks of 1 MiB and more are mapped on their own and unmapped when freed, as glibc does by
// default; off goes back to the settings above. For a one-time phase that draws many big blocks and frees them again
// between smaller ones that live on: a model quantized while it is drawn or read draws each weight in float, keeps
// its 4-bit copy and frees the float one. From the heap, those freed blocks left holes between the kept copies (a
// 636 MB heap holding 165 MB for a hidden-1024 model), which training then filled piecemeal, touching pages all over
// them. Mapped, they leave nothing behind. 1 when applied, 0 when the settings above are not in effect.
ATG_API int atg_runtime_map_large_blocks(int on) {
#if defined(__GLIBC__)
    if (!tuned) return 0;
    if (on != 0) return mallopt(M_MMAP_THRESHOLD, 1 << 20) == 1 && mallopt(M_MMAP_MAX, 1 << 16) == 1 ? 1 : 0;
    return mallopt(M_MMAP_MAX, 0) == 1 ? 1 : 0;
#else
    (void)on;
    return 0;
#endif
}

// Hands every free page of malloc's heap back to the system (glibc's malloc_trim(0), which also releases whole free
// pages inside the heap, not only its top). The settings above keep freed blocks resident for reuse; after a one-time
// phase that freed much more than the steps will use (a model quantized while it was drawn or read, each weight's float
// copy freed in turn) those pages are only resident set. 1 when memory was released, 0 otherwise or without glibc.
ATG_API int atg_runtime_trim_heap() {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
