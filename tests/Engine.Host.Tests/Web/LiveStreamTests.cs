using System.Text;
using System.Threading.Channels;
using Engine.Host.Telemetry;
using Engine.Host.Web;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace Engine.Host.Tests.Web;

public sealed class LiveStreamTests(ITestOutputHelper output)
{
    /// <summary>
    /// A page that reads slower than decisions arrive (a tunnel, a slow laptop) keeps its queue full. Before 2026-12-07 the
    /// stream wrote decisions for as long as the queue held one, so after the first second such a page got no metrics again:
    /// events/s, lag, latency and the ready badge froze (a review).
    /// </summary>
    [Fact]
    public async Task A_page_slower_than_the_decisions_still_gets_its_metrics_each_second()
    {
        var lag = new ConsumerLagProbe("127.0.0.1:1", new Dictionary<string, string>(), [("engine", "engine.clickstream")]);
        await using var monitor = new NodeMonitor(lag, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var decisions = Channel.CreateBounded<LiveDecision>(new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        var feeding = Task.Run(async () => // 100 decisions a second, against a page that takes 50 ms per write
        {
            while (!stop.IsCancellationRequested)
            {
                decisions.Writer.TryWrite(new LiveDecision("recommendation", """{"decision_id":"r"}"""));
                await Task.Delay(10);
            }
        });
        var page = new SlowPage();
        var http = new DefaultHttpContext { Response = { Body = page } };

        await LiveStream.ServeAsync(http, decisions.Reader, monitor, stop.Token);
        await feeding;

        var text = page.Text;
        var (metrics, shown) = (Count(text, "event: metrics\n"), Count(text, "event: recommendation\n"));
        output.WriteLine($"6 s at 100 decisions/s to a page taking 50 ms a write: {shown} decisions and {metrics} metrics events written");
        Assert.True(shown > 20, $"only {shown} decisions were written");
        Assert.True(metrics >= 4, $"only {metrics} metrics events in 6 s");
    }

    private static int Count(string text, string what) => (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;

    /// <summary>A response body that takes 50 ms for each write, as a page behind a slow link.</summary>
    private sealed class SlowPage : MemoryStream
    {
        public string Text
        {
            get
            {
                lock (this) return Encoding.UTF8.GetString(ToArray());
            }
        }

        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            await Task.Delay(50, cancellationToken);
            lock (this) base.Write(buffer, offset, count);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(50, cancellationToken);
            lock (this) base.Write(buffer.Span);
        }
    }
}
