using System.Text.Encodings.Web;
using System.Text.Json;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.ImportExport;

/// <summary>Options for the TRL preference export.</summary>
/// <param name="KtoPath">
/// When set, also writes every label as unpaired KTO rows <c>{"prompt","completion","label"}</c>: the
/// winner true and the loser false; a tie labels both true (the annotator had "both bad" and did not
/// choose it); both_bad labels both false. Ties and both_bad never enter the preference file.
/// </param>
/// <param name="IncludeGold">Export gold items with their known answer (default true).</param>
public sealed record PreferenceExportOptions(string? KtoPath = null, bool IncludeGold = true);

/// <summary>What a preference export wrote and left out.</summary>
/// <param name="Pairs">Preference rows written (A or B won).</param>
/// <param name="KtoRows">KTO rows written (0 without a KTO file).</param>
/// <param name="Ties">Comparisons whose label is tie (not in the preference file).</param>
/// <param name="BothBad">Comparisons whose label is both_bad (not in the preference file).</param>
/// <param name="Split">Comparisons whose annotators split evenly (no label).</param>
/// <param name="Unjudged">Comparisons with no active judgment, adjudication or gold answer.</param>
/// <param name="Adjudicated">Labels taken from an adjudication.</param>
/// <param name="Gold">Labels taken from a gold answer.</param>
public sealed record PreferenceExportResult(int Pairs, int KtoRows, int Ties, int BothBad, int Split, int Unjudged, int Adjudicated, int Gold);

