using Alignment.LabelingUi.Hosting;

// `dotnet run --project labeling-ui -- [--port N] [--host ADDR] [--home DIR]`; the usual way is `align serve`.
var options = new LabelingAppOptions();
for (var i = 0; i < args.Length - 1; i++)
{
    switch (args[i])
    {
        case "--port" when int.TryParse(args[i + 1], out var port): options = options with { Port = port }; break;
        case "--host": options = options with { Host = args[i + 1] }; break;
        case "--home": options = options with { Home = args[i + 1] }; break;
    }
}
var app = LabelingApp.Create(options with { Args = args });
app.Run();

/// <summary>The entry point (also what WebApplicationFactory starts in the tests).</summary>
public partial class Program;
