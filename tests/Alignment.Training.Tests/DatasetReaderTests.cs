using Alignment.Tokenizers.Chat;
using Alignment.Training.Datasets;

namespace Alignment.Training.Tests;

public sealed class DatasetReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("align-ds-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string Write(params string[] lines)
    {
        string p = Path.Combine(dir, "data.jsonl");
        File.WriteAllLines(p, lines);
        return p;
    }

    [Fact]
    public void Reads_every_sft_shape()
    {
        var rows = DatasetReader.ReadSft(Write(
            "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"}]}",
            "{\"prompt\":\"2+2=\",\"completion\":\"4\"}",
            "",
            "{\"instruction\":\"Add\",\"input\":\"2 and 2\",\"output\":\"4\"}",
            "{\"conversations\":[{\"from\":\"human\",\"value\":\"q\"},{\"from\":\"gpt\",\"value\":\"a\"}]}"));
        Assert.Equal(4, rows.Count);
        Assert.Equal("hello", rows[0].Messages![1].Content);
        Assert.Equal("2+2=", rows[1].Prompt!.Text);
        Assert.Equal("4", rows[1].Completion!.Text);
        Assert.Equal(new ChatMessage("user", "Add\n\n2 and 2"), rows[2].Messages![0]);
        Assert.Equal(4, rows[2].Line);   // the blank line still counts
        Assert.Equal(new ChatMessage("assistant", "a"), rows[3].Messages![1]);
    }

    [Fact]
    public void Reads_preference_unpaired_and_conversational_rows()
    {
        var prefs = DatasetReader.ReadPreferences(Write(
            "{\"prompt\":\"p\",\"chosen\":\"good\",\"rejected\":\"bad\",\"margin\":0.66}",
            "{\"prompt\":[{\"role\":\"user\",\"content\":\"p\"}],\"chosen\":[{\"role\":\"assistant\",\"content\":\"g\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"b\"}]}"));
        Assert.Equal(0.66, prefs[0].Margin);
        Assert.Null(prefs[1].Margin);
        Assert.True(prefs[1].Prompt.IsConversational);
        Assert.Equal("g", prefs[1].Chosen.DisplayText);
        var kto = DatasetReader.ReadUnpaired(Write("{\"prompt\":\"p\",\"completion\":\"c\",\"label\":false}"));
        Assert.False(kto[0].Label);
    }

    [Theory]
    [InlineData("{\"prompt\":\"p\",\"chosen\":\"c\"}", "data.jsonl:2: field \"rejected\" is missing")]
    [InlineData("{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":7}", "data.jsonl:2: field \"rejected\" must be a string")]
    [InlineData("{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\",\"margin\":\"big\"}", "data.jsonl:2: field \"margin\" must be a number")]
    [InlineData("{\"prompt\":\"p\",\"chosen\":[{\"role\":\"bot\",\"content\":\"x\"}],\"rejected\":\"r\"}", "data.jsonl:2: field \"chosen[0].role\" must be")]
    [InlineData("[1,2]", "data.jsonl:2: each line must be a JSON object")]
    [InlineData("{\"prompt\":", "data.jsonl:2: not valid JSON")]
    public void Bad_preference_rows_name_line_and_field(string badLine, string expected)
    {
        string p = Write("{\"prompt\":\"p\",\"chosen\":\"c\",\"rejected\":\"r\"}", badLine);
        var e = Assert.Throws<DatasetException>(() => DatasetReader.ReadPreferences(p));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unrecognized_sft_row_and_empty_file_are_explained()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetReader.ReadSft(Write("{\"text\":\"x\"}")));
        Assert.Contains("data.jsonl:1: not an SFT row", e.Message);
        var e2 = Assert.Throws<DatasetException>(() => DatasetReader.ReadSft(Write("")));
        Assert.Contains("no rows", e2.Message);
        var e3 = Assert.Throws<DatasetException>(() => DatasetReader.ReadUnpaired(Write("{\"prompt\":\"p\",\"completion\":\"c\",\"label\":\"yes\"}")));
        Assert.Contains("field \"label\" must be true", e3.Message);
    }
}
