namespace Alignment.Workflows.Evaluation;

/// <summary>
/// A win rate with its 95% Wilson score interval (Wilson 1927): p̂ = (wins + ties/2) / n, ties counting half a win
/// each side; interval (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n) with z = 1.959964.
/// </summary>
public sealed record WinRate(int Wins, int Ties, int Losses, double Rate, double Low, double High)
{
    public const double Z95 = 1.959963984540054;

    public int Count => Wins + Ties + Losses;

    public static WinRate From(int wins, int ties, int losses)
    {
        int n = wins + ties + losses;
        if (n == 0) return new WinRate(0, 0, 0, double.NaN, double.NaN, double.NaN);
        double p = (wins + 0.5 * ties) / n;
        double z2 = Z95 * Z95;
        double center = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)) / (1 + z2 / n);
        return new WinRate(wins, ties, losses, p, Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
