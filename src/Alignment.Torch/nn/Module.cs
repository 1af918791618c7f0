using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every layer and model. A module owns named parameters, buffers and child modules, registered
        /// explicitly (<see cref="register_parameter"/>, <see cref="register_buffer"/>, <see cref="register_module"/>);
        /// their dotted names (<c>model.layers.0.self_attn.q_proj.weight</c>) are the keys of <see cref="state_dict"/>,
        /// so they match Hugging Face safetensors names when modules are named as in transformers.
        /// Disposing a module frees its parameters, buffers and child modules.
        /// Fluent helpers returning the module's own type (to, cpu, cuda, train, eval, requires_grad_) are extension
        /// methods in <see cref="ModuleExtensions"/>.
        /// </summary>
        public abstract partial class Module : IDisposable
        {
            private readonly OrderedDictionary<string, Parameter> _parameters = new();
            private readonly OrderedDictionary<string, Tensor> _buffers = new();
            private readonly HashSet<string> nonPersistentBuffers = new();
            private readonly OrderedDictionary<string, Module> _modules = new();
            private bool disposed;

            /// <summary>True in training mode (the default), false after eval(); layers such as Dropout read it.</summary>
            public bool training { get; private set; } = true;

            /// <summary>The module's type name (used in messages), without generic arity.</summary>
            public virtual string name
            {
                get
                {
                    string n = GetType().Name;
                    int tick = n.IndexOf('`');
                    return tick < 0 ? n : n[..tick];
                }
            }

            // ---- registration ----

            /// <summary>Registers (or replaces) a parameter under <paramref name="name"/>. The module owns it from now on
            /// and disposes it with itself; a parameter it replaces is disposed now (unless it is the same object).
            /// Registering one parameter in two modules ties them (weight tying); disposing it twice is harmless.</summary>
            public void register_parameter(string name, Parameter parameter)
            {
                ArgumentNullException.ThrowIfNull(parameter);
                CheckName(name, _parameters);
                if (_parameters.TryGetValue(name, out var old) && !ReferenceEquals(old, parameter)) old.Dispose();
                _parameters[name] = parameter;
            }

            /// <summary>Registers (or replaces) a buffer: a tensor that belongs to the module's state but is not trained
            /// (e.g. rotary frequencies, running statistics). The module takes the tensor out of its dispose scope and
            /// disposes it with itself; a buffer it replaces is disposed now.</summary>
            /// <param name="name">Attribute name, without dots.</param>
            /// <param name="tensor">The value; owned by the module from now on.</param>
            /// <param name="persistent">Whether the buffer is part of <see cref="state_dict"/> (default true). Non-persistent
            /// buffers are still moved by to(...) but are neither saved nor expected when loading.</param>
            public void register_buffer(string name, Tensor tensor, bool persistent = true)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                CheckName(name, _buffers);
                if (_buffers.TryGetValue(name, out var old) && !ReferenceEquals(old, tensor)) old.Dispose();
                tensor.DetachFromDisposeScope();
                _buffers[name] = tensor;
                if (persistent) nonPersistentBuffers.Remove(name);
                else nonPersistentBuffers.Add(name);
            }

            /// <summary>Registers (or replaces) a child module; its parameters appear under "<paramref name="name"/>.".
            /// The child is disposed with this module; a child it replaces is disposed now.</summary>
            public void register_module(string name, Module module)
            {
                ArgumentNullException.ThrowIfNull(module);
                if (ReferenceEquals(module, this)) throw new TorchException($"cannot register {this.name} as its own child '{name}'");
                CheckName(name, _modules);
                if (_modules.TryGetValue(name, out var old) && !ReferenceEquals(old, module)) old.Dispose();
                _modules[name] = module;
            }

            /// <summary>Removes the child module registered under <paramref name="name"/> and returns it, not disposed (the
            /// caller owns it from now on), or null when there is none; its parameters leave state_dict (PyTorch:
            /// <c>del self.name</c>). For modules that add and drop optional children, such as a LoRA adapter.</summary>
            protected Module? remove_module(string name) => _modules.Remove(name, out var m) ? m : null;

            /// <summary>Removes the parameter registered under <paramref name="name"/> and returns it, not disposed (the
            /// caller owns it then), or null when there is none.</summary>
            protected Parameter? remove_parameter(string name) => _parameters.Remove(name, out var p) ? p : null;

            private void CheckName<T>(string name, OrderedDictionary<string, T> home)
            {
                if (string.IsNullOrEmpty(name)) throw new TorchException($"{this.name}: a parameter, buffer or module name must not be empty");
                if (name.Contains('.')) throw new TorchException($"{this.name}: name '{name}' must not contain '.' (dots separate nesting levels)");
                bool taken = (!ReferenceEquals(home, _parameters) && _parameters.ContainsKey(name))
                             || (!ReferenceEquals(home, _buffers) && _buffers.ContainsKey(name))
                             || (!ReferenceEquals(home, _modules) && _modules.ContainsKey(name));
                if (taken) throw new TorchException($"{this.name}: '{name}' is already registered as a different kind (parameter, buffer or module)");
            }

            // ---- lookup ----

            /// <summary>The parameter registered on this module (not a child) under <paramref name="name"/>.</summary>
            protected Parameter own_parameter(string name) =>
                _parameters.TryGetValue(name, out var p) ? p : throw new TorchException($"{this.name} has no parameter '{name}'");

            /// <summary>The parameter registered on this module under <paramref name="name"/>, or null.</summary>
            protected Parameter? find_parameter(string name) => _parameters.TryGetValue(name, out var p) ? p : null;

            /// <summary>The buffer registered on this module (not a child) under <paramref name="name"/>.</summary>
            protected Tensor own_buffer(string name) =>
                _buffers.TryGetValue(name, out var b) ? b : throw new TorchException($"{this.name} has no buffer '{name}'");

            /// <summary>The descendant module at a dotted path ("layers.0.mlp"); "" is this module.</summary>
            public Module get_submodule(string target)
            {
                Module m = this;
                if (target.Length == 0) return m;
                foreach (var part in target.Split('.'))
                {
                    if (!m._modules.TryGetValue(part, out var child))
                        throw new TorchException($"{m.name} has no child module '{part}' (looking up '{target}')");
                    m = child;
                }
                return m;
            }

            /// <summary>The parameter at a dotted path ("layers.0.mlp.up_proj.weight").</summary>
            public Parameter get_parameter(string target)
            {
                int dot = target.LastIndexOf('.');
                var owner = dot < 0 ? this : get_submodule(target[..dot]);
                return owner.own_parameter(target[(dot + 1)..]);
            }

            /// <summary>The buffer at a dotted path.</summary>
            public Tensor get_buffer(string target)
            {
                int dot = target.LastIndexOf('.');
                var owner = dot < 0 ? this : get_submodule(target[..dot]);
                return owner.own_buffer(target[(dot + 1)..]);
            }

            // ---- traversal ----

            /// <summary>Direct child modules with their names, in registration order.</summary>
            public IEnumerable<(string name, Module module)> named_children()
            {
                foreach (var (n, m) in _modules) yield return (n, m);
            }

            /// <summary>Direct child modules, in registration order.</summary>
            public IEnumerable<Module> children() => named_children().Select(c => c.module);

            /// <summary>This module (named <paramref name="prefix"/>) and every descendant with its dotted name,
            /// depth first; a module reachable twice is listed once.</summary>
            public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                return NamedModules(prefix, seen);
            }

            private IEnumerable<(string name, Module module)> NamedModules(string prefix, HashSet<Module> seen)
            {
                if (!seen.Add(this)) yield break;
                yield return (prefix, this);
                foreach (var (n, child) in _modules)
                    foreach (var item in child.NamedModules(Join(prefix, n), seen))
                        yield return item;
            }

            /// <summary>This module and every descendant, each once.</summary>
            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            /// <summary>Parameters with dotted names, in registration order (own first, then the children's); a tied
            /// parameter reachable under two names is listed once, under the first.</summary>
            /// <param name="prefix">Prepended to every name (with a dot).</param>
            /// <param name="recurse">False lists only this module's own parameters.</param>
            public IEnumerable<(string name, Parameter parameter)> named_parameters(string prefix = "", bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                var owners = recurse ? named_modules(prefix) : new[] { (prefix, this) };
                foreach (var (modName, m) in owners)
                    foreach (var (n, p) in m._parameters)
                        if (seen.Add(p)) yield return (Join(modName, n), p);
            }

            /// <summary>All parameters (see <see cref="named_parameters"/>), frozen ones included; filter on
            /// requires_grad for the trainable ones.</summary>
            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters("", recurse).Select(p => p.parameter);

            /// <summary>Buffers (persistent or not) with dotted names; a buffer reachable twice is listed once.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers(string prefix = "", bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                var owners = recurse ? named_modules(prefix) : new[] { (prefix, this) };
                foreach (var (modName, m) in owners)
                    foreach (var (n, b) in m._buffers)
                        if (seen.Add(b)) yield return (Join(modName, n), b);
            }

            /// <summary>All buffers (see <see cref="named_buffers"/>).</summary>
            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers("", recurse).Select(b => b.buffer);

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            // ---- modes ----

            // Behind the fluent train()/eval() extensions: sets the mode on this module and every descendant.
            internal void SetTraining(bool mode)
            {
                foreach (var m in modules()) m.training = mode;
            }

            // Behind the fluent requires_grad_() extension.
            internal void SetRequiresGrad(bool requires_grad)
            {
                foreach (var p in parameters()) p.requires_grad = requires_grad;
            }

            /// <summary>Clears the gradients of every parameter.</summary>
            /// <param name="set_to_none">True (default, as PyTorch 2): remove the gradient tensors so memory is freed and
            /// the next backward allocates fresh ones. False: fill existing gradients with zeros.</param>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters()) ZeroGrad(p, set_to_none);
            }

            internal static void ZeroGrad(Tensor p, bool set_to_none)
            {
                if (set_to_none)
                {
                    p.grad = null;
                    return;
                }
                using var g = p.grad;
                g?.zero_();
            }

            // ---- dtype and device ----

            // Behind the fluent to(dtype) extension: floating-point parameters, buffers and gradients only.
            internal void ConvertTo(ScalarType dtype)
            {
                if (!dtype.IsFloatingPoint())
                    throw new TorchException($"{name}: modules can only be converted to a floating-point dtype, not {dtype.TorchName()}");
                ApplyInPlace(t => t.dtype.IsFloatingPoint() && t.dtype != dtype ? t.to(dtype) : null);
            }

            // Behind the fluent to(device) extension.
            internal void MoveTo(Device device) => ApplyInPlace(t => t.device != device ? t.to(device) : null);

            // fn returns the converted tensor, or null when t needs no change.
            private void ApplyInPlace(Func<Tensor, Tensor?> fn)
            {
                using var noGrad = no_grad();
                foreach (var t in parameters().Cast<Tensor>().Concat(buffers()))
                {
                    SetData(t, fn);
                    using var g = t.grad;
                    if (g != null) SetData(g, fn);
                }
            }

            private static void SetData(Tensor t, Func<Tensor, Tensor?> fn)
            {
                using var converted = fn(t);
                if (converted != null) NativeError.Check(NativeMethods.atg_autograd_set_data(t.Handle, converted.Handle));
            }

            // ---- lifetime ----

            /// <summary>Frees the parameters, buffers and child modules (tied ones are freed once).</summary>
            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            /// <summary>Override to free extra native resources; call the base.</summary>
            protected virtual void Dispose(bool disposing)
            {
                if (disposed) return;
                disposed = true;
                foreach (var p in _parameters.Values) p.Dispose();
                foreach (var b in _buffers.Values) b.Dispose();
                foreach (var c in _modules.Values) c.Dispose();
                _parameters.Clear();
                _buffers.Clear();
                _modules.Clear();
            }
        }
    }
}
