// checkpoint: gradient checkpointing (activation recomputation), the reentrant form of torch.utils.checkpoint, for a
// body of code that runs in C#. libtorch's C++ API has no torch.utils.checkpoint, so it is a custom autograd function:
//
// - forward runs the body once without recording a graph (custom functions run their forward in no-grad mode), so
//   none of the body's intermediate tensors stay alive; it saves only the body's tensor inputs and the default
//   generator's state of the inputs' device (dropout inside the body draws from it), and the body's rerun tape (the
//   dropout masks it drew, the products it chose to keep: checkpoint.h);
// - backward puts that generator state back (and afterwards the state it found), reruns the body on detached copies
//   of the inputs with gradient recording on, and takes the gradients of the inputs and of the trainable parameters
//   the body uses (passed in as `params`, so that the graph sees them) with one autograd.grad call on the recomputed
//   output. The parameters' gradients are returned through this node's edges, so they accumulate exactly as without
//   checkpointing. In the rerun the masks and kept products come from the tape instead of being computed again
//   (atg_checkpoint_recomputing tells the body it is a rerun: an op whose value nothing in the rerun reads, like the
//   last projection of a block whose output only carries the gradient, may then skip computing it).
//
// The body is a C# callback (one exported function pointer, the body selected by `id`). It must not let an
// exception out: it returns nonzero with a message written into `error` (a buffer of `error_cap` bytes), and the
// C++ side throws, so the failure surfaces from the forward call or from backward() as any native error does.
// Handles passed to the body are new handles the callee owns (and frees); the handle it returns in `out` is given
// to this side, which frees it.
#include "checkpoint.h"

#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <mutex>
#include <stdexcept>

using atg::Handle;
using atg::ref;

extern "C" typedef int (*atg_checkpoint_body)(int64_t id, Handle* inputs, int n, Handle* out, char* error, int error_cap);

