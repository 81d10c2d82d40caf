using System.Text;
using Engine.Models.Routing;

namespace Engine.Models.Tests.Routing;

public class KafkaPartitionerTests
{
    // The vectors of Kafka's own UtilsTest.testMurmur2.
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_the_java_client(string key, int expected) =>
        Assert.Equal(expected, KafkaPartitioner.Murmur2(Encoding.UTF8.GetBytes(key)));

    [Fact]
    public void Partitions_are_in_range_and_spread()
    {
        var counts = new int[8];
        for (var i = 0; i < 8000; i++) counts[KafkaPartitioner.Partition($"u-{i}", 8)]++;
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }
}
