using Alignment.Training.Batching;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// A scripted judge's verdict on each prompt's pair of answers, the policy's side (left or right) drawn per prompt from
/// the seed, so a judge with a side bias cannot favour either model: +1 the policy won, 0 tie, −1 the other answer won;
/// <c>BothBad</c> marks the ties the judge called both bad.
/// </summary>
public static class ScriptedVerdicts
{
    public static (int[] Outcomes, bool[] BothBad) Judge(IScriptedJudge judge, ulong seed, IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<string> other)
    {
        var coin = new SplitMix64(seed);
        var outcomes = new int[prompts.Count];
        var bothBad = new bool[prompts.Count];
        for (int i = 0; i < outcomes.Length; i++)
        {
            bool policyLeft = coin.NextInt(2) == 0;
            var v = policyLeft ? judge.Judge(prompts[i], policy[i], other[i]) : judge.Judge(prompts[i], other[i], policy[i]);
            outcomes[i] = v.Choice switch
            {
                Data.Model.ShownChoice.Left => policyLeft ? 1 : -1,
                Data.Model.ShownChoice.Right => policyLeft ? -1 : 1,
                _ => 0,
            };
            bothBad[i] = v.Choice == Data.Model.ShownChoice.BothBad;
        }
        return (outcomes, bothBad);
    }
}
