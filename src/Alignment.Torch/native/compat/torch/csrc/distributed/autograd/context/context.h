// Used only when the linked libtorch's headers lack it (Debian's libtorch-dev 1.13 ships c10d/reducer.hpp, which
// includes this file, but not the distributed-autograd headers). reducer.hpp needs two names from it: the callback
// type, which it static_asserts equal to its own, and ContextPtr, held as a shared_ptr whose size does not depend on
// the class it points to, so c10d::Reducer's layout is the library's. Nothing here is ever constructed.
#pragma once

#include <ATen/ATen.h>
#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
public:
    using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
