namespace Engine.Models.Privacy;

/// <summary>
/// What a user allows: decisions made from their own behaviour (recommendations from their session, churn alerts) and
/// ad targeting (bids on their requests). Everyone starts with both until a consent request says otherwise.
/// </summary>
public sealed record Consent(bool Personalisation, bool AdTargeting)
{
    public static Consent Granted { get; } = new(true, true);

    /// <summary>Stored as one hash field each; an absent field means granted.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToFields() =>
        [new(PersonalisationField, Personalisation ? "1" : "0"), new(AdTargetingField, AdTargeting ? "1" : "0")];

    public static Consent FromFields(IReadOnlyDictionary<string, string> fields) => new(
        fields.GetValueOrDefault(PersonalisationField) != "0",
        fields.GetValueOrDefault(AdTargetingField) != "0");

    public const string PersonalisationField = "personalisation", AdTargetingField = "ad_targeting";
}
