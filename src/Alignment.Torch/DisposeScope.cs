namespace Alignment.Torch;

/// <summary>
/// Every tensor created on this thread while a scope is open is disposed when the scope ends, unless it was
/// moved out (<see cref="Tensor.MoveToOuterScope"/>) or detached (<see cref="Tensor.DetachFromDisposeScope"/>).
/// Open one per forward, per training step and per generation loop: native memory is then freed
/// deterministically and the garbage collector never holds tensor memory.
/// <code>
/// using (torch.NewDisposeScope()) { var loss = model.forward(x).mean(); loss.backward(); opt.step(); }
/// </code>
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly List<Tensor> tensors = new();
    private bool disposed;

    internal DisposeScope()
    {
        Outer = current;
        current = this;
    }

    /// <summary>The innermost open scope on this thread, or null.</summary>
    public static DisposeScope? Current => current;

    /// <summary>The scope that was current when this one opened.</summary>
    public DisposeScope? Outer { get; }

    /// <summary>Number of tensors this scope still owns.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var t in tensors)
                if (ReferenceEquals(t.OwningScope, this) && !t.IsDisposed) n++;
            return n;
        }
    }

    internal static void Register(Tensor t)
    {
        var scope = current;
        if (scope == null) return;
        scope.Add(t);
    }

    internal void Add(Tensor t)
    {
        t.OwningScope = this;
        tensors.Add(t);
    }

    /// <summary>Moves tensors to the enclosing scope (or out of scope management when there is none) and returns the first.</summary>
    public T MoveToOuter<T>(T tensor) where T : Tensor
    {
        tensor.MoveToOuterScope();
        return tensor;
    }

    /// <summary>Moves several tensors to the enclosing scope.</summary>
    public void MoveToOuter(params Tensor[] tensors)
    {
        foreach (var t in tensors) t.MoveToOuterScope();
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var t in tensors)
            if (ReferenceEquals(t.OwningScope, this))
            {
                t.OwningScope = null;
                t.Dispose();
            }
        tensors.Clear();
        // Scopes close in LIFO order; if an inner one was left open, closing this one closes the chain down to Outer.
        if (current == this || IsAncestorOf(current)) current = Outer;
    }

    private bool IsAncestorOf(DisposeScope? s)
    {
        for (var p = s?.Outer; p != null; p = p.Outer)
            if (ReferenceEquals(p, this)) return true;
        return false;
    }
}