/// <summary>
/// Exports a project's judgments as TRL preference JSONL <c>{"prompt","chosen","rejected","margin"}</c>,
/// one row per comparison, aggregated by <see cref="PreferenceAggregator"/> (adjudications override,
/// then gold answers, then the majority; margin = mean |strength| / 3 of the majority). Files are
/// written atomically.
/// </summary>
public sealed class PreferenceExporter(AlignStore store)
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the preference file (and the KTO file when asked) atomically.</summary>
    public PreferenceExportResult ExportFile(long projectId, string path, PreferenceExportOptions? options = null)
    {
        options ??= new PreferenceExportOptions();
        return AtomicFile.Write(path, preferences => options.KtoPath is null
            ? Write(projectId, preferences, null, options)
            : AtomicFile.Write(options.KtoPath, kto => Write(projectId, preferences, kto, options)));
    }

    /// <summary>Writes to streams (for downloads); <paramref name="kto"/> may be null.</summary>
    public PreferenceExportResult Write(long projectId, Stream preferences, Stream? kto, PreferenceExportOptions? options = null)
    {
        options ??= new PreferenceExportOptions();
        return store.Read(connection =>
        {
            ProjectService.Load(connection, null, projectId);
            var votes = connection.Query<(long ComparisonId, string Outcome, long Strength)>(
                    """
                    SELECT j.comparison_id, j.outcome, j.strength
                    FROM judgments j JOIN comparisons c ON c.id = j.comparison_id
                    WHERE c.project_id = @projectId AND j.is_active = 1
                    """, new { projectId })
                .ToLookup(v => v.ComparisonId, v => new Vote(OutcomeCodes.Parse(v.Outcome), (int)v.Strength));
            var rows = connection.Query<ComparisonRow>(
                """
                SELECT c.id, p.text AS prompt, ra.text AS text_a, rb.text AS text_b, c.is_gold, c.gold_outcome, c.gold_strength,
                       ad.outcome AS adjudicated_outcome, ad.strength AS adjudicated_strength
                FROM comparisons c
                JOIN prompts p ON p.id = c.prompt_id
                JOIN responses ra ON ra.id = c.response_a_id
                JOIN responses rb ON rb.id = c.response_b_id
                LEFT JOIN adjudications ad ON ad.comparison_id = c.id AND ad.is_active = 1
                WHERE c.project_id = @projectId
                ORDER BY c.id
                """, new { projectId }, buffered: false);

            using var preferenceWriter = new Utf8JsonWriter(preferences, JsonOptions);
            using var ktoWriter = kto is null ? null : new Utf8JsonWriter(kto, JsonOptions);
            int pairs = 0, ktoRows = 0, ties = 0, bothBad = 0, split = 0, unjudged = 0, adjudicated = 0, gold = 0;
            foreach (var row in rows)
            {
                if (row.IsGold != 0 && !options.IncludeGold)
                    continue;
                var comparisonVotes = votes[row.Id].ToList();
                var label = PreferenceAggregator.Aggregate(comparisonVotes,
                    row.AdjudicatedOutcome is null ? null : new Vote(OutcomeCodes.Parse(row.AdjudicatedOutcome), (int)(row.AdjudicatedStrength ?? 0)),
                    row.IsGold != 0 && row.GoldOutcome is not null ? new Vote(OutcomeCodes.Parse(row.GoldOutcome), (int)(row.GoldStrength ?? 0)) : null);
                if (label is null)
                {
                    if (comparisonVotes.Count == 0) unjudged++; else split++;
                    continue;
                }
                if (label.Source == LabelSource.Adjudication) adjudicated++;
                if (label.Source == LabelSource.Gold) gold++;
                switch (label.Outcome)
                {
                    case Outcome.A or Outcome.B:
                        var (chosen, rejected) = label.Outcome == Outcome.A ? (row.TextA, row.TextB) : (row.TextB, row.TextA);
                        WritePreference(preferenceWriter, preferences, row.Prompt, chosen, rejected, label.Margin);
                        pairs++;
                        if (ktoWriter is not null)
                        {
                            WriteKto(ktoWriter, kto!, row.Prompt, chosen, true);
                            WriteKto(ktoWriter, kto!, row.Prompt, rejected, false);
                            ktoRows += 2;
                        }
                        break;
                    case Outcome.Tie or Outcome.BothBad:
                        if (label.Outcome == Outcome.Tie) ties++; else bothBad++;
                        if (ktoWriter is not null)
                        {
                            var good = label.Outcome == Outcome.Tie;
                            WriteKto(ktoWriter, kto!, row.Prompt, row.TextA, good);
                            WriteKto(ktoWriter, kto!, row.Prompt, row.TextB, good);
                            ktoRows += 2;
                        }
                        break;
                }
            }
            return new PreferenceExportResult(pairs, ktoRows, ties, bothBad, split, unjudged, adjudicated, gold);
        });
    }

    private static void WritePreference(Utf8JsonWriter writer, Stream stream, string prompt, string chosen, string rejected, double margin)
    {
        writer.WriteStartObject();
        writer.WriteString("prompt", prompt);
        writer.WriteString("chosen", chosen);
        writer.WriteString("rejected", rejected);
        writer.WriteNumber("margin", Math.Round(margin, 6));
        writer.WriteEndObject();
        EndLine(writer, stream);
    }

    private static void WriteKto(Utf8JsonWriter writer, Stream stream, string prompt, string completion, bool label)
    {
        writer.WriteStartObject();
        writer.WriteString("prompt", prompt);
        writer.WriteString("completion", completion);
        writer.WriteBoolean("label", label);
        writer.WriteEndObject();
        EndLine(writer, stream);
    }

    private static void EndLine(Utf8JsonWriter writer, Stream stream)
    {
        writer.Flush();
        stream.WriteByte((byte)'\n');
        writer.Reset(stream);
    }

    private sealed class ComparisonRow
    {
        public long Id { get; set; }
        public string Prompt { get; set; } = "";
        public string TextA { get; set; } = "";
        public string TextB { get; set; } = "";
        public long IsGold { get; set; }
        public string? GoldOutcome { get; set; }
        public long? GoldStrength { get; set; }
        public string? AdjudicatedOutcome { get; set; }
        public long? AdjudicatedStrength { get; set; }
    }
}
