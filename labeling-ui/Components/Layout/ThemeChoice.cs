namespace Alignment.LabelingUi.Components.Layout;

/// <summary>The theme a page renders in, cascaded from <c>Routes</c> to the layout.</summary>
/// <param name="Dark">True for the dark palette.</param>
public sealed record ThemeChoice(bool Dark);
