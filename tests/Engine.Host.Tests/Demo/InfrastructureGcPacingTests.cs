using Engine.Host.Demo;
using Engine.Host.Node;

namespace Engine.Host.Tests.Demo;

[Collection(Engine.Host.Tests.Cli.EngineProcesses.Name)]
public sealed class InfrastructureGcPacingTests
{
    [Fact]
    public async Task Beside_an_in_process_Garnet_the_node_does_not_pace_and_beside_a_given_Redis_it_keeps_its_setting()
    {
        var configured = GcPacingSettings.Default with { Gen0Bytes = 16L << 20 };
        await using (var embedded = await Infrastructure.StartAsync(null, null, partitions: 1))
        {
            Assert.False(embedded.GcPacing(configured)!.Enabled);
            Assert.False(embedded.GcPacing()!.Enabled);
        }
        // A Redis given by address is another process (nothing connects to it here).
        await using var given = await Infrastructure.StartAsync(null, "127.0.0.1:6399", partitions: 1);
        Assert.Same(configured, given.GcPacing(configured));
        Assert.Null(given.GcPacing());
    }
}
