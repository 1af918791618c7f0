using Microsoft.AspNetCore.Antiforgery;

namespace Alignment.LabelingUi.Hosting;

/// <summary>
/// Validates the antiforgery token of the cookie-authenticated form and htmx endpoints (<c>/ui/...</c>): the token comes
/// in the form field <c>__RequestVerificationToken</c> or, from htmx, in the <see cref="HeaderName"/> header (set by
/// <c>wwwroot/js/app.js</c> from the page's meta tag). A request without a valid one is refused with 400 and a message.
/// </summary>
public static class AntiforgeryFilter
{
    /// <summary>The request header htmx sends the token in.</summary>
    public const string HeaderName = "RequestVerificationToken";

    /// <summary>Adds the check to every endpoint of <paramref name="builder"/> (and turns off the framework's silent form check).</summary>
    public static TBuilder RequireAntiforgeryToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.DisableAntiforgery();
        builder.AddEndpointFilter(async (context, next) =>
        {
            var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
            if (!await antiforgery.IsRequestValidAsync(context.HttpContext))
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "antiforgery_token_invalid",
                    detail: "This form has no valid antiforgery token (it may be from an old page or another site). Reload the page and try again.");
            }
            return await next(context);
        });
        return builder;
    }
}
