using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Alignment.LabelingUi.Tests.Infrastructure;

/// <summary>
/// Labels through the API the way a scripted annotator would, deciding in the A/B frame from the answer texts. Needs
/// nothing but an <see cref="HttpClient"/> with the bearer token, so the CLI tests use it against real
/// <c>align serve</c> processes too.
/// </summary>
public static class Judge
{
    /// <summary>
    /// Judges every item the client gets until the queue is empty. <paramref name="decide"/> gets the prompt and returns
    /// "A", "B", "tie" or "both_bad" (about the underlying responses); the helper maps it onto the shown left/right.
    /// </summary>
    public static async Task<int> All(HttpClient api, long projectId, Func<string, string> decide, int strength = 2)
    {
        var judged = 0;
        while (true)
        {
            var response = await api.GetAsync($"/api/projects/{projectId}/next");
            if (response.StatusCode == HttpStatusCode.NoContent)
                return judged;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var item = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            var stored = await api.PostAsJsonAsync($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", Body(item, decide, strength));
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
            judged++;
        }
    }

    private static object Body(JsonElement item, Func<string, string> decide, int strength)
    {
        var leftIsA = item.GetProperty("left").GetString()!.StartsWith("Answer A", StringComparison.Ordinal);
        return decide(item.GetProperty("prompt").GetString()!) switch
        {
            "A" => leftIsA ? new { choice = "left", strength = -strength } : new { choice = "right", strength },
            "B" => leftIsA ? new { choice = "right", strength } : new { choice = "left", strength = -strength },
            var other => new { choice = other, strength = 0 },
        };
    }

    /// <summary>The item number in a prompt made by <c>LabelingFactory.PairsJsonl</c> ("Prompt 7: …").</summary>
    public static int Number(string prompt) => int.Parse(prompt["Prompt ".Length..prompt.IndexOf(':')]);
}
