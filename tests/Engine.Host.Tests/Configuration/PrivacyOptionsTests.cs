using System.Security.Cryptography;
using Engine.Host.Configuration;
using Microsoft.Extensions.Configuration;

namespace Engine.Host.Tests.Configuration;

/// <summary>Section <c>Privacy</c>: the pseudonym key is validated without being echoed, reaches the node, and is never described.</summary>
public sealed class PrivacyOptionsTests
{
    private static EngineOptions Load(string? key) => EngineOptions.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Kafka:BootstrapServers"] = "broker:9092", ["Redis:Endpoint"] = "redis:6379", ["Privacy:PseudonymKey"] = key,
    }).Build());

    [Fact]
    public void A_configured_key_reaches_the_node_and_start_up_says_only_that_it_is_set()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var options = Load(key);
        Assert.Equal(key, options.ToNodeSettings("models").PseudonymKey);
        Assert.DoesNotContain(key, options.Describe(), StringComparison.Ordinal);
        Assert.EndsWith("pseudonym key set", options.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_key_the_node_uses_the_development_key_and_start_up_says_so()
    {
        var options = Load(null);
        Assert.True(options.Privacy.UsesDevelopmentKey);
        Assert.Null(options.ToNodeSettings("models").PseudonymKey);
        Assert.Contains("DEVELOPMENT", options.Describe(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-base64-secret!")]
    [InlineData("c2hvcnQ=")] // "short": 5 bytes
    public void A_key_that_is_not_base64_of_32_bytes_is_refused_without_echoing_it(string key)
    {
        var error = Assert.Throws<ConfigurationError>(() => Load(key));
        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("Privacy:PseudonymKey must be base64 of at least 32 bytes", problem);
        Assert.DoesNotContain(key, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false, true)]
    [InlineData("", false, true)] // a secret that was not injected: ${KEY:-} in a compose file
    [InlineData(null, true, false)]
    [InlineData("key", false, false)]
    public void On_external_servers_the_development_key_needs_saying_so(string? key, bool allow, bool refused)
    {
        var privacy = new PrivacyOptions { PseudonymKey = key == "key" ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) : key, AllowDevelopmentKey = allow };
        var problem = privacy.ProblemOnExternalServers();
        Assert.Equal(refused, problem is not null);
        if (refused) Assert.Contains("Privacy__AllowDevelopmentKey=true", problem);
    }
}
