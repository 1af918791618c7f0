using System.Text;
using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Pipeline;
using Alignment.Tokenizers.PreTokenizers;

namespace Alignment.Tokenizers.Decoders;

/// <summary>
/// tokenizer.json <c>decoder</c>: turns token strings back into text. Each step maps the list of
/// strings to a new list (Hugging Face's <c>decode_chain</c>); the result is their concatenation.
/// </summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens);

    public const string Supported = "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence";

    public static Decoder? Load(JsonCursor json)
    {
        if (json.IsNull) return null;
        var type = json.Child("type");
        return type.GetString() switch
        {
            "ByteLevel" => new ByteLevelDecoder(),
            "Replace" => new ReplaceDecoder(ReplacePattern.Load(json), json.Child("content").GetString()),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => LoadStrip(json),
            "Metaspace" => LoadMetaspace(json),
            "Sequence" => new SequenceDecoder(json.Child("decoders").Items().Select(Load).OfType<Decoder>().ToArray()),
            var other => throw type.Unsupported(other, Supported),
        };
    }

    private static StripDecoder LoadStrip(JsonCursor json)
    {
        var content = json.Child("content");
        string c = content.GetString();
        if (c.Length != 1) throw content.Error("must be a single character");
        return new StripDecoder(c[0], json.Optional("start").GetInt(0), json.Optional("stop").GetInt(0));
    }

    private static MetaspaceDecoder LoadMetaspace(JsonCursor json)
    {
        var (replacement, scheme) = MetaspacePreTokenizer.ReadCommon(json);
        return new MetaspaceDecoder(replacement, scheme != PrependScheme.Never);
    }
}

internal sealed class SequenceDecoder(Decoder[] steps) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        foreach (var step in steps) tokens = step.DecodeChain(tokens, addedTokens);
        return tokens;
    }
}

/// <summary>Byte-level characters back to bytes, then UTF-8 (invalid sequences become U+FFFD). Added tokens pass through as written.</summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (addedTokens.Contains(token))
            {
                Flush();
                text.Append(token);
                continue;
            }
            int before = bytes.Count;
            bool mapped = true;
            foreach (char c in token)
            {
                if (!ByteLevelAlphabet.TryGetByte(c, out byte b)) { mapped = false; break; }
                bytes.Add(b);
            }
            if (!mapped)
            {
                // A token outside the byte alphabet stands for its own UTF-8 bytes.
                bytes.RemoveRange(before, bytes.Count - before);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
            }
        }
        Flush();
        return [text.ToString()];

        void Flush()
        {
            if (bytes.Count == 0) return;
            text.Append(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
            bytes.Clear();
        }
    }
}

internal sealed class ReplaceDecoder(ReplacePattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) =>
        tokens.Select(t => pattern.Replace(t, content)).ToList();
}

/// <summary>Runs of <c>&lt;0xHH&gt;</c> tokens become the UTF-8 text they spell; an invalid run becomes one U+FFFD per byte.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var result = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByte(token, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            result.Add(token);
        }
        Flush();
        return result;

        void Flush()
        {
            if (bytes.Count == 0) return;
            try
            {
                result.Add(Strict.GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                for (int i = 0; i < bytes.Count; i++) result.Add("\uFFFD");
            }
            bytes.Clear();
        }
    }

    private static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) => [string.Concat(tokens)];
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing <c>content</c> characters of each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens) =>
        tokens.Select(t =>
        {
            int from = 0;
            while (from < start && from < t.Length && t[from] == content) from++;
            int to = t.Length;
            for (int i = 0; i < stop && to > from && t[to - 1] == content; i++) to--;
            return t[from..to];
        }).ToList();
}

/// <summary>▁ back to spaces; the ▁ the pre-tokenizer prepended to the first token is dropped.</summary>
internal sealed class MetaspaceDecoder(char replacement, bool stripPrepended) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens, ISet<string> addedTokens)
    {
        var result = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i == 0 && stripPrepended && t.Length > 0 && t[0] == replacement) t = t[1..];
            result.Add(t.Replace(replacement, ' '));
        }
        return result;
    }
}