namespace atg {
namespace checkpoint {

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

at::Tensor run_body(atg_checkpoint_body body, int64_t id, const std::vector<at::Tensor>& inputs) {
    std::vector<Handle> handles;
    handles.reserve(inputs.size());
    for (const at::Tensor& t : inputs) handles.push_back(wrap(t));   // the body owns (and frees) these
    Handle out = nullptr;
    char error[1024] = {0};
    const int rc = body(id, handles.data(), static_cast<int>(handles.size()), &out, error, sizeof error);
    if (rc != 0) {
        if (out != nullptr) {
            delete out;
            live_tensors.fetch_sub(1, std::memory_order_relaxed);
        }
        error[sizeof error - 1] = 0;
        throw std::runtime_error(std::string("checkpointed forward failed: ") + (error[0] ? error : "no message"));
    }
    if (out == nullptr) throw std::runtime_error("checkpointed forward returned no tensor");
    at::Tensor y = *out;
    delete out;
    live_tensors.fetch_sub(1, std::memory_order_relaxed);
    return y;
}

// The default generator of `device` (CPU, or the CUDA device's) under its lock.
at::Tensor generator_state(const at::Device& device) {
    at::Generator gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}

void set_generator_state(const at::Device& device, const at::Tensor& state) {
    at::Generator gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

thread_local RerunTape* tape_now = nullptr;

RerunTape* current_tape() { return tape_now; }

TapeScope::TapeScope(RerunTape* tape, bool replaying) : previous_(tape_now) {
    tape->replaying_ = replaying;
    tape->mask_cursor_ = tape->value_cursor_ = 0;
    tape_now = tape;
}

TapeScope::~TapeScope() { tape_now = previous_; }

// A CPU mask packed 8 values to a byte (lowest bit first); a mask on another device is kept as it is.
at::Tensor pack_mask(const at::Tensor& mask) {
    if (!mask.device().is_cpu()) return mask.clone();
    const at::Tensor m = mask.contiguous();
    const int64_t n = m.numel();
    at::Tensor packed = at::empty({(n + 7) / 8}, at::kByte);
    const bool* src = m.data_ptr<bool>();
    uint8_t* dst = packed.data_ptr<uint8_t>();
    for (int64_t i = 0; i < (n + 7) / 8; i++) {
        uint8_t b = 0;
        for (int64_t j = 0; j < 8 && i * 8 + j < n; j++) b |= static_cast<uint8_t>(src[i * 8 + j]) << j;
        dst[i] = b;
    }
    return packed;
}

at::Tensor unpack_mask(const at::Tensor& packed, at::IntArrayRef sizes) {
    if (packed.scalar_type() == at::kBool) return packed.view(sizes);
    at::Tensor mask = at::empty(sizes, at::kBool);
    const int64_t n = mask.numel();
    const uint8_t* src = packed.data_ptr<uint8_t>();
    bool* dst = mask.data_ptr<bool>();
    for (int64_t i = 0; i < n; i++) dst[i] = (src[i >> 3] >> (i & 7)) & 1;
    return mask;
}

void RerunTape::record_mask(const at::Tensor& mask) {
    masks.push_back(pack_mask(mask));
    states.push_back(generator_state(mask.device()));
}

at::Tensor RerunTape::take_mask(at::IntArrayRef sizes, const at::Device& device) {
    if (mask_cursor_ >= masks.size())
        throw std::runtime_error("gradient checkpointing: the recomputation drew more dropout masks than the forward did (the body must run "
                                 "the same ops on the same inputs)");
    const at::Tensor& packed = masks[mask_cursor_];
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    const bool fits = packed.scalar_type() == at::kBool ? packed.numel() == n : packed.numel() == (n + 7) / 8;
    if (!fits)
        throw std::runtime_error(c10::str("gradient checkpointing: the recomputation drew a dropout mask of ", sizes,
                                          " that the forward did not draw at this point (the body must run the same ops on the same inputs)"));
    set_generator_state(device, states[mask_cursor_]);
    return unpack_mask(masks[mask_cursor_++], sizes);
}

void RerunTape::keep_value(const at::Tensor& value) { values.push_back(value); }

at::Tensor RerunTape::take_value(at::IntArrayRef sizes) {
    if (value_cursor_ >= values.size() || values[value_cursor_].sizes() != sizes)
        throw std::runtime_error(c10::str("gradient checkpointing: the recomputation asked for a kept value of ", sizes,
                                          " that the forward did not keep at this point (the body must run the same ops on the same inputs)"));
    return values[value_cursor_++];
}

// Puts the generator back to the state it had when constructed (also when the recomputation throws).
struct GeneratorRestore {
    at::Device device;
    at::Tensor state;
    explicit GeneratorRestore(const at::Device& d) : device(d), state(generator_state(d)) {}
    ~GeneratorRestore() {
        try {
            set_generator_state(device, state);
        } catch (...) {
        }
    }
};

struct Checkpoint : Function<Checkpoint> {
    // `body` travels as an integer: custom functions take tensors and IValue-compatible arguments.
    static at::Tensor forward(AutogradContext* ctx, int64_t body, int64_t id, at::TensorList inputs, at::TensorList params) {
        if (inputs.empty() || !inputs[0].defined())
            throw std::invalid_argument("checkpoint: the first input must be a defined tensor (its device picks the generator)");
        const at::Device device = inputs[0].device();
        at::Tensor rng = generator_state(device);
        RerunTape tape;
        at::Tensor y;
        {
            TapeScope scope(&tape, /*replaying=*/false);
            y = run_body(reinterpret_cast<atg_checkpoint_body>(body), id, inputs.vec());
        }
        std::vector<at::Tensor> saved = inputs.vec();
        saved.insert(saved.end(), params.begin(), params.end());
        ctx->save_for_backward(saved);
        ctx->saved_data["rng"] = rng;
        ctx->saved_data["tape_masks"] = tape.masks;
        ctx->saved_data["tape_states"] = tape.states;
        ctx->saved_data["tape_values"] = tape.values;
        ctx->saved_data["body"] = body;
        ctx->saved_data["id"] = id;
        ctx->saved_data["inputs"] = static_cast<int64_t>(inputs.size());
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        if (at::GradMode::is_enabled())
            throw std::runtime_error("gradient checkpointing does not support create_graph (a gradient of the gradient)");
        const auto saved = ctx->get_saved_variables();
        const int64_t n_inputs = ctx->saved_data["inputs"].toInt();
        const int64_t n_params = static_cast<int64_t>(saved.size()) - n_inputs;
        // The node's edges are its tensor arguments in order: the inputs, then the parameters.
        std::vector<at::Tensor> detached;
        std::vector<at::Tensor> wrt;
        std::vector<int64_t> wrt_slot;   // index into the tensor arguments
        for (int64_t i = 0; i < n_inputs; i++) {
            at::Tensor d = saved[i].defined() ? saved[i].detach() : at::Tensor();
            if (d.defined() && ctx->needs_input_grad(i)) {
                d.requires_grad_(true);
                wrt.push_back(d);
                wrt_slot.push_back(i);
            }
            detached.push_back(d);
        }
        for (int64_t j = 0; j < n_params; j++)
            if (ctx->needs_input_grad(n_inputs + j)) {
                wrt.push_back(saved[n_inputs + j]);
                wrt_slot.push_back(n_inputs + j);
            }
        // One result per forward argument: body, id, then one per tensor argument.
        variable_list result(2 + n_inputs + n_params);
        if (wrt.empty()) return result;

        const at::Device device = saved[0].device();
        at::Tensor y;
        {
            GeneratorRestore restore(device);
            set_generator_state(device, ctx->saved_data["rng"].toTensor());
            RerunTape tape;
            tape.masks = ctx->saved_data["tape_masks"].toTensorVector();
            tape.states = ctx->saved_data["tape_states"].toTensorVector();
            tape.values = ctx->saved_data["tape_values"].toTensorVector();
            TapeScope scope(&tape, /*replaying=*/true);
            at::AutoGradMode enable(true);
            y = run_body(reinterpret_cast<atg_checkpoint_body>(ctx->saved_data["body"].toInt()), ctx->saved_data["id"].toInt(), detached);
        }
        if (!y.requires_grad()) return result;   // nothing the body computed depends on what needs a gradient
        variable_list g = torch::autograd::grad({y}, wrt, {grads[0]}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
        for (size_t k = 0; k < g.size(); k++) result[2 + wrt_slot[k]] = g[k];
        return result;
    }
};

}  // namespace checkpoint
}  // namespace atg

// 1 while a checkpointed body is being rerun on this thread (backward's recomputation), 0 otherwise (also while it
// runs forward).
ATG_API int atg_checkpoint_recomputing() {
    const atg::checkpoint::RerunTape* tape = atg::checkpoint::current_tape();
    return tape != nullptr && tape->replaying() ? 1 : 0;
}

// y = body(inputs) with the body's activations recomputed in backward instead of kept. params: the trainable tensors
// the body uses besides its inputs (their gradients flow through this node).
ATG_API Handle atg_checkpoint(atg_checkpoint_body body, int64_t id, Handle* inputs, int n_inputs, Handle* params, int n_params) {
    GUARD_T(([&] {
        if (body == nullptr) throw std::invalid_argument("checkpoint: null body");
        return atg::checkpoint::Checkpoint::apply(reinterpret_cast<int64_t>(body), id, at::TensorList(atg::tensors(inputs, n_inputs)),
                                                  at::TensorList(atg::tensors(params, n_params)));
    })())
}
