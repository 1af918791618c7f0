using System.Globalization;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;

namespace Alignment.LabelingUi.Auth;

/// <summary>
/// ASP.NET Core's rate limiter on authentication, per client address (the proxy's X-Forwarded-For client with
/// <c>--behind-proxy</c>): sign-in form posts, and API calls whose bearer token is wrong (calls with a valid token are
/// never counted). Over the limit the answer is 429 with Retry-After: ProblemDetails on the API, a short page on
/// sign-in. The limits are in <see cref="AccessSettings"/>.
/// </summary>
public static class AuthRateLimits
{
    private const string FailedBearerKey = "align.failed-bearer";

    /// <summary>Registers the limiter.</summary>
    public static IServiceCollection AddAuthRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<AccessSettings>((o, settings) =>
        {
            var window = TimeSpan.FromSeconds(settings.WindowSeconds);
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(AuthSetup.SignInPath, StringComparison.OrdinalIgnoreCase))
                    return RateLimitPartition.GetFixedWindowLimiter("sign-in " + address, _ => Window(settings.SignInLimit, window));
                if (context.Items.ContainsKey(FailedBearerKey))
                    return RateLimitPartition.GetFixedWindowLimiter("bearer " + address, _ => Window(settings.FailedBearerLimit, window));
                return RateLimitPartition.GetNoLimiter("");
            });
            o.OnRejected = (rejected, _) => Reject(rejected.HttpContext, rejected.Lease, window);
        });
        return services;
    }

    /// <summary>
    /// Authenticates API calls that carry an Authorization header before the limiter runs, marking the ones whose token
    /// is wrong (the bearer handler keeps the result, so authorization does not look the token up again); then the limiter.
    /// </summary>
    public static void UseAuthRateLimits(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/api") && !string.IsNullOrEmpty(context.Request.Headers.Authorization) &&
                (await context.AuthenticateAsync(AuthSchemes.Bearer)).Failure is not null)
                context.Items[FailedBearerKey] = true;
            await next();
        });
        app.UseRateLimiter();
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static async ValueTask Reject(HttpContext context, RateLimitLease lease, TimeSpan window)
    {
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;
        var seconds = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds));
        var response = context.Response;
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests, Title = "too_many_requests",
                    Detail = $"Too many calls with a wrong token from this address; try again in {seconds} s.",
                    Extensions = { ["code"] = "too_many_requests" },
                },
            });
            return;
        }
        response.ContentType = "text/html; charset=utf-8";
        await response.WriteAsync(
            $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Too many attempts · Alignment</title>
            <link rel="stylesheet" href="/css/app.css"></head><body class="plain">
            <main class="narrow"><h1>Too many sign-in attempts</h1><p>Too many sign-ins came from your address. Try again in
            {HtmlEncoder.Default.Encode(seconds.ToString(CultureInfo.InvariantCulture))} seconds on the <a href="{AuthSetup.SignInPath}">sign-in page</a>.</p></main></body></html>
            """);
    }
}
