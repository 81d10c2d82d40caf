using System.CommandLine;
using System.Text.Json;
using Confluent.Kafka;
using Engine.Host.Privacy;
using Engine.Models.Contracts;

namespace Engine.Host.Cli;

/// <summary>What <c>erase</c> and <c>consent</c> share: where Kafka is, how long to wait for the acknowledgement, and the sending.</summary>
internal static class PrivacyCliOptions
{
    public static Option<string> Kafka() => new("--kafka")
    {
        Description = "Kafka bootstrap servers, host:port[,host:port] (default: Kafka__BootstrapServers, else localhost:9092)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Kafka__BootstrapServers") ?? "localhost:9092",
    };

    /// <summary>
    /// The user id, refused at once when blank or too long for a request (the engine would dead-letter the request, and the
    /// command then waited for an acknowledgement that never came and blamed the engine: before 2026-12-07, a review).
    /// </summary>
    public static Option<string> User(string description)
    {
        var user = new Option<string>("--user") { Description = description, Required = true };
        user.Validators.Add(result =>
        {
            var id = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(id)) result.AddError("--user must not be blank: give the user id as it appears in the clickstream.");
            else if (JsonSerializer.SerializeToUtf8Bytes(id).Length > ClickEventCodec.MaxRecordBytes / 2) // as the request carries it, escapes and all
                result.AddError($"--user is longer than a privacy request can carry ({ClickEventCodec.MaxRecordBytes / 2:N0} bytes).");
        });
        return user;
    }

    public static Option<int> Wait() => new("--wait")
        { Description = "Seconds to wait for the acknowledgement (0 = send and return)", DefaultValueFactory = _ => 60 };

    /// <summary>Exit 0 when acknowledged (or not waited for), 1 when Kafka refused the request or no acknowledgement came in time, 130 when stopped (Ctrl+C, SIGTERM).</summary>
    public static async Task<int> SendAsync(string kafka, PrivacyRequest request, int waitSeconds, CancellationToken ct)
    {
        var wait = waitSeconds > 0 ? TimeSpan.FromSeconds(waitSeconds) : (TimeSpan?)null;
        PrivacyAck? ack;
        var sent = false;
        try
        {
            ack = await new PrivacyRequests(kafka, KafkaClientEnvironment.Read()).SendAsync(request, wait, ct, () =>
            {
                sent = true;
                Console.WriteLine($"{request.Type}: request {request.RequestId} sent to {Topics.Privacy}" + (wait is null ? "" : "; waiting for its acknowledgement"));
            });
        }
        catch (ProduceException<byte[], byte[]> e) when (e.DeliveryResult?.Status != PersistenceStatus.NotPersisted)
        {
            // A request that timed out on its way may be on the broker: then the engine carries it out.
            Console.Error.WriteLine($"{request.Type}: request {request.RequestId} may have been sent (Kafka did not confirm it: {e.Error.Reason}); check before sending it again");
            return 1;
        }
        catch (KafkaException e) // one line, not a stack trace (review, 2026-12-06)
        {
            Console.Error.WriteLine($"{request.Type}: request {request.RequestId} {(sent ? "sent, but its acknowledgement could not be read" : "not sent")}: {e.Error.Reason}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: say whether the request went out (before, nothing was said, or 'no acknowledgement within 60 s').
            Console.Error.WriteLine($"{request.Type}: {(sent ? $"stopped waiting; request {request.RequestId} was sent and is carried out when an engine consumes {Topics.Privacy}" : $"cancelled; request {request.RequestId} not sent")}");
            return 130;
        }
        if (wait is null) return 0;
        if (ack is null)
        {
            Console.Error.WriteLine($"{request.Type}: no acknowledgement within {waitSeconds} s (is an engine running? it is carried out when one consumes {Topics.Privacy})");
            return 1;
        }
        Console.WriteLine(JsonSerializer.Serialize(ack, EngineJson.Default.PrivacyAck));
        return 0;
    }
}
