using System.CommandLine;
using Engine.Host.Privacy;
using Engine.Models.Contracts;

namespace Engine.Host.Cli;

/// <summary><c>engine consent --user ID --personalisation false --ad-targeting false</c>: records what a user allows, from their next event on.</summary>
public static class ConsentCommand
{
    public static Command Create()
    {
        var user = PrivacyCliOptions.User("The user id (as it appears in the clickstream)");
        // Both required: a request records both choices, and a flag left out defaulted to true, granting again what the user
        // had withdrawn (review, 2026-12-06). bool?: a plain bool option has an implicit default, and 'Required' never fires.
        var personalisation = new Option<bool?>("--personalisation")
            { Description = "May the user's behaviour shape their recommendations and churn alerts (true or false; required: both choices are recorded)", Required = true };
        var adTargeting = new Option<bool?>("--ad-targeting")
            { Description = "May the engine bid on ad requests for this user (true or false; required: both choices are recorded)", Required = true };
        var kafka = PrivacyCliOptions.Kafka();
        var wait = PrivacyCliOptions.Wait();
        var command = new Command("consent",
            "Record a user's consent (engine.privacy -> engine.privacy-acks); opted-out users get non-personal decisions.\n" +
            "Example: ./engine consent --user u-123 --personalisation false --ad-targeting false --kafka broker:9092")
        {
            user, personalisation, adTargeting, kafka, wait,
        };
        command.SetAction((parse, ct) => PrivacyCliOptions.SendAsync(parse.GetValue(kafka)!, new PrivacyRequest
        {
            Type = PrivacyRequestTypes.Consent, RequestId = "consent-" + Guid.NewGuid().ToString("N"), UserId = parse.GetValue(user)!,
            Personalisation = parse.GetValue(personalisation)!.Value, AdTargeting = parse.GetValue(adTargeting)!.Value, RequestedAt = DateTimeOffset.UtcNow,
        }, parse.GetValue(wait), ct));
        return command;
    }
}
