// Neural-network functions built from ATen kernels: softmax, losses, embedding, dropout.
#include "common.h"

using atg::Handle;
using atg::ref;

namespace {
c10::optional<at::ScalarType> maybe_dtype(int dtype) {
    if (dtype < 0) return c10::nullopt;
    return static_cast<at::ScalarType>(dtype);
}
}  // namespace

ATG_API Handle atg_nn_softmax(Handle t, int64_t dim, int dtype) { GUARD_T(at::softmax(ref(t), dim, maybe_dtype(dtype))) }

ATG_API Handle atg_nn_log_softmax(Handle t, int64_t dim, int dtype) { GUARD_T(at::log_softmax(ref(t), dim, maybe_dtype(dtype))) }

// reduction: 0 none, 1 mean, 2 sum (at::Reduction's values).
ATG_API Handle atg_nn_cross_entropy(Handle logits, Handle target, Handle weight, int reduction, int64_t ignore_index,
                                    double label_smoothing) {
    GUARD_T(([&] {
        c10::optional<at::Tensor> w;
        if (weight != nullptr) w = ref(weight);
        return at::cross_entropy_loss(ref(logits), ref(target), w, reduction, ignore_index, label_smoothing);
    })())
}

ATG_API Handle atg_nn_nll_loss(Handle logp, Handle target, int reduction, int64_t ignore_index) {
    GUARD_T(at::nll_loss(ref(logp), ref(target), c10::nullopt, reduction, ignore_index))
}

ATG_API Handle atg_nn_mse_loss(Handle a, Handle b, int reduction) { GUARD_T(at::mse_loss(ref(a), ref(b), reduction)) }

ATG_API Handle atg_nn_embedding(Handle weight, Handle indices, int64_t padding_idx) {
    GUARD_T(at::embedding(ref(weight), ref(indices), padding_idx))
}

ATG_API Handle atg_nn_dropout(Handle t, double p, int train) { GUARD_T(at::dropout(ref(t), p, train != 0)) }

ATG_API Handle atg_nn_one_hot(Handle t, int64_t num_classes) { GUARD_T(at::one_hot(ref(t), num_classes)) }
