using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/tensor_create.cpp and native/tensor_ops.cpp.
// Tensor arguments that may be absent are IntPtr (IntPtr.Zero for none); callers keep their owners alive.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial void atg_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_alias(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_empty(long* shape, int ndim, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_zeros(long* shape, int ndim, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_ones(long* shape, int ndim, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_full(long* shape, int ndim, double value, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_arange(double start, double end, double step, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_from_data(void* data, long nbytes, long* shape, int ndim, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_randn(long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_rand(long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx, int rg);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_randint(long low, long high, long* shape, int ndim, IntPtr gen, int dtype, int dev, int idx);
    [LibraryImport(Lib)] internal static partial int atg_tensor_normal_(TensorHandle t, double mean, double std, IntPtr gen);
    [LibraryImport(Lib)] internal static partial int atg_tensor_uniform_(TensorHandle t, double from, double to, IntPtr gen);

    [LibraryImport(Lib)] internal static partial int atg_tensor_ndim(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_shape(TensorHandle t, long* shape, int cap);
    [LibraryImport(Lib)] internal static partial int atg_tensor_dtype(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_device(TensorHandle t, out int index);
    [LibraryImport(Lib)] internal static partial long atg_tensor_numel(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_is_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_element_size(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_data_ptr(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_copy_to(TensorHandle t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int atg_tensor_item_double(TensorHandle t, out double value);
    [LibraryImport(Lib)] internal static partial int atg_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_to_string(TensorHandle t);

    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_to(TensorHandle t, int dtype, int dev, int idx, int copy);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_clone(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_contiguous(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Lib)] internal static partial int atg_tensor_fill_(TensorHandle t, double value);
    [LibraryImport(Lib)] internal static partial int atg_tensor_zero_(TensorHandle t);

    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_unary(TensorHandle t, int op);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_binary(TensorHandle a, TensorHandle b, int op);
    [LibraryImport(Lib)] internal static partial int atg_tensor_binary_(TensorHandle a, TensorHandle b, int op);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_binary_scalar(TensorHandle a, double v, int op);
    [LibraryImport(Lib)] internal static partial int atg_tensor_binary_scalar_(TensorHandle a, double v, int op);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_add_scaled(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Lib)] internal static partial int atg_tensor_add_scaled_(TensorHandle a, TensorHandle b, double alpha);
    /// <summary>The name of an op code (kind 0: unary, 1: binary), a static native string; zero for an unknown code.</summary>
    [LibraryImport(Lib)] internal static partial IntPtr atg_op_name(int kind, int code);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_clamp(TensorHandle t, double min, int hasMin, double max, int hasMax);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_softplus(TensorHandle t, double beta, double threshold);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_masked_fill(TensorHandle t, TensorHandle mask, double value);
    [LibraryImport(Lib)] internal static partial int atg_tensor_masked_fill_(TensorHandle t, TensorHandle mask, double value);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_tril(TensorHandle t, long diagonal);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_triu(TensorHandle t, long diagonal);

    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_sum(TensorHandle t, long* dims, int nd, int keepdim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_mean(TensorHandle t, long* dims, int nd, int keepdim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_var(TensorHandle t, long* dims, int nd, long correction, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_logsumexp(TensorHandle t, long* dims, int nd, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_norm(TensorHandle t, double p, long* dims, int nd, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_max_all(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_min_all(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_max_dim(TensorHandle t, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int atg_tensor_min_dim(TensorHandle t, long dim, int keepdim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_argmax(TensorHandle t, long dim, int hasDim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_argmin(TensorHandle t, long dim, int hasDim, int keepdim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_cumsum(TensorHandle t, long dim, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_all(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_any(TensorHandle t);
    [LibraryImport(Lib)] internal static partial int atg_tensor_topk(TensorHandle t, long k, long dim, int largest, int sorted, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial int atg_linalg_svd(TensorHandle t, out IntPtr u, out IntPtr s, out IntPtr vh);
    [LibraryImport(Lib)] internal static partial int atg_linalg_qr(TensorHandle t, out IntPtr q, out IntPtr r);
    [LibraryImport(Lib)] internal static partial int atg_tensor_sort(TensorHandle t, long dim, int descending, out IntPtr values, out IntPtr indices);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_multinomial(TensorHandle probs, long n, int replacement, IntPtr gen);

    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_view(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_reshape(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_permute(TensorHandle t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_expand(TensorHandle t, long* shape, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_repeat(TensorHandle t, long* repeats, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_flip(TensorHandle t, long* dims, int n);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_transpose(TensorHandle t, long d0, long d1);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_flatten(TensorHandle t, long start, long end);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_narrow(TensorHandle t, long dim, long start, long length);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_select(TensorHandle t, long dim, long index);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_slice(TensorHandle t, long dim, long start, long end, long step);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_squeeze(TensorHandle t, long dim, int hasDim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_unsqueeze(TensorHandle t, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_index_select(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_gather(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle src);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_scatter_add(TensorHandle t, long dim, TensorHandle index, TensorHandle src);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_masked_select(TensorHandle t, TensorHandle mask);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_nonzero(TensorHandle t);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_repeat_interleave(TensorHandle t, long repeats, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_repeat_interleave_tensor(TensorHandle t, TensorHandle repeats, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_cat(IntPtr* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_stack(IntPtr* tensors, int n, long dim);
    [LibraryImport(Lib)] internal static partial int atg_tensor_split(TensorHandle t, long size, long dim, IntPtr* outs, int cap);
    [LibraryImport(Lib)] internal static partial int atg_tensor_split_sizes(TensorHandle t, long* sizes, int n, long dim, IntPtr* outs, int cap);
    [LibraryImport(Lib)] internal static partial int atg_tensor_chunk(TensorHandle t, long chunks, long dim, IntPtr* outs, int cap);

    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_mm(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_bmm(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr atg_tensor_linear(TensorHandle x, TensorHandle w, IntPtr bias);
}
