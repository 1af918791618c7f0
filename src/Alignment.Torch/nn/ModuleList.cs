using System.Collections;
using System.Globalization;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>An indexed list of child modules, named "0", "1", ... so their parameters are
        /// <c>layers.0.weight</c>, <c>layers.1.weight</c> as in PyTorch and Hugging Face checkpoints.</summary>
        /// <typeparam name="T">The element type (e.g. a decoder layer), so indexing needs no cast.</typeparam>
        public class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
        {
            private readonly List<T> items = new();

            /// <summary>A list holding <paramref name="modules"/> in order (it owns them from now on).</summary>
            public ModuleList(params T[] modules) : this((IEnumerable<T>)modules) { }

            /// <summary>A list holding <paramref name="modules"/> in order (it owns them from now on).</summary>
            public ModuleList(IEnumerable<T> modules) => extend(modules);

            /// <summary>Adds a module at the end (named by its position); the list owns it from now on.</summary>
            public ModuleList<T> append(T module)
            {
                register_module(items.Count.ToString(CultureInfo.InvariantCulture), module);
                items.Add(module);
                return this;
            }

            /// <summary>Appends each module in order.</summary>
            public ModuleList<T> extend(IEnumerable<T> modules)
            {
                foreach (var m in modules) append(m);
                return this;
            }

            /// <summary>The module at <paramref name="index"/>; negative indices count from the end.</summary>
            public T this[int index]
            {
                get
                {
                    int i = index < 0 ? index + items.Count : index;
                    if (i < 0 || i >= items.Count)
                        throw new TorchException($"index {index} is out of range for a ModuleList of {items.Count} modules");
                    return items[i];
                }
            }

            /// <summary>Number of modules.</summary>
            public int Count => items.Count;

            /// <summary>The modules in order.</summary>
            public IEnumerator<T> GetEnumerator() => items.GetEnumerator();

            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }

        /// <summary>A <see cref="ModuleList{T}"/> of any modules.</summary>
        public class ModuleList : ModuleList<Module>
        {
            /// <summary>A list holding <paramref name="modules"/> in order.</summary>
            public ModuleList(params Module[] modules) : base(modules) { }

            /// <summary>A list holding <paramref name="modules"/> in order.</summary>
            public ModuleList(IEnumerable<Module> modules) : base(modules) { }
        }
    }
}
