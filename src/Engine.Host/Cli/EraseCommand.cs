using System.CommandLine;
using Engine.Host.Privacy;
using Engine.Models.Contracts;

namespace Engine.Host.Cli;

/// <summary>
/// <c>engine erase --user ID</c>: asks the running engine to erase everything it keeps about a user (features, consent,
/// churn due-list entry, actor state) and, by default, waits for the acknowledgement. docs/privacy.md has the flow.
/// </summary>
public static class EraseCommand
{
    public static Command Create()
    {
        var user = PrivacyCliOptions.User("The user id to erase (as it appears in the clickstream)");
        var kafka = PrivacyCliOptions.Kafka();
        var wait = PrivacyCliOptions.Wait();
        var command = new Command("erase",
            "Erase everything the engine keeps about one user, then print the acknowledgement (engine.privacy -> engine.privacy-acks).\n" +
            "Example: ./engine erase --user u-123 --kafka broker:9092")
        {
            user, kafka, wait,
        };
        command.SetAction((parse, ct) => PrivacyCliOptions.SendAsync(parse.GetValue(kafka)!, new PrivacyRequest
        {
            Type = PrivacyRequestTypes.Erase, RequestId = "erase-" + Guid.NewGuid().ToString("N"), UserId = parse.GetValue(user)!,
            RequestedAt = DateTimeOffset.UtcNow,
        }, parse.GetValue(wait), ct));
        return command;
    }
}
