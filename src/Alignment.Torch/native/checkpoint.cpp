// checkpoint: gradient checkpointing (activation recomputation), the reentrant form of torch.utils.checkpoint, for a
// body of code that runs in C#. libtorch's C++ API has no torch.utils.checkpoint, so it is a custom autograd function:
//
// - forward runs the body once without recording a graph (custom functions run their forward in no-grad mode), so
//   none of the body's intermediate tensors stay alive; it saves only the body's tensor inputs and the default
//   generator's state of the inputs' device (dropout inside the body draws from it);
// - backward puts that generator state back (and afterwards the state it found), reruns the body on detached copies
//   of the inputs with gradient recording on, and takes the gradients of the inputs and of the trainable parameters
//   the body uses (passed in as `params`, so that the graph sees them) with one autograd.grad call on the recomputed
//   output. The parameters' gradients are returned through this node's edges, so they accumulate exactly as without
//   checkpointing.
//
// The body is a C# callback (one exported function pointer, the body selected by `id`). It must not let an
// exception out: it returns nonzero with a message written into `error` (a buffer of `error_cap` bytes), and the
// C++ side throws, so the failure surfaces from the forward call or from backward() as any native error does.
// Handles passed to the body are new handles the callee owns (and frees); the handle it returns in `out` is given
// to this side, which frees it.
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
        at::Tensor y = run_body(reinterpret_cast<atg_checkpoint_body>(body), id, inputs.vec());
        std::vector<at::Tensor> saved = inputs.vec();
        saved.insert(saved.end(), params.begin(), params.end());
        ctx->save_for_backward(saved);
        ctx->saved_data["rng"] = rng;
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

// y = body(inputs) with the body's activations recomputed in backward instead of kept. params: the trainable tensors
// the body uses besides its inputs (their gradients flow through this node).
ATG_API Handle atg_checkpoint(atg_checkpoint_body body, int64_t id, Handle* inputs, int n_inputs, Handle* params, int n_params) {
    GUARD_T(([&] {
        if (body == nullptr) throw std::invalid_argument("checkpoint: null body");
        return atg::checkpoint::Checkpoint::apply(reinterpret_cast<int64_t>(body), id, at::TensorList(atg::tensors(inputs, n_inputs)),
                                                  at::TensorList(atg::tensors(params, n_params)));
    })())
}
