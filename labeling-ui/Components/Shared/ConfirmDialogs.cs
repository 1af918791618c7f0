using MudBlazor;

namespace Alignment.LabelingUi.Components.Shared;

/// <summary>Asking for a confirmation with <see cref="ConfirmDialog"/>.</summary>
public static class ConfirmDialogs
{
    /// <summary>Shows the dialog; true when the confirm button was pressed, false for Cancel, Escape or a click outside.</summary>
    public static async Task<bool> ConfirmAsync(this IDialogService dialogs, string title, string message, string confirmText, bool destructive = false)
    {
        var parameters = new DialogParameters<ConfirmDialog>
        {
            { d => d.Title, title }, { d => d.Message, message }, { d => d.ConfirmText, confirmText }, { d => d.Destructive, destructive },
        };
        var dialog = await dialogs.ShowAsync<ConfirmDialog>(title, parameters, new DialogOptions { CloseOnEscapeKey = true, MaxWidth = MaxWidth.ExtraSmall });
        var result = await dialog.Result;
        return result is { Canceled: false, Data: true };
    }
}
