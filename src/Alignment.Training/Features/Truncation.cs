namespace Alignment.Training.Features;

/// <summary>
/// How a prompt and an answer share max_length tokens (LLaMA-Factory's rule): a short answer (under half the
/// budget) is kept whole and the prompt cut; else a short prompt is kept whole and the answer cut; else both are
/// cut in proportion to their lengths. The prompt keeps its END (the question nearest the answer; a leading BOS is
/// kept), the answer its START.
/// </summary>
public static class Truncation
{
    public static (int promptLength, int answerLength) Budget(int promptLength, int answerLength, int maxLength)
    {
        int maxAnswer;
        if (answerLength * 2 < maxLength) maxAnswer = maxLength;
        else if (promptLength * 2 < maxLength) maxAnswer = maxLength - promptLength;
        else maxAnswer = (int)(maxLength * ((double)answerLength / (promptLength + answerLength)));
        int newAnswer = Math.Min(maxAnswer, answerLength);
        int newPrompt = Math.Min(Math.Max(maxLength - newAnswer, 0), promptLength);
        return (newPrompt, newAnswer);
    }

    /// <summary>The last <paramref name="length"/> prompt tokens, keeping a leading BOS when there was one.</summary>
    public static int[] KeepEnd(int[] prompt, int length, int? bos)
    {
        if (length >= prompt.Length) return prompt;
        if (length <= 0) return Array.Empty<int>();
        if (bos is int b && prompt.Length > 0 && prompt[0] == b && length >= 2)
            return prompt[..1].Concat(prompt[^(length - 1)..]).ToArray();
        return prompt[^length..];
    }
}
