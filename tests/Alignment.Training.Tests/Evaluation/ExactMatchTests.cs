using Alignment.Training.Evaluation;

namespace Alignment.Training.Tests.Evaluation;

public class ExactMatchTests
{
    [Theory]
    [InlineData("Paris", "Paris", true)]
    [InlineData("  Paris\n", "\tParis ", true)]        // leading/trailing whitespace removed
    [InlineData("Paris\u00A0", "Paris", true)]           // a no-break space is whitespace too
    [InlineData("paris", "Paris", false)]               // case kept
    [InlineData("Paris.", "Paris", false)]              // punctuation kept
    [InlineData("New  York", "New York", false)]        // inner whitespace kept
    [InlineData("Cafe\u0301", "Caf\u00E9", false)]      // no Unicode normalization
    public void Only_surrounding_whitespace_is_ignored(string answer, string reference, bool expected) =>
        Assert.Equal(expected, ExactMatch.Matches(answer, reference));

    [Fact]
    public void Rate_counts_matches_over_answers() =>
        Assert.Equal(2.0 / 3, ExactMatch.Rate(["4", " 5 ", "six"], ["4", "5", "6"]), 12);
}
