using System.Text;

namespace Alignment.Workflows.Stages;

/// <summary>A text writer whose every line goes to a stage's log (the output of data-parallel worker processes);
/// remembers the last "error: ..." line for the stage's failure message.</summary>
internal sealed class StageLogWriter(Action<string> log) : TextWriter
{
    private readonly StringBuilder line = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string? LastError { get; private set; }

    public override void Write(char value)
    {
        if (value == '\n') Flush();
        else if (value != '\r') line.Append(value);
    }

    public override void WriteLine(string? value)
    {
        line.Append(value);
        Flush();
    }

    public override void Flush()
    {
        if (line.Length == 0) return;
        string text = line.ToString();
        line.Clear();
        if (text.StartsWith("error: ", StringComparison.Ordinal)) LastError = text["error: ".Length..];
        log(text);
    }
}
