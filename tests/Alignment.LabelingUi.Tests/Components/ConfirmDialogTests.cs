using Alignment.LabelingUi.Components.Shared;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Alignment.LabelingUi.Tests.Components;

// The confirmation dialog: true only for its confirm button.
public class ConfirmDialogTests
{
    [Fact]
    public async Task Confirm_answers_true_and_cancel_false_with_the_words_shown()
    {
        await using var h = new ComponentHarness();
        var service = h.Context.Services.GetRequiredService<IDialogService>();

        // Opened on the renderer's dispatcher without awaiting the answer (it comes only with a click).
        Task<bool> first = null!;
        await h.Dialogs.InvokeAsync(() => { first = service.ConfirmAsync("Disable al?", "Their sessions end.", "Disable", destructive: true); });
        h.Dialogs.WaitForElement("[data-confirm]");
        Assert.Contains("Disable al?", h.Dialogs.Markup);
        Assert.Contains("Their sessions end.", h.Dialogs.Markup);
        Assert.Equal("Disable", h.Dialogs.Find("[data-confirm]").TextContent.Trim());
        Assert.Contains("mud-button-filled-error", h.Dialogs.Find("[data-confirm]").ClassName);
        await h.Dialogs.Find("[data-confirm]").ClickAsync();
        Assert.True(await first);
        h.Dialogs.WaitForAssertion(() => Assert.Empty(h.Dialogs.FindAll("[data-confirm]")));

        Task<bool> second = null!;
        await h.Dialogs.InvokeAsync(() => { second = service.ConfirmAsync("New token?", "The old one stops working.", "New token"); });
        h.Dialogs.WaitForElement("[data-cancel]");
        Assert.Contains("mud-button-filled-primary", h.Dialogs.Find("[data-confirm]").ClassName);
        await h.Dialogs.Find("[data-cancel]").ClickAsync();
        Assert.False(await second);
    }
}
