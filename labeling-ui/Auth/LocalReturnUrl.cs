namespace Alignment.LabelingUi.Auth;

/// <summary>Return addresses after a form post (sign-in, the theme toggle): same-site paths only, no open redirect.</summary>
public static class LocalReturnUrl
{
    /// <summary><paramref name="url"/> when it is a local path, else <c>/</c>.</summary>
    public static string OrHome(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
