using System.ComponentModel.DataAnnotations;
using Engine.Models.Privacy;

namespace Engine.Host.Configuration;

/// <summary>
/// Section <c>Privacy</c>. Env: <c>Privacy__PseudonymKey=$(openssl rand -base64 32)</c> (a secret: never logged). It keys the
/// pseudonyms that stand for user ids in Redis and logs, and the encryption of ids on the churn due-list. Unset (or empty):
/// the public development key, with a warning at start-up, and only on the embedded servers unless
/// <c>Privacy:AllowDevelopmentKey=true</c>: against real Kafka and Redis a secret that was not injected must stop the
/// node, not leave user ids reversible at rest. Changing it orphans every stored user key (they expire by TTL).
/// </summary>
public sealed class PrivacyOptions : IValidatableObject
{
    public const string Section = "Privacy";

    public string? PseudonymKey { get; set; }

    /// <summary>Lets a node on external Kafka and Redis run with the public development key (trials, not production).</summary>
    public bool AllowDevelopmentKey { get; set; }

    public bool UsesDevelopmentKey => string.IsNullOrEmpty(PseudonymKey);

    /// <summary>The problem with running on external servers under these settings, if any.</summary>
    public string? ProblemOnExternalServers() => UsesDevelopmentKey && !AllowDevelopmentKey
        ? "Privacy:PseudonymKey is not set (or empty) and Kafka and Redis are external: user ids would be pseudonymised with the " +
          "public development key, which anyone can reverse. Set Privacy__PseudonymKey=$(openssl rand -base64 32), the same on " +
          "every node and kept secret, or Privacy__AllowDevelopmentKey=true for a trial (docs/privacy.md)"
        : null;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UsesDevelopmentKey) yield break;
        byte[]? key = null;
        try
        {
            key = Convert.FromBase64String(PseudonymKey!);
        }
        catch (FormatException)
        {
            // reported below, without echoing the value
        }
        if (key is null || key.Length < Pseudonymizer.MinimumKeyBytes)
            yield return new ValidationResult(
                $"Privacy:PseudonymKey must be base64 of at least {Pseudonymizer.MinimumKeyBytes} bytes; generate one with: openssl rand -base64 32",
                [nameof(PseudonymKey)]);
    }
}
