using Microsoft.AspNetCore.Components;

namespace Alignment.LabelingUi.Components.Shared;

/// <summary>
/// A component that reads its data again on a timer over its circuit: once it is interactive (never while
/// prerendering), every <see cref="RefreshPeriod"/> it calls <see cref="Refresh"/> on the renderer's thread and renders,
/// until <see cref="Refresh"/> says to stop or the component is disposed (the page was closed or left).
/// </summary>
public abstract class RefreshingComponent : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource stop = new();

    /// <summary>How long between two reads.</summary>
    protected abstract TimeSpan RefreshPeriod { get; }

    /// <summary>Whether to start the timer at all once interactive (e.g. only while a run is active).</summary>
    protected virtual bool RefreshNeeded => true;

    /// <summary>Reads the data again; returns whether to keep refreshing.</summary>
    protected abstract bool Refresh();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive && RefreshNeeded)
            _ = RefreshLoopAsync(stop.Token);
    }

    private async Task RefreshLoopAsync(CancellationToken token)
    {
        using var timer = new PeriodicTimer(RefreshPeriod);
        try
        {
            var more = true;
            while (more && await timer.WaitForNextTickAsync(token))
                await InvokeAsync(() =>
                {
                    more = Refresh();
                    StateHasChanged();
                });
        }
        catch (OperationCanceledException)
        {
            // disposed with the component
        }
    }

    public void Dispose()
    {
        stop.Cancel();
        stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
