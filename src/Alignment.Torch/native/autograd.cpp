// Autograd: requires_grad, backward, grad access, detach.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <cstring>

using atg::Handle;
using atg::ref;

ATG_API int atg_autograd_requires_grad(Handle t) { GUARD(-1, return ref(t).requires_grad() ? 1 : 0;) }

ATG_API int atg_autograd_set_requires_grad(Handle t, int on) { GUARD_V(ref(t).requires_grad_(on != 0);) }

ATG_API int atg_autograd_is_leaf(Handle t) { GUARD(-1, return ref(t).is_leaf() ? 1 : 0;) }

ATG_API int atg_autograd_backward(Handle t, Handle grad, int retain_graph, int create_graph) {
    GUARD_V(
        at::Tensor g = grad == nullptr ? at::Tensor() : ref(grad);
        ref(t).backward(g, retain_graph != 0 ? c10::optional<bool>(true) : c10::nullopt, create_graph != 0);
    )
}

// nullptr with no pending error means "no gradient yet".
ATG_API Handle atg_autograd_grad(Handle t) { GUARD(nullptr, return atg::wrap_maybe(ref(t).grad());) }

// Sets (or, with nullptr, removes) the .grad of a leaf.
ATG_API int atg_autograd_set_grad(Handle t, Handle grad) {
    GUARD_V(
        at::Tensor x = ref(t);
        x.mutable_grad() = grad == nullptr ? at::Tensor() : ref(grad);
    )
}

ATG_API Handle atg_autograd_detach(Handle t) { GUARD_T(ref(t).detach()) }

ATG_API int atg_autograd_retain_grad(Handle t) { GUARD_V(ref(t).retain_grad();) }

// Name of the node that produced t ("" for leaves), malloc'ed.
ATG_API char* atg_autograd_grad_fn_name(Handle t) {
    GUARD(nullptr,
        auto fn = ref(t).grad_fn();
        std::string s = fn ? fn->name() : std::string();
        char* p = static_cast<char*>(std::malloc(s.size() + 1));
        std::memcpy(p, s.c_str(), s.size() + 1);
        return p;
    )
}

// t.data = src (PyTorch's Module._apply path): t keeps its identity (handle, requires_grad, hooks) but takes
// src's storage, dtype and device. Used to convert module parameters in place.
ATG_API int atg_autograd_set_data(Handle t, Handle src) { GUARD_V(ref(t).set_data(ref(src));) }
