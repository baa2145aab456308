using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sower.Messages.Gateway;

namespace Sower.Server.Tests.Gateway;

/// <summary>
/// The server → garden pushes are a frozen contract (REFERENCE §5.17): their schema is compared with the committed
/// baseline push-schema.json. A removed property, a changed type or a new non-nullable (required) field fails; a new
/// nullable field is an allowed optional addition. To change the contract deliberately, bump GatewayProtocol.Version and
/// regenerate the baseline with SOWER_UPDATE_PUSH_SCHEMA=1.
/// </summary>
public sealed class PushContractTests
{
    private static readonly string BaselinePath = Path.Combine(AppContext.BaseDirectory, "Gateway", "push-schema.json");
    private static readonly NullabilityInfoContext Nullability = new();

    public static JsonObject CurrentSchema() => new()
    {
        ["protocol_version"] = GatewayProtocol.Version,
        [GatewayProtocol.PushDeployment] = Describe(typeof(DeploymentPush)),
        [GatewayProtocol.PushDeploymentError] = Describe(typeof(DeploymentErrorPush)),
    };

    [Fact]
    public void Push_payloads_stay_compatible_with_the_committed_baseline()
    {
        var current = CurrentSchema();
        if (Environment.GetEnvironmentVariable("SOWER_UPDATE_PUSH_SCHEMA") == "1")
        {
            var source = Path.Combine(FindRepoRoot(), "tests", "Sower.Server.Tests", "Gateway", "push-schema.json");
            File.WriteAllText(source, current.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        var baseline = JsonNode.Parse(File.ReadAllText(BaselinePath))!.AsObject();
        var problems = new List<string>();
        foreach (var push in new[] { GatewayProtocol.PushDeployment, GatewayProtocol.PushDeploymentError })
        {
            Compare(push, baseline[push]!.AsObject(), current[push]!.AsObject(), problems);
        }
        Assert.True(problems.Count == 0, "breaking change of the frozen push contract:\n" + string.Join("\n", problems)
            + "\ncurrent schema:\n" + current.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    [Fact]
    public void The_comparison_catches_removed_retyped_and_new_required_fields()
    {
        var baseline = JsonNode.Parse("""{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}""")!.AsObject();
        var broken = JsonNode.Parse("""{"type":"object","properties":{"a":{"type":"boolean"},"c":{"type":"string"}}}""")!.AsObject();
        var problems = new List<string>();
        Compare("x", baseline, broken, problems);
        Assert.Contains(problems, p => p.Contains("x.a") && p.Contains("type"));
        Assert.Contains(problems, p => p.Contains("x.b") && p.Contains("removed"));
        Assert.Contains(problems, p => p.Contains("x.c") && p.Contains("required"));

        var optionalAddition = JsonNode.Parse("""{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"},"d":{"type":"string","nullable":true}}}""")!.AsObject();
        problems.Clear();
        Compare("x", baseline, optionalAddition, problems);
        Assert.Empty(problems);
    }

    private static void Compare(string path, JsonObject baseline, JsonObject current, List<string> problems)
    {
        var baseType = baseline["type"]?.GetValue<string>();
        var currentType = current["type"]?.GetValue<string>();
        if (baseType != currentType)
        {
            problems.Add($"{path}: type changed from {baseType} to {currentType}");
            return;
        }
        if ((baseline["nullable"]?.GetValue<bool>() ?? false) != (current["nullable"]?.GetValue<bool>() ?? false))
        {
            problems.Add($"{path}: nullability changed");
        }
        if (baseType == "array") Compare(path + "[]", baseline["items"]!.AsObject(), current["items"]!.AsObject(), problems);
        if (baseType != "object") return;
        var baseProps = baseline["properties"]!.AsObject();
        var currentProps = current["properties"]!.AsObject();
        foreach (var (name, schema) in baseProps)
        {
            if (currentProps[name] is not JsonObject now) problems.Add($"{path}.{name}: removed");
            else Compare($"{path}.{name}", schema!.AsObject(), now, problems);
        }
        foreach (var (name, schema) in currentProps)
        {
            if (!baseProps.ContainsKey(name) && !(schema!["nullable"]?.GetValue<bool>() ?? false))
            {
                problems.Add($"{path}.{name}: new required field (only nullable additions are compatible)");
            }
        }
    }

    private static JsonObject Describe(Type type, bool nullable = false)
    {
        JsonObject schema;
        if (type == typeof(string)) schema = new JsonObject { ["type"] = "string" };
        else if (type == typeof(bool)) schema = new JsonObject { ["type"] = "boolean" };
        else if (type == typeof(int) || type == typeof(long)) schema = new JsonObject { ["type"] = "integer" };
        else if (Nullable.GetUnderlyingType(type) is { } inner) return Describe(inner, nullable: true);
        else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            schema = new JsonObject { ["type"] = "array", ["items"] = Describe(type.GetGenericArguments()[0]) };
        }
        else if (typeof(IEnumerable).IsAssignableFrom(type)) throw new NotSupportedException($"describe {type} explicitly");
        else
        {
            var properties = new JsonObject();
            foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is not null))
            {
                var isNull = Nullability.Create(p).ReadState == NullabilityState.Nullable;
                properties[JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)] = Describe(p.PropertyType, isNull);
            }
            schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        }
        if (nullable) schema["nullable"] = true;
        return schema;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sower.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
