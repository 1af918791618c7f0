using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.ImportExport;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Reports;
using Alignment.Data.Review;
using Alignment.Workflows.Execution;
using Alignment.LabelingUi.Tests.Infrastructure;
using Bunit;
using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Services;

namespace Alignment.LabelingUi.Tests.Components;

/// <summary>
/// bUnit over the real store: a <see cref="LabelingFactory"/> supplies the app's store services (AnnotatorService,
/// ProjectService, QueueService, ProjectMembers, AdjudicationService, WorkflowEngine, ImportService, PairingService,
/// ActivityQueries), MudBlazor's services are added, and
/// the user is a signed-in admin ("root") unless <see cref="SignInAs"/> changes it. The MudBlazor providers (dialogs,
/// popovers, snackbars) are rendered first, as the layout does.
/// </summary>
internal sealed class ComponentHarness : IAsyncDisposable
{
    public ComponentHarness()
    {
        App.Token("root", AnnotatorRole.Admin);
        Admin = App.Service<AnnotatorService>().List().Single(a => a.Name == "root");
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices();
        // The store's services are singletons of the app (StoreServices); the pages get the same instances.
        Context.Services.AddSingleton(App.Service<AnnotatorService>());
        Context.Services.AddSingleton(App.Service<ProjectService>());
        Context.Services.AddSingleton(App.Service<QueueService>());
        Context.Services.AddSingleton(App.Service<ProjectMembers>());
        Context.Services.AddSingleton(App.Service<AdjudicationService>());
        Context.Services.AddSingleton(App.Service<WorkflowEngine>());
        Context.Services.AddSingleton(App.Service<ImportService>());
        Context.Services.AddSingleton(App.Service<PairingService>());
        Context.Services.AddSingleton(App.Service<ActivityQueries>());
        auth = Context.AddAuthorization();
        SignInAs(Admin);
        Context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));   // as on the circuit (after the services)
        Popovers = Context.Render<MudPopoverProvider>();
        Dialogs = Context.Render<MudDialogProvider>();
        Snackbars = Context.Render<MudSnackbarProvider>();
    }

    private readonly BunitAuthorizationContext auth;

    public LabelingFactory App { get; } = new();
    public BunitContext Context { get; } = new();
    public Annotator Admin { get; }
    public IRenderedComponent<MudPopoverProvider> Popovers { get; }
    public IRenderedComponent<MudDialogProvider> Dialogs { get; }
    public IRenderedComponent<MudSnackbarProvider> Snackbars { get; }

    public IRenderedComponent<T> Render<T>() where T : IComponent => Context.Render<T>();

    /// <summary>Makes <paramref name="account"/> the signed-in user of the pages rendered next.</summary>
    public void SignInAs(Annotator account) => auth.SetAuthorized(account.Name).SetRoles(account.Role.ToCode())
        .SetClaims(new Claim(ClaimTypes.NameIdentifier, account.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The sort button in the header of a MudDataGrid column whose title starts with <paramref name="title"/>.</summary>
    public static AngleSharp.Dom.IElement SortHeader<T>(IRenderedComponent<T> page, string title) where T : IComponent =>
        page.FindAll("th").First(th => th.TextContent.Trim().StartsWith(title, StringComparison.Ordinal)).QuerySelector(".sortable-column-header")!;

    public string Uri => Context.Services.GetRequiredService<NavigationManager>().Uri;

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();   // MudBlazor's services are async-disposable only
        App.Dispose();
    }
}
