namespace Engine.Host.Web;

/// <summary>The live page: one static HTML file (with its script) embedded in the binary, so the host needs no files beside it.</summary>
public static class LivePage
{
    private const string Resource = "Engine.Host.Web.Page.index.html";

    public static Stream Open() =>
        typeof(LivePage).Assembly.GetManifestResourceStream(Resource) ?? throw new InvalidOperationException($"{Resource} is not embedded in the host");
}
