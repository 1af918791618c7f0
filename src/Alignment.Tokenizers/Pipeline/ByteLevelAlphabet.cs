namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// GPT-2's reversible byte-to-character map: every byte becomes one printable character, so a
/// byte-level vocabulary is a vocabulary of strings (byte 0x20, the space, is written 'Ġ').
/// Printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 and up, in order.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>ByteToChar[b] is the character that stands for byte b.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>CharToByte[c] is the byte that character c stands for, or -1 (indexed by c up to U+0143).</summary>
    private static readonly short[] CharToByteTable = BuildCharToByte();

    public static bool TryGetByte(char c, out byte value)
    {
        if (c < CharToByteTable.Length && CharToByteTable[c] >= 0)
        {
            value = (byte)CharToByteTable[c];
            return true;
        }
        value = 0;
        return false;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[0x144];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
            table[ByteToChar[b]] = (short)b;
        return table;
    }
}
