using System.Xml.Linq;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

/// <summary>
/// The workflow engine is a project of its own that knows nothing of training, models or tensors: its project file
/// references only Alignment.Data, and its compiled assembly references no assembly of the ML stack.
/// </summary>
public sealed class EngineBoundaryTests
{
    private static readonly string[] Forbidden = ["Alignment.Training", "Alignment.Models", "Alignment.Torch", "Alignment.Tokenizers"];

    [Fact]
    public void Engine_project_file_references_only_the_data_project()
    {
        var path = Path.Combine(TestHome.RepoRoot, "src", "Alignment.Workflows.Engine", "Alignment.Workflows.Engine.csproj");
        var references = XDocument.Load(path).Descendants("ProjectReference")
            .Select(r => Path.GetFileNameWithoutExtension(((string?)r.Attribute("Include") ?? "").Replace('\\', '/')))
            .ToList();
        Assert.Equal(["Alignment.Data"], references);
    }

    [Fact]
    public void Engine_assembly_references_no_training_model_or_torch_assembly()
    {
        var engine = typeof(WorkflowEngine).Assembly;
        Assert.Equal("Alignment.Workflows.Engine", engine.GetName().Name);
        var referenced = engine.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("Alignment.Data", referenced);
        Assert.Empty(referenced.Intersect(Forbidden));
    }
}
