// What checkpoint.cpp shares with the ops that run inside a checkpointed body: the body's rerun tape.
//
// Backward reruns a checkpointed body. Two things the forward computed are worth taking back instead of computing
// again, and the tape carries them from the forward to the rerun:
// - dropout masks. The generator's state is put back before the rerun, which is enough for any op (it draws the same
//   numbers again), but drawing a mask costs as much as a small matmul on the CPU (at::bernoulli_ is a serial loop
//   over the generator). So an op that draws a mask records it, bit-packed, with the generator's state right after
//   the draw; in the rerun it takes the mask back and sets the generator to that state, so whatever draws next in the
//   body (an op that does not use the tape) sees the generator exactly as in the forward.
// - chosen products, kept whole: a value that is small next to what computing it costs (a 4-bit layer's product,
//   dequantized band by band), the caller's choice. The rerun takes the very tensor the forward computed.
// Both are taken back in the order they were recorded; the rerun must run the same ops on the same inputs.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace atg {
namespace checkpoint {

class RerunTape {
public:
    // Forward: keeps the mask (a bool tensor) and the state of its device's default generator now (after the draw).
    void record_mask(const at::Tensor& mask);
    // Rerun: the next recorded mask, which must have `sizes`; the generator is set to the state recorded with it.
    at::Tensor take_mask(at::IntArrayRef sizes, const at::Device& device);
    // Forward: keeps a computed value for the rerun.
    void keep_value(const at::Tensor& value);
    // Rerun: the next kept value, which must have `sizes`.
    at::Tensor take_value(at::IntArrayRef sizes);

    bool replaying() const { return replaying_; }
    std::vector<at::Tensor> masks, states, values;

private:
    friend struct TapeScope;
    size_t mask_cursor_ = 0, value_cursor_ = 0;
    bool replaying_ = false;
};

// The tape of the checkpointed body running on this thread (the innermost one), or null outside a body.
RerunTape* current_tape();

// Makes `tape` the current one for this scope (nested bodies put the outer one back).
struct TapeScope {
    TapeScope(RerunTape* tape, bool replaying);
    ~TapeScope();
    TapeScope(const TapeScope&) = delete;
    TapeScope& operator=(const TapeScope&) = delete;

private:
    RerunTape* previous_;
};

}  // namespace checkpoint
}  // namespace atg
