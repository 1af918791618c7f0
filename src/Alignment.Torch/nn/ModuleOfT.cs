namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A module with one input and one output, as TorchSharp's Module&lt;T, TResult&gt;: layers implement
        /// <see cref="forward"/>. Modules with other signatures derive from <see cref="Module"/> and declare their own.</summary>
        public abstract class Module<TIn, TOut> : Module
        {
            /// <summary>Computes the output. Tensors created here belong to the caller's dispose scope.</summary>
            public abstract TOut forward(TIn input);
        }
    }
}
