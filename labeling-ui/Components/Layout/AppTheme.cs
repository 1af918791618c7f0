using MudBlazor;

namespace Alignment.LabelingUi.Components.Layout;

/// <summary>
/// MudBlazor's palettes for the app: the light one matches <c>css/app.css</c> (indigo accent, neutral surfaces); the dark
/// one keeps every text colour at 4.5:1 or more on its backgrounds. Fonts are the system's (nothing is fetched).
/// </summary>
public static class AppTheme
{
    private static readonly string[] SystemFont = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    /// <summary>The theme the layout's <c>MudThemeProvider</c> uses.</summary>
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5", PrimaryDarken = "#3730a3", Secondary = "#5d6778", Background = "#f5f6f8", Surface = "#ffffff",
            AppbarBackground = "#ffffff", AppbarText = "#1c2430", TextPrimary = "#1c2430", TextSecondary = "#5d6778",
            LinesDefault = "#dfe3e8", TableLines = "#dfe3e8", Error = "#b91c1c", Success = "#15803d", Warning = "#b45309",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#a5b4fc", PrimaryDarken = "#c7d2fe", PrimaryContrastText = "#111827", Secondary = "#aab3c2", Background = "#12151c", Surface = "#1b1f29",
            AppbarBackground = "#1b1f29", AppbarText = "#e6e9ef", TextPrimary = "#e6e9ef", TextSecondary = "#aab3c2",
            LinesDefault = "#2f3645", TableLines = "#2f3645", Error = "#fca5a5", Success = "#86efac", Warning = "#fcd34d",
            DrawerBackground = "#1b1f29",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = SystemFont },
        },
    };
}
