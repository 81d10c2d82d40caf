namespace Engine.Host.Demo;

/// <summary>What <c>./engine demo</c> runs: how many simulated events, users and campaigns, how fast, where to report.</summary>
public sealed record DemoOptions(
    long Events = 200_000,
    int Users = 5_000,
    int Campaigns = 20,
    int Rate = 0,
    int Partitions = 4,
    double MalformedShare = 0.001,
    int Seed = 7,
    FileInfo? Summary = null,
    string? ModelsDirectory = null,
    string? KafkaAddress = null,
    string? RedisAddress = null,
    int HttpPort = -1);
