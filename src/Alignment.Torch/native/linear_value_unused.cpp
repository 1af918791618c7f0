// linear_value_unused: the gradient path of y = x·Wᵀ + b without computing y. For the last projection of a block that
// gradient checkpointing reruns in backward: the rerun's output only carries the incoming gradient back through the
// block's graph, its values are never read, so the product (a third of an attention block's or a SwiGLU block's
// matmul work in a Llama layer) need not be computed again. The result is zeros of y's shape; backward gives the
// gradients the product's own backward gives: g·W for x, gᵀ·x for W (when W trains), Σg for b.
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>

using atg::Handle;
using atg::ref;

namespace atg {
namespace linear_value_unused {

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

struct LinearValueUnused : Function<LinearValueUnused> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, c10::optional<at::Tensor> bias) {
        if (!(x.defined() && w.defined() && w.dim() == 2 && x.dim() >= 1 && x.size(-1) == w.size(1) && x.scalar_type() == w.scalar_type()))
            throw std::invalid_argument(c10::str("linear_value_unused: x ", x.scalar_type(), " ", x.sizes(), " and weight ", w.scalar_type(), " ",
                                                 w.sizes(), " must be of one dtype, x ending in the weight's in_features"));
        const bool has_bias = bias.has_value() && bias->defined();
        if (has_bias && !(bias->dim() == 1 && bias->size(0) == w.size(0)))
            throw std::invalid_argument(c10::str("linear_value_unused: bias must have shape [", w.size(0), "], got ", bias->sizes()));
        // x is needed only for the weight's gradient: a frozen weight (LoRA, QLoRA's float layers) keeps nothing of it.
        ctx->save_for_backward({w.requires_grad() ? x : at::Tensor(), w});
        ctx->saved_data["has_bias"] = has_bias;
        std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
        shape.back() = w.size(0);
        return at::zeros(shape, x.options());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1];
        at::Tensor g2 = grads[0].reshape({-1, w.size(0)});
        at::Tensor gx, gw, gb;
        if (ctx->needs_input_grad(0)) {
            std::vector<int64_t> shape(grads[0].sizes().begin(), grads[0].sizes().end());
            shape.back() = w.size(1);
            gx = g2.mm(w).view(shape);
        }
        if (ctx->needs_input_grad(1) && x.defined()) gw = g2.t().mm(x.reshape({-1, w.size(1)}));
        if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = g2.sum(0);
        return {gx, gw, gb};
    }
};

}  // namespace linear_value_unused
}  // namespace atg

// bias may be nullptr.
ATG_API Handle atg_linear_value_unused(Handle x, Handle w, Handle bias) {
    GUARD_T(([&] {
        c10::optional<at::Tensor> b;
        if (bias != nullptr) b = ref(bias);
        return atg::linear_value_unused::LinearValueUnused::apply(ref(x), ref(w), b);
    })())
}
