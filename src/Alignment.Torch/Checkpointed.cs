using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Alignment.Torch.Native;

namespace Alignment.Torch;

/// <summary>
/// Gradient checkpointing (activation recomputation) of one body of code, the reentrant form of
/// torch.utils.checkpoint: <see cref="Apply"/> runs the body without recording a graph, so its intermediate tensors
/// are freed at once, and keeps only its inputs; backward reruns the body on them (with the default generator of
/// the inputs' device put back to where it was, so dropout draws the same masks) and back-propagates through the
/// rerun. The gradients are those of running the body directly; the cost is a second forward pass of the body.
/// <para>The body must be a function of its inputs and of the module state it closes over (weights), and give the
/// same result when rerun. Trainable tensors it uses besides its inputs must be passed as <c>parameters</c>, so that
/// their gradients flow. Not for double backward (create_graph).</para>
/// <para>Create one per body (e.g. per decoder layer) and keep it until the model is disposed: a backward that
/// reaches a checkpoint whose <see cref="Checkpointed"/> was disposed fails with a clear error.</para>
/// </summary>
public sealed class Checkpointed : IDisposable
{
    private static readonly ConcurrentDictionary<long, Func<Tensor[], Tensor>> Bodies = new();
    private static long nextId;

    // The exception a body threw on this thread, rethrown by the native call that ran it.
    [ThreadStatic] private static Exception? pending;

    private readonly long id;

    /// <param name="body">Inputs (the tensors given to <see cref="Apply"/>, in order) to one output tensor.</param>
    public Checkpointed(Func<Tensor[], Tensor> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        id = Interlocked.Increment(ref nextId);
        Bodies[id] = body;
    }

    /// <summary>body(inputs), its activations recomputed in backward instead of kept.</summary>
    /// <param name="inputs">The body's tensor inputs (the first one's device picks the generator whose state is kept).</param>
    /// <param name="parameters">Trainable tensors the body uses besides its inputs (e.g. the module's parameters that
    /// require grad); frozen ones need not be passed.</param>
    public unsafe Tensor Apply(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> parameters)
    {
        if (!Bodies.ContainsKey(id)) throw new ObjectDisposedException(nameof(Checkpointed));
        if (inputs.Count == 0) throw new TorchException("checkpoint: at least one input tensor is needed");
        var ins = new IntPtr[inputs.Count];
        var ps = new IntPtr[parameters.Count];
        for (int i = 0; i < ins.Length; i++) ins[i] = inputs[i].RawHandle;
        for (int i = 0; i < ps.Length; i++) ps[i] = parameters[i].RawHandle;
        IntPtr raw;
        fixed (IntPtr* pi = ins)
        fixed (IntPtr* pp = ps)
            raw = NativeMethods.atg_checkpoint(&Body, id, pi, ins.Length, pp, ps.Length);
        GC.KeepAlive(inputs);
        GC.KeepAlive(parameters);
        if (raw == IntPtr.Zero && TakePending() is { } e)
        {
            NativeError.Take();
            ExceptionDispatchInfo.Throw(e);
        }
        return Tensor.Wrap(raw);
    }

    /// <summary>True while backward reruns a checkpointed body on this thread (false while the body runs forward, and
    /// outside any body). A body may then skip computing a value that nothing in the rerun reads, as long as the
    /// gradient path stays the same: the rerun's output only carries the gradient back, its values are never used.
    /// Dropout masks drawn through <c>functional.dropout_linear</c> in the forward, and products a quantized linear
    /// was asked to keep (<c>functional.linear_4bit</c>'s keep_for_rerun), are taken back from the body's tape in the
    /// rerun rather than computed again (the generator is left as the forward left it after each mask).</summary>
    public static bool Recomputing => NativeMethods.atg_checkpoint_recomputing() != 0;

    /// <summary>The exception a checkpointed body threw on this thread since the last call, cleared as it is read.</summary>
    internal static Exception? TakePending()
    {
        var e = pending;
        pending = null;
        return e;
    }

    public void Dispose() => Bodies.TryRemove(id, out _);

    // Called by the native side (forward, and again in backward). Owns the input handles; gives away *output.
    [UnmanagedCallersOnly]
    private static unsafe int Body(long id, IntPtr* inputs, int n, IntPtr* output, byte* error, int errorCapacity)
    {
        *output = IntPtr.Zero;
        try
        {
            using var scope = torch.NewDisposeScope();
            var xs = new Tensor[n];
            for (int i = 0; i < n; i++) xs[i] = new Tensor(inputs[i]);
            if (!Bodies.TryGetValue(id, out var body))
                throw new TorchException("gradient checkpointing: backward reached a checkpointed block whose model (its Checkpointed) was " +
                                         "disposed; run backward before disposing the model");
            var y = body(xs);
            *output = NativeError.Check(NativeMethods.atg_tensor_alias(y.Handle));
            return 0;
        }
        catch (Exception e)
        {
            pending = e;
            var bytes = Encoding.UTF8.GetBytes($"{e.GetType().Name}: {e.Message}");
            int len = Math.Min(bytes.Length, errorCapacity - 1);
            if (len > 0) Marshal.Copy(bytes, 0, (IntPtr)error, len);
            if (errorCapacity > 0) error[Math.Max(len, 0)] = 0;
            return 1;
        }
    }
}
