using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        // bitsandbytes' 4-bit (NF4/FP4), 8-bit blockwise and int8 per-row quantization and the linear layers over a 4-bit or int8 weight
        // (native/quant4.cpp). CPU only.
        public static partial class functional
        {
            /// <summary>A code table: "nf4" and "fp4" (16 float32 values, bitsandbytes' get_4bit_type, the quant_map of a
            /// saved checkpoint) or "dynamic" (256 float32 values, create_dynamic_map(signed=True), the nested_quant_map
            /// of double quantization).</summary>
            public static Tensor quant_code(string type) => Tensor.Wrap(NativeMethods.atg_quant_code(QuantType(type, allowDynamic: true)));

            /// <summary>bitsandbytes' quantize_4bit: absmax per block of <paramref name="blocksize"/> values of the
            /// flattened tensor, each value divided by it and mapped to the nearest code index, two indices per byte
            /// (the first in the high nibble).</summary>
            /// <returns>packed uint8 ((n + 1) / 2, 1) and absmax float32 (ceil(n / blocksize)).</returns>
            public static (Tensor packed, Tensor absmax) quantize_4bit(Tensor a, string quant_type = "nf4", long blocksize = 64)
            {
                int rc = NativeMethods.atg_quantize_4bit(a.Handle, blocksize, QuantType(quant_type, allowDynamic: false), out var packed, out var absmax);
                NativeError.Check(rc);
                return (Tensor.Wrap(packed), Tensor.Wrap(absmax));
            }

            /// <summary>The inverse of <see cref="quantize_4bit"/>: <c>code[index] · absmax[block]</c>, in float32 and then
            /// cast to <paramref name="dtype"/>, shaped <paramref name="shape"/>.</summary>
            public static unsafe Tensor dequantize_4bit(Tensor packed, Tensor absmax, Tensor code, long blocksize, long[] shape, ScalarType dtype)
            {
                fixed (long* s = shape)
                    return Tensor.Wrap(NativeMethods.atg_dequantize_4bit(packed.Handle, absmax.Handle, code.Handle, blocksize, s, shape.Length, (int)dtype));
            }

            /// <summary>bitsandbytes' quantize_blockwise (8-bit): absmax per block, then the nearest entry of the sorted
            /// 256-value <paramref name="code"/> (its binary search and tie rule).</summary>
            /// <returns>q uint8 (n) and absmax float32 (ceil(n / blocksize)).</returns>
            public static (Tensor q, Tensor absmax) quantize_blockwise(Tensor a, Tensor code, long blocksize = 256)
            {
                int rc = NativeMethods.atg_quantize_blockwise(a.Handle, code.Handle, blocksize, out var q, out var absmax);
                NativeError.Check(rc);
                return (Tensor.Wrap(q), Tensor.Wrap(absmax));
            }

            /// <summary>The inverse of <see cref="quantize_blockwise"/>: <c>code[q] · absmax[block]</c> (float32).</summary>
            public static Tensor dequantize_blockwise(Tensor q, Tensor absmax, Tensor code, long blocksize = 256) =>
                Tensor.Wrap(NativeMethods.atg_dequantize_blockwise(q.Handle, absmax.Handle, code.Handle, blocksize));

            /// <summary><c>y = x·Wᵀ + b</c> with W (out, in) held 4-bit: W is dequantized a band of rows at a time into one
            /// scratch buffer that feeds the matmul (the whole float weight never exists). The backward gives the gradient
            /// of x (and of b) the same way; W is frozen.</summary>
            /// <param name="x">(..., in) float32, float64 or bfloat16 on the CPU; W is dequantized to its dtype.</param>
            /// <param name="packed">From <see cref="quantize_4bit"/>.</param>
            /// <param name="absmax">float32 absmax per block (double-quantized values dequantized first).</param>
            /// <param name="code">The 16-value code table.</param>
            /// <param name="value_unused">The caller reads only the gradient the result carries back, never its values (the
            /// last projection of a block rerun by gradient checkpointing, whose output nothing in the rerun reads): the
            /// result is then zeros, skipping the dequantization and the matmul, and its backward is unchanged.</param>
            /// <param name="keep_for_rerun">Inside a checkpointed body (<see cref="Checkpointed"/>): the forward keeps the
            /// product on the body's tape and backward's rerun takes it back instead of computing it again (memory for
            /// time: the product's size, kept until the backward, against a dequantization and a matmul). No effect
            /// outside a body. The caller must not change the result in place.</param>
            public static Tensor linear_4bit(Tensor x, Tensor packed, Tensor absmax, Tensor code, long out_features, long in_features,
                                             long blocksize, Tensor? bias = null, bool value_unused = false, bool keep_for_rerun = false)
            {
                var r = NativeMethods.atg_linear_4bit(x.Handle, packed.Handle, absmax.Handle, code.Handle, bias?.RawHandle ?? IntPtr.Zero,
                                                      out_features, in_features, blocksize, QuantFlags(value_unused, keep_for_rerun));
                GC.KeepAlive(bias);
                return Tensor.Wrap(r);
            }

            /// <summary>bitsandbytes' int8_vectorwise_quant (threshold 0) of an (out, in) weight: SCB = max |w| per row,
            /// q = round-half-even(w · (127 / SCB)) as int8 (an all-zero row gives 0s).</summary>
            /// <returns>q int8 (out, in) and SCB float32 (out).</returns>
            public static (Tensor q, Tensor scb) quantize_int8_rowwise(Tensor weight)
            {
                int rc = NativeMethods.atg_quantize_int8_rowwise(weight.Handle, out var q, out var scb);
                NativeError.Check(rc);
                return (Tensor.Wrap(q), Tensor.Wrap(scb));
            }

            /// <summary>The inverse of <see cref="quantize_int8_rowwise"/>: <c>q · SCB[row] · (1/127)</c> in float32, cast to
            /// <paramref name="dtype"/> (bitsandbytes' int8_vectorwise_dequant).</summary>
            public static Tensor dequantize_int8_rowwise(Tensor q, Tensor scb, ScalarType dtype) =>
                Tensor.Wrap(NativeMethods.atg_dequantize_int8_rowwise(q.Handle, scb.Handle, (int)dtype));

            /// <summary><see cref="linear_4bit"/> over an int8 per-row weight (<see cref="quantize_int8_rowwise"/>): W is
            /// dequantized a band of rows at a time, frozen; the backward gives the gradient of x (and of b).
            /// <paramref name="value_unused"/> and <paramref name="keep_for_rerun"/> as for <see cref="linear_4bit"/>.</summary>
            public static Tensor linear_8bit(Tensor x, Tensor q, Tensor scb, long out_features, long in_features, Tensor? bias = null,
                                             bool value_unused = false, bool keep_for_rerun = false)
            {
                var r = NativeMethods.atg_linear_8bit(x.Handle, q.Handle, scb.Handle, bias?.RawHandle ?? IntPtr.Zero, out_features, in_features,
                                                      QuantFlags(value_unused, keep_for_rerun));
                GC.KeepAlive(bias);
                return Tensor.Wrap(r);
            }

            // native/quant4.cpp's LinearQuant flags.
            private static int QuantFlags(bool valueUnused, bool keepForRerun) => (valueUnused ? 1 : 0) | (keepForRerun ? 2 : 0);

            private static int QuantType(string type, bool allowDynamic) => type switch
            {
                "nf4" => 0,
                "fp4" => 1,
                "dynamic" when allowDynamic => 2,
                _ => throw new ArgumentException($"quant type '{type}': use nf4 or fp4{(allowDynamic ? " (or dynamic for the 8-bit map)" : "")}"),
            };
        }
    }
}
