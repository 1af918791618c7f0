using System.Globalization;
using System.Security;
using System.Text;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// Writes one standalone SVG document: a fixed-size <c>viewBox</c>, coordinates with two fixed decimals in the
/// invariant culture (the same chart gives the same bytes on every machine), every text XML-escaped.
/// </summary>
public sealed class SvgCanvas
{
    /// <summary>Font used for every label.</summary>
    public const string FontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif";

    private readonly StringBuilder _body = new();

    /// <summary>A canvas of <paramref name="width"/> × <paramref name="height"/> user units titled <paramref name="title"/>.</summary>
    public SvgCanvas(double width, double height, string title)
    {
        Width = width;
        Height = height;
        Title = title;
    }

    public double Width { get; }
    public double Height { get; }
    public string Title { get; }

    /// <summary>A coordinate or length: two fixed decimals, invariant culture.</summary>
    public static string N(double value) => (Math.Abs(value) < 0.005 ? 0 : value).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Text escaped for XML content and attribute values.</summary>
    public static string Escape(string text) => SecurityElement.Escape(RemoveControlCharacters(text));

    /// <summary>A line segment.</summary>
    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? dash = null, string? cssClass = null) =>
        _body.Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"")
             .Append(dash is null ? "" : $" stroke-dasharray=\"{dash}\"").Append(Class(cssClass)).Append("/>\n");

    /// <summary>A rectangle; <paramref name="data"/> adds data-* attributes (name → value, escaped).</summary>
    public void Rect(double x, double y, double width, double height, string fill, string? cssClass = null, IReadOnlyDictionary<string, string>? data = null, string? tooltip = null)
    {
        _body.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, width))}\" height=\"{N(Math.Max(0, height))}\" fill=\"{fill}\"")
             .Append(Class(cssClass)).Append(Data(data));
        Close("rect", tooltip);
    }

    /// <summary>A circle marker.</summary>
    public void Circle(double cx, double cy, double r, string fill, string? cssClass = null, IReadOnlyDictionary<string, string>? data = null, string? tooltip = null)
    {
        _body.Append($"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\"").Append(Class(cssClass)).Append(Data(data));
        Close("circle", tooltip);
    }

    /// <summary>An open polyline through <paramref name="points"/> (pixel coordinates).</summary>
    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width, string? dash, IReadOnlyDictionary<string, string>? data = null)
    {
        _body.Append("<polyline points=\"").AppendJoin(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"))
             .Append($"\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"")
             .Append(dash is null ? "" : $" stroke-dasharray=\"{dash}\"").Append(Data(data)).Append("/>\n");
    }

    /// <summary>A text label; <paramref name="anchor"/> is start, middle or end; <paramref name="rotate"/> turns it about its anchor point.</summary>
    public void Text(double x, double y, string text, string anchor = "start", double size = 11, string fill = "#333333", bool bold = false, double rotate = 0, string? cssClass = null)
    {
        _body.Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" fill=\"{fill}\" text-anchor=\"{anchor}\"")
             .Append(bold ? " font-weight=\"bold\"" : "")
             .Append(rotate == 0 ? "" : $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"")
             .Append(Class(cssClass)).Append('>').Append(Escape(text)).Append("</text>\n");
    }

    /// <summary>The finished document (a <c>title</c> for screen readers, then the drawing).</summary>
    public override string ToString() =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" " +
        $"role=\"img\" font-family=\"{Escape(FontFamily)}\">\n<title>{Escape(Title)}</title>\n" +
        $"<rect x=\"0\" y=\"0\" width=\"{N(Width)}\" height=\"{N(Height)}\" fill=\"#ffffff\"/>\n{_body}</svg>\n";

    private void Close(string element, string? tooltip)
    {
        if (tooltip is null) _body.Append("/>\n");
        else _body.Append("><title>").Append(Escape(tooltip)).Append($"</title></{element}>\n");
    }

    private static string Class(string? cssClass) => cssClass is null ? "" : $" class=\"{Escape(cssClass)}\"";

    private static string Data(IReadOnlyDictionary<string, string>? data) =>
        data is null ? "" : string.Concat(data.Select(kv => $" data-{kv.Key}=\"{Escape(kv.Value)}\""));

    /// <summary>XML 1.0 forbids most control characters even escaped: drop them (tabs and newlines become spaces).</summary>
    private static string RemoveControlCharacters(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            if (c is '\t' or '\n' or '\r') sb.Append(' ');
            else if (!char.IsControl(c)) sb.Append(c);
        return sb.ToString();
    }
}
