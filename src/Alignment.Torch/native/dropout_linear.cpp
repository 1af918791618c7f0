// dropout_linear: y = dropout(x, p)·Wᵀ (training mode), the input side of a LoRA adapter (PEFT's
// lora_A(lora_dropout(x))). The mask is drawn exactly as at::dropout draws it on the CPU (a tensor of x's shape,
// bernoulli_(1 − p) from the default generator, divided by 1 − p), so the result equals F.linear(F.dropout(x, p), W)
// bit for bit. What is saved for backward differs: autograd through the two ops keeps the dropped-out input and the
// float noise (two float tensors of x's size per adapted layer); this keeps x (which the caller holds anyway and
// q/k/v share) and a one-byte mask, and rebuilds the dropped-out input in backward. Inside a checkpointed body the
// mask goes on the body's rerun tape, and the recomputation takes it from there instead of drawing it again.
#include "checkpoint.h"
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>

using atg::Handle;
using atg::ref;

namespace atg {
namespace dropout_linear {

using torch::autograd::AutogradContext;
using torch::autograd::Function;
using torch::autograd::variable_list;

struct DropoutLinear : Function<DropoutLinear> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w, double p) {
        if (!(p > 0 && p < 1)) throw std::invalid_argument(c10::str("dropout_linear: p must be in (0, 1), got ", p));
        if (!(x.defined() && w.defined() && at::isFloatingType(x.scalar_type()) && x.scalar_type() == w.scalar_type() && w.dim() == 2 &&
              x.dim() >= 1 && x.size(-1) == w.size(1)))
            throw std::invalid_argument(c10::str("dropout_linear: x ", x.scalar_type(), " ", x.sizes(), " and weight ", w.scalar_type(), " ",
                                                 w.sizes(), " must be floating point of one dtype, x ending in the weight's in_features"));
        checkpoint::RerunTape* tape = checkpoint::current_tape();
        at::Tensor noise, mask;
        if (tape != nullptr && tape->replaying()) {
            mask = tape->take_mask(x.sizes(), x.device());
            noise = mask.to(x.scalar_type());
        } else {
            noise = at::empty_like(x, at::MemoryFormat::Contiguous);
            noise.bernoulli_(1 - p);
            mask = noise.to(at::kBool);
            if (tape != nullptr) tape->record_mask(mask);
        }
        noise.div_(1 - p);
        at::Tensor y = at::linear(x * noise, w);
        ctx->save_for_backward({x, w, mask});
        ctx->saved_data["p"] = p;
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        auto saved = ctx->get_saved_variables();
        const at::Tensor &x = saved[0], &w = saved[1], &mask = saved[2];
        const double p = ctx->saved_data["p"].toDouble();
        at::Tensor noise = mask.to(x.scalar_type()).div_(1 - p);   // the forward's values again
        at::Tensor g2 = grads[0].reshape({-1, w.size(0)});
        at::Tensor gx, gw;
        if (ctx->needs_input_grad(0)) gx = g2.mm(w).view(x.sizes()).mul_(noise);
        if (ctx->needs_input_grad(1)) gw = g2.t().mm((x * noise).reshape({-1, w.size(1)}));
        return {gx, gw, at::Tensor()};
    }
};

}  // namespace dropout_linear
}  // namespace atg

ATG_API Handle atg_dropout_linear(Handle x, Handle w, double p) {
    GUARD_T(atg::dropout_linear::DropoutLinear::apply(ref(x), ref(w), p))
}
