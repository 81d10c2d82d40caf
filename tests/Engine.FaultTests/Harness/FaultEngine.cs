using Engine.Actors.Campaigns;
using Engine.Host.Demo;
using Engine.Host.Node;
using Engine.Models.Decisions;
using Engine.Testing;

namespace Engine.FaultTests.Harness;

/// <summary>
/// An engine node in the test process, started as <c>run</c> starts one (the committed models, no campaigns booked), except that
/// every page event gets its own list: the decision check is then exact (a lost list cannot pass as one left to a later click,
/// <see cref="DecisionOutcome"/>). The SIGKILL test runs the engine's own process, with <c>run</c>'s conflation.
/// </summary>
public static class FaultEngine
{
    /// <summary>Lists are not conflated in the test process (<see cref="EngineNodeSettings.ListConflationWindow"/>).</summary>
    public const int ListConflationWindow = 0;

    public static string ModelsDirectory => Path.Combine(RepoPaths.Root, "models");

    public static DecisionModels LoadModels() => DemoModels.Load(ModelsDirectory);

    public static Task<EngineNode> StartAsync(string kafka, string redis, int partitions, DecisionModels? models = null, CancellationToken cancellationToken = default) =>
        EngineNode.StartAsync(new EngineNodeSettings(kafka, redis, ModelsDirectory, partitions, new ClusterSettings(), ListConflationWindow: ListConflationWindow),
            models ?? LoadModels(), new CampaignCatalog(), new CampaignBoard(), cancellationToken);

    /// <summary>Closes the ONNX sessions of models loaded by the test (the engine's own close with the node).</summary>
    public static void Release(DecisionModels models)
    {
        models.Churn.Dispose();
        models.Bid.Dispose();
    }
}
