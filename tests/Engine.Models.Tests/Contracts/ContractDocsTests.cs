using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Engine.Models.Contracts;

namespace Engine.Models.Tests.Contracts;

/// <summary>Every JSON example in docs/contracts.md parses into its contract and names no field the contract lacks.</summary>
public partial class ContractDocsTests
{
    public static TheoryData<string, string> Examples()
    {
        var doc = File.ReadAllText(Path.Combine(Engine.Testing.RepoPaths.Root, "docs", "contracts.md"));
        var data = new TheoryData<string, string>();
        string? section = null;
        foreach (Match m in Blocks().Matches(doc))
        {
            if (m.Groups["heading"].Success) section = m.Groups["heading"].Value.Trim();
            else data.Add(section ?? "?", m.Groups["json"].Value.Trim());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Documented_example_matches_its_contract(string section, string json)
    {
        JsonTypeInfo info = section switch
        {
            "ClickEvent" => EngineJson.Default.ClickEvent,
            "Recommendation" => EngineJson.Default.Recommendation,
            "BidDecision" => EngineJson.Default.BidDecision,
            "BidAdjustment" => EngineJson.Default.BidAdjustment,
            "ChurnAlert" => EngineJson.Default.ChurnAlert,
            "DeadLetter" => EngineJson.Default.DeadLetter,
            "PrivacyRequest" => EngineJson.Default.PrivacyRequest,
            "PrivacyAck" => EngineJson.Default.PrivacyAck,
            _ => throw new InvalidOperationException($"docs/contracts.md: a JSON example under '{section}', which is no contract"),
        };
        var parsed = JsonSerializer.Deserialize(json, info)!;
        var written = JsonSerializer.SerializeToNode(parsed, info)!;
        AssertNoUnknownFields(JsonNode.Parse(json)!, written, section);
        if (parsed is ClickEvent evt)
            Assert.Null(ClickEventValidator.Problem(evt));
    }

    [Fact]
    public void Every_contract_has_an_example()
    {
        var sections = Examples().Select(row => (string)row[0]).ToHashSet();
        Assert.Superset(sections, new HashSet<string> { "ClickEvent", "Recommendation", "BidDecision", "BidAdjustment", "ChurnAlert", "DeadLetter", "PrivacyRequest", "PrivacyAck" });
    }

    private static void AssertNoUnknownFields(JsonNode documented, JsonNode written, string path)
    {
        switch (documented)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    var counterpart = written.AsObject()[name];
                    Assert.True(counterpart is not null, $"{path}.{name} is in the docs but not in the contract");
                    if (value is not null) AssertNoUnknownFields(value, counterpart!, $"{path}.{name}");
                }
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                    if (arr[i] is { } item) AssertNoUnknownFields(item, written.AsArray()[i]!, $"{path}[{i}]");
                break;
        }
    }

    [GeneratedRegex(@"^## (?<heading>\w+)\s*$|^```json\n(?<json>.*?)\n```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Blocks();
}
