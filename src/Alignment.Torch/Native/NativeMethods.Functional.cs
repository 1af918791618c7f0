using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/functional.cpp and native/autograd.cpp.
internal static partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_softmax(TensorHandle t, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_log_softmax(TensorHandle t, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_cross_entropy(TensorHandle logits, TensorHandle target, IntPtr weight, int reduction, long ignoreIndex, double labelSmoothing);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_nll_loss(TensorHandle logp, TensorHandle target, int reduction, long ignoreIndex);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_mse_loss(TensorHandle a, TensorHandle b, int reduction);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx);
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_dropout(TensorHandle t, double p, int train);
    [LibraryImport(Lib)] internal static partial IntPtr atg_dropout_linear(TensorHandle x, TensorHandle w, double p);   // native/dropout_linear.cpp
    [LibraryImport(Lib)] internal static partial IntPtr atg_linear_value_unused(TensorHandle x, TensorHandle w, IntPtr bias);   // native/linear_value_unused.cpp
    [LibraryImport(Lib)] internal static partial IntPtr atg_nn_one_hot(TensorHandle t, long numClasses);

    [LibraryImport(Lib)] internal static partial int atg_autograd_requires_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_autograd_set_requires_grad(TensorHandle t, int on);
    [LibraryImport(Lib)] internal static partial int atg_autograd_is_leaf(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_autograd_backward(TensorHandle t, IntPtr grad, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial IntPtr atg_autograd_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_autograd_set_grad(TensorHandle t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial IntPtr atg_autograd_detach(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_autograd_retain_grad(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_autograd_grad_fn_name(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_autograd_set_data(TensorHandle t, TensorHandle src);
}
