using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    /// <summary>Matrix decompositions (torch.linalg) and PyTorch's randomized low-rank SVD (torch.svd_lowrank).</summary>
    public static class linalg
    {
        /// <summary>Thin SVD of a 2-D tensor, <c>A = U·diag(S)·Vh</c> (torch.linalg.svd(A, full_matrices=False)):
        /// U (m, k), S (k) descending, Vh (k, n), k = min(m, n).</summary>
        public static (Tensor U, Tensor S, Tensor Vh) svd(Tensor a)
        {
            NativeError.Check(NativeMethods.atg_linalg_svd(a.Handle, out IntPtr u, out IntPtr s, out IntPtr vh));
            return (new Tensor(u), new Tensor(s), new Tensor(vh));
        }

        /// <summary>Reduced QR of a 2-D tensor, <c>A = Q·R</c> (torch.linalg.qr(A, mode="reduced")): Q (m, k) with
        /// orthonormal columns, R (k, n) upper triangular, k = min(m, n).</summary>
        public static (Tensor Q, Tensor R) qr(Tensor a)
        {
            NativeError.Check(NativeMethods.atg_linalg_qr(a.Handle, out IntPtr q, out IntPtr r));
            return (new Tensor(q), new Tensor(r));
        }
    }

    /// <summary>
    /// Rank-q approximate SVD <c>A ≈ U·diag(S)·Vᵀ</c> by PyTorch's torch.svd_lowrank (Halko, Martinsson and Tropp 2009,
    /// algorithm 5.1, with <paramref name="niter"/> subspace iterations), the same steps in the same order: when
    /// m &lt; n or n &gt; q, Q = basis(Aᵀ), Bᵀ = A·Q, (U, S, Vh) = svd(Bᵀ), V = Q·Vhᵀ; otherwise Q = basis(A), B = (Aᵀ·Q)ᵀ,
    /// (U, S, Vh) = svd(B), U = Q·U. basis(X): R = randn(X.cols, q), Q = qr(X·R).Q, then niter times
    /// Q = qr(Xᵀ·Q).Q, Q = qr(X·Q).Q. Returns U (m, q), S (q), V (n, q) (V, not Vh, as PyTorch returns it).
    /// </summary>
    /// <param name="a">A 2-D floating tensor (m, n).</param>
    /// <param name="q">Rank of the approximation.</param>
    /// <param name="niter">Subspace iterations (PyTorch's default 2).</param>
    /// <param name="generator">Draws the Gaussian test matrix; seeded the same as PyTorch's default generator
    /// (torch.manual_seed), it draws the same numbers.</param>
    public static (Tensor U, Tensor S, Tensor V) svd_lowrank(Tensor a, long q, int niter = 2, Generator? generator = null)
    {
        if (a.dim() != 2) throw new TorchException($"svd_lowrank needs a 2-D tensor, got {a.dim()} dimensions");
        long m = a.shape[0], n = a.shape[1];
        if (q < 1 || q > Math.Min(m, n)) throw new TorchException($"svd_lowrank: q must be in [1, min(m, n) = {Math.Min(m, n)}], got {q}");
        if (niter < 0) throw new TorchException($"svd_lowrank: niter must be >= 0, got {niter}");
        using var scope = NewDisposeScope();
        if (m < n || n > q)
        {
            var at = a.t();
            var basis = ApproximateBasis(at, q, niter, generator);   // (n, q)
            var bt = a.matmul(basis);                                // (m, q)
            var (u, s, vh) = linalg.svd(bt);
            var v = basis.matmul(vh.t());
            return (u.MoveToOuterScope(), s.MoveToOuterScope(), v.MoveToOuterScope());
        }
        else
        {
            var basis = ApproximateBasis(a, q, niter, generator);    // (m, q)
            var b = a.t().matmul(basis).t();                         // (q, n), as (Aᵀ·Q)ᵀ
            var (u, s, vh) = linalg.svd(b);
            var v = vh.t();
            u = basis.matmul(u);
            return (u.MoveToOuterScope(), s.MoveToOuterScope(), v.MoveToOuterScope());
        }
    }

    // torch._lowrank.get_approximate_basis: an orthonormal (rows(a), q) basis of a's range.
    private static Tensor ApproximateBasis(Tensor a, long q, int niter, Generator? generator)
    {
        var r = randn(new[] { a.shape[1], q }, a.dtype, a.device, generator: generator);
        var basis = linalg.qr(a.matmul(r)).Q;
        var at = a.t();
        for (int i = 0; i < niter; i++)
        {
            basis = linalg.qr(at.matmul(basis)).Q;
            basis = linalg.qr(a.matmul(basis)).Q;
        }
        return basis;
    }
}
