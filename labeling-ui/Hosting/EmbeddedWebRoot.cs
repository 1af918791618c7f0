using System.Reflection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// Serves <c>wwwroot/**</c> from resources embedded in the assembly (logical names <c>wwwroot/css/app.css</c>, ...; see
/// build/WebLibs.targets), so the app finds its scripts and styles wherever it is hosted: <c>align serve</c>, the tests,
/// <c>dotnet run</c>. Read-only; directory listing is not offered.
/// </summary>
public sealed class EmbeddedWebRoot : IFileProvider
{
    private const string Prefix = "wwwroot/";
    private readonly Assembly _assembly;
    private readonly HashSet<string> _names;
    private readonly DateTimeOffset _lastModified;

    /// <summary>Indexes the <c>wwwroot/</c> resources of <paramref name="assembly"/>.</summary>
    public EmbeddedWebRoot(Assembly assembly)
    {
        _assembly = assembly;
        _names = assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var location = assembly.Location;
        _lastModified = string.IsNullOrEmpty(location) ? DateTimeOffset.UtcNow : File.GetLastWriteTimeUtc(location);
    }

    /// <summary>The served paths, e.g. <c>/lib/htmx/htmx.min.js</c>.</summary>
    public IEnumerable<string> Paths => _names.Select(n => "/" + n[Prefix.Length..]).Order(StringComparer.Ordinal);

    /// <inheritdoc />
    public IFileInfo GetFileInfo(string subpath)
    {
        var name = Prefix + subpath.TrimStart('/');
        return _names.Contains(name) ? new ResourceFile(_assembly, name, _lastModified) : new NotFoundFileInfo(subpath);
    }

    /// <inheritdoc />
    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    /// <inheritdoc />
    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    private sealed class ResourceFile(Assembly assembly, string name, DateTimeOffset lastModified) : IFileInfo
    {
        private long? _length;

        public bool Exists => true;
        public long Length => _length ??= Open().Length;
        public string? PhysicalPath => null;
        public string Name => Path.GetFileName(name);
        public DateTimeOffset LastModified => lastModified;
        public bool IsDirectory => false;
        public Stream CreateReadStream() => Open();

        private Stream Open() => assembly.GetManifestResourceStream(name)
            ?? throw new FileNotFoundException($"Embedded resource {name} is missing.");
    }
}
