using System.ComponentModel.DataAnnotations;
using Engine.Models.Privacy;

namespace Engine.Host.Configuration;

/// <summary>
/// Section <c>Privacy</c>. Env: <c>Privacy__PseudonymKey=$(openssl rand -base64 32)</c> (a secret: never logged). It keys the
/// pseudonyms that stand for user ids in Redis and logs, and the encryption of ids on the churn due-list. Unset: the public
/// development key, with a warning at start-up. Changing it orphans every stored user key (they expire by TTL).
/// </summary>
public sealed class PrivacyOptions : IValidatableObject
{
    public const string Section = "Privacy";

    public string? PseudonymKey { get; set; }

    public bool UsesDevelopmentKey => string.IsNullOrEmpty(PseudonymKey);

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
