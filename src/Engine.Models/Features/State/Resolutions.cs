namespace Engine.Models.Features.State;

/// <summary>Bucket widths, in milliseconds.</summary>
public static class Resolutions
{
    public const long TenSeconds = 10_000;
    public const long Minute = 60_000;
    public const long Hour = 3_600_000;
    public const long Day = 86_400_000;

    /// <summary>The cap on "seconds since ...": also the longest retention, so a forgotten entity reads the same.</summary>
    public const double MaxSecondsSince = 30 * 86_400;

    /// <summary>How late an event may arrive (behind its entity's latest event) and still count.</summary>
    public static readonly TimeSpan DefaultAllowedLateness = TimeSpan.FromMinutes(10);
}
