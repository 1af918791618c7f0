// Optimizer kernels: a whole AdamW step and gradient-norm clipping, each one call for all parameters,
// so a training step costs a handful of P/Invokes instead of a few per parameter.
#include "common.h"
#include "cpu_kernels.h"

#include <cmath>
#include <limits>

using atg::Handle;
using atg::ref;

// One AdamW step over n parameters (PyTorch's single-tensor algorithm, decoupled weight decay):
//   p <- p * (1 - lr*wd); m <- b1*m + (1-b1)*g; v <- b2*v + (1-b2)*g^2;
//   p <- p - lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// Gradients are read from params[i].grad(); a parameter without one is skipped (its step stays).
// exp_avgs / exp_avg_sqs are in/out: a nullptr slot whose parameter has a gradient gets a new zero tensor
// (same dtype, device and layout as the parameter) that the caller then owns. steps[i] is incremented
// for every parameter that was updated. On error the slots already filled stay filled (the caller wraps them).
ATG_API int atg_optim_adamw_step(Handle* params, Handle* exp_avgs, Handle* exp_avg_sqs, int64_t* steps, int n,
                                 double lr, double beta1, double beta2, double eps, double weight_decay) {
    GUARD_V(
        at::NoGradGuard no_grad;
        for (int i = 0; i < n; i++) {
            const at::Tensor& p = ref(params[i]);
            const at::Tensor& g = p.grad();
            if (!g.defined()) continue;
            if (g.is_sparse()) throw std::invalid_argument("AdamW does not support sparse gradients (parameter " + std::to_string(i) + ")");
            if (exp_avgs[i] == nullptr) exp_avgs[i] = atg::wrap(at::zeros_like(p, at::MemoryFormat::Preserve));
            if (exp_avg_sqs[i] == nullptr) exp_avg_sqs[i] = atg::wrap(at::zeros_like(p, at::MemoryFormat::Preserve));
            at::Tensor param = p;
            at::Tensor m = ref(exp_avgs[i]);
            at::Tensor v = ref(exp_avg_sqs[i]);
            if (!m.sizes().equals(p.sizes()) || !v.sizes().equals(p.sizes()))
                throw std::invalid_argument("AdamW state of parameter " + std::to_string(i) + " has shape " + c10::str(m.sizes()) +
                                            " but the parameter has shape " + c10::str(p.sizes()));
            int64_t step = ++steps[i];
            if (atg::cpu::applies({&param, &g, &m, &v})) {  // one pass over p, g, m, v
                atg::cpu::adamw(param, g, m, v, lr, beta1, beta2, eps, weight_decay, step);
                continue;
            }
            if (weight_decay != 0) param.mul_(1.0 - lr * weight_decay);
            m.mul_(beta1).add_(g, 1.0 - beta1);
            v.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
            double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
            double bias_correction2 = 1.0 - std::pow(beta2, static_cast<double>(step));
            double step_size = lr / bias_correction1;
            at::Tensor denom = (v.sqrt() / std::sqrt(bias_correction2)).add_(eps);
            param.addcdiv_(m, denom, -step_size);
        }
    )
}

// Scales the gradients of n parameters in place so their global norm is at most max_norm, as
// torch.nn.utils.clip_grad_norm_ does: total = norm of the per-parameter norms (max of abs for norm_type inf),
// every gradient is multiplied by min(1, max_norm / (total + 1e-6)). Parameters without a gradient are ignored.
// Writes the total norm before clipping to *total_out (0 when no parameter has a gradient).
ATG_API int atg_optim_clip_grad_norm_(Handle* params, int n, double max_norm, double norm_type, int error_if_nonfinite,
                                      double* total_out) {
    GUARD_V(
        at::NoGradGuard no_grad;
        std::vector<at::Tensor> grads;
        grads.reserve(n);
        for (int i = 0; i < n; i++) {
            at::Tensor g = ref(params[i]).grad();
            if (g.defined()) grads.push_back(g);
        }
        *total_out = 0;
        if (grads.empty()) return 0;
        const bool inf = std::isinf(norm_type);
        const at::Device device = grads[0].device();
        std::vector<at::Tensor> norms;
        norms.reserve(grads.size());
        for (const auto& g : grads) norms.push_back((inf ? g.abs().max() : at::norm(g, norm_type)).to(device));
        at::Tensor total = inf ? (norms.size() == 1 ? norms[0] : at::stack(norms).max()) : at::norm(at::stack(norms), norm_type);
        double total_value = total.item<double>();
        if (error_if_nonfinite && !std::isfinite(total_value))
            throw std::invalid_argument("the total norm of order " + std::to_string(norm_type) + " of the gradients is " +
                                        std::to_string(total_value) + "; gradients cannot be clipped. Look for a NaN or Inf loss, "
                                        "or pass error_if_nonfinite=false to clip anyway");
        // PyTorch computes max_norm / (total + 1e-6) as a reciprocal times a scalar; do the same for identical bits.
        at::Tensor coef = ((total + 1e-6).reciprocal() * max_norm).clamp_max(1.0);
        for (auto& g : grads) g.mul_(coef.to(g.device()));
        *total_out = total_value;
    )
}
