using System.Reflection;
using System.Text.RegularExpressions;
using Engine.Testing;
using YamlDotNet.RepresentationModel;

namespace Engine.Host.Tests.Docker;

/// <summary>
/// No Docker engine runs here, so docker/ cannot be started in CI. These tests check what can be checked without it:
/// the files parse, every setting they pass names a real setting of the host, the Dockerfile copies what exists and
/// starts what the host builds, and Prometheus scrapes the port and path the nodes serve.
/// </summary>
public sealed class DockerFilesTests
{
    private static readonly string Docker = Path.Combine(RepoPaths.Root, "docker");

    [Fact]
    public void Compose_has_kafka_redis_two_engine_nodes_and_prometheus()
    {
        var services = Services();
        Assert.Equal(["engine-1", "engine-2", "kafka", "prometheus", "redis"], services.Keys.Order());
        Assert.StartsWith("apache/kafka", Scalar(services["kafka"], "image"));
        Assert.Equal("broker,controller", Scalar(Map(services["kafka"], "environment"), "KAFKA_PROCESS_ROLES")); // KRaft, no ZooKeeper
        Assert.StartsWith("redis", Scalar(services["redis"], "image"));
    }

    [Fact]
    public void Both_engine_nodes_form_one_cluster_on_the_same_kafka_group()
    {
        var services = Services();
        var one = Environment(services["engine-1"]);
        var two = Environment(services["engine-2"]);
        Assert.Equal(one["Kafka__GroupId"], two["Kafka__GroupId"]);
        Assert.NotEqual(one["Cluster__Hostname"], two["Cluster__Hostname"]);
        // Each node lists every node as a seed, at the port it listens on: with itself as its only seed, a node restarted while
        // the other runs forms a second cluster (before 2026-12-06 engine-1 did).
        foreach (var node in new[] { one, two })
        {
            var seeds = node.Where(e => e.Key.StartsWith("Cluster__Seeds__", StringComparison.Ordinal)).Select(e => e.Value).Order().ToList();
            Assert.Equal(new[] { one, two }.Select(n => $"akka.tcp://engine@{n["Cluster__Hostname"]}:{n["Cluster__Port"]}").Order(), seeds);
        }
    }

    /// <summary>
    /// A node the cluster downs exits with code 4 and must be started again (docs/operations.md), and the nodes need the
    /// pseudonym key compose requires: the README says where to keep it.
    /// </summary>
    [Fact]
    public void Engine_nodes_restart_on_failure_and_the_readme_says_where_the_pseudonym_key_lives()
    {
        var services = Services();
        foreach (var node in new[] { "engine-1", "engine-2" })
        {
            Assert.Equal("on-failure", Scalar(services[node], "restart"));
            Assert.StartsWith("${ENGINE_PSEUDONYM_KEY:?", Environment(services[node])["Privacy__PseudonymKey"]);
        }
        Assert.Contains("ENGINE_PSEUDONYM_KEY=$(openssl rand -base64 32)\" > docker/.env", File.ReadAllText(Path.Combine(Docker, "README.md")));
    }

    [Fact]
    public void Every_setting_the_engine_nodes_get_names_a_real_setting_of_the_host()
    {
        var sections = typeof(Engine.Host.Cli.RunCommand).Assembly.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(s => s.Field is { IsLiteral: true })
            .ToDictionary(s => (string)s.Field!.GetRawConstantValue()!, s => s.Type);
        var dockerfileEnv = Regex.Matches(File.ReadAllText(Path.Combine(Docker, "Dockerfile")), @"\b(\w+__\w+)=").Select(m => m.Groups[1].Value);
        var names = Environment(Services()["engine-1"]).Keys.Concat(Environment(Services()["engine-2"]).Keys).Concat(dockerfileEnv).Distinct().ToList();
        Assert.NotEmpty(names);
        foreach (var name in names)
        {
            var path = name.Split("__");
            Assert.True(sections.TryGetValue(path[0], out var type), $"{name}: no configuration section '{path[0]}' in the host");
            Assert.True(Resolves(type!, path.AsSpan(1)), $"{name}: '{string.Join(':', path)}' is not a setting of {type!.Name}");
        }
    }

    [Fact]
    public void Dockerfile_copies_what_exists_and_starts_the_host_assembly()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Docker, "Dockerfile"));
        var copies = dockerfile.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var source in parts[1..^1])
                Assert.True(Path.Exists(Path.Combine(RepoPaths.Root, source)), $"Dockerfile: '{copy}' copies {source}, which is not in the repository");
        }
        var entrypoint = dockerfile.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal));
        var assembly = typeof(Engine.Host.Cli.RunCommand).Assembly.GetName().Name + ".dll";
        Assert.Contains($"\"{assembly}\"", entrypoint, StringComparison.Ordinal);
        Assert.Contains("\"run\"", entrypoint, StringComparison.Ordinal);
    }

    [Fact]
    public void Prometheus_scrapes_the_metrics_path_on_the_port_each_node_serves()
    {
        using var reader = new StreamReader(Path.Combine(Docker, "prometheus.yml"));
        var yaml = new YamlStream();
        yaml.Load(reader);
        var job = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["scrape_configs"])[0];
        Assert.Equal("/metrics", Scalar(job, "metrics_path"));
        var targets = ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)job["static_configs"])[0])["targets"]).Select(t => ((YamlScalarNode)t).Value!).ToList();
        var services = Services();
        foreach (var node in new[] { "engine-1", "engine-2" })
        {
            var containerPort = ((YamlSequenceNode)services[node]["ports"]).Select(p => ((YamlScalarNode)p).Value!.Split(':')[^1]).Single();
            Assert.Contains($"{node}:{containerPort}", targets);
        }
    }

    private static bool Resolves(Type type, ReadOnlySpan<string> path)
    {
        if (path.IsEmpty) return true;
        if (type.IsArray) return int.TryParse(path[0], out _) && Resolves(type.GetElementType()!, path[1..]);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>)) return path.Length == 1; // pass-through keys
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
        return property is { CanWrite: true } && Resolves(property.PropertyType, path[1..]);
    }

    private static Dictionary<string, YamlMappingNode> Services()
    {
        using var reader = new StreamReader(Path.Combine(Docker, "compose.yaml"));
        var yaml = new YamlStream();
        yaml.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        return services.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Merged((YamlMappingNode)kv.Value));
    }

    /// <summary>Applies YAML merge keys as compose does: <c>&lt;&lt;: *anchor</c> first, then the node's own keys win.</summary>
    private static YamlMappingNode Merged(YamlMappingNode node)
    {
        var merged = new YamlMappingNode();
        if (node.Children.TryGetValue(new YamlScalarNode("<<"), out var parent))
            foreach (var (key, value) in Merged((YamlMappingNode)parent).Children) merged.Children[key] = value;
        foreach (var (key, value) in node.Children)
            if (key is not YamlScalarNode { Value: "<<" })
                merged.Children[key] = value is YamlMappingNode map ? Merged(map) : value;
        return merged;
    }

    private static Dictionary<string, string> Environment(YamlMappingNode service) =>
        Map(service, "environment").Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;
}
