using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Sower.Messages;

namespace Sower.Actors.Serialization;

/// <summary>
/// The one serializer for everything Sower persists or sends between nodes (every ISowerSerializable): System.Text.Json
/// under a versioned string manifest ("seed-registered-v1"). Manifests are derived from the type name once and pinned
/// by a committed baseline test; they must never change. A changed shape gets a new type and a "-v2" manifest.
/// </summary>
public sealed class SowerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    // Actor refs (the garden proxy) travel as serialized paths and are resolved by the receiving system.
    private readonly JsonSerializerOptions _options = SowerJson.WithActorRefs(system);

    public const int SerializerId = 200;

    public override int Identifier => SerializerId;

    // Declared before ManifestByType: static fields initialize in order, and BuildManifests reads it.
    /// <summary>Types whose stored shape changed, with their current version. Each earlier version's manifest still
    /// reads into the same type (the converters read the old shape: an audit actor stored as a plain sid string).</summary>
    /// <remarks>v2: the audit actor became an <see cref="Sower.Messages.Domain.Actor"/> object (sid, kind, description).</remarks>
    public static readonly FrozenDictionary<Type, int> Versions = new Dictionary<Type, int>
    {
        [typeof(Sower.Messages.Deployments.DeploymentCommands.ApproveDeployment)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentCommands.RejectDeployment)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentCommands.CancelDeployment)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentCommands.CreateDeployment)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentEvents.DeploymentApproved)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentEvents.DeploymentCanceled)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentEvents.DeploymentCreated)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentQueries.DeploymentFound)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentAuditEvent)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentRecord)] = 2,
        [typeof(Sower.Messages.Deployments.DeploymentEntityState)] = 2,
        [typeof(Sower.Messages.Gardens.CreationRequest)] = 2,
        [typeof(Sower.Messages.Gardens.GardenCommands.DeleteGarden)] = 2,
        [typeof(Sower.Messages.Gardens.GardenCommands.DeploySubscription)] = 2,
        [typeof(Sower.Messages.Gardens.GardenCommands.RetryDeployment)] = 2,
        [typeof(Sower.Messages.Gardens.GardenEvents.GardenRemoved)] = 2,
        [typeof(Sower.Messages.Seeds.SeedCommands.RetireSeed)] = 2,
        [typeof(Sower.Messages.Seeds.SeedCommands.RemoveSeedTag)] = 2,
        [typeof(Sower.Messages.Seeds.SeedEvents.SeedRetired)] = 2,
        [typeof(Sower.Messages.Seeds.SeedEvents.SeedTagRemoved)] = 2,
        // Rollout plans and waves (issue 14.2) hold an audit Actor from their first version; the seed line state now holds them.
        [typeof(Sower.Messages.Rollouts.RolloutPlan)] = 2,
        [typeof(Sower.Messages.Rollouts.Rollout)] = 2,
        [typeof(Sower.Messages.Rollouts.SeedLineRollouts)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutCommands.SetRolloutPlan)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutCommands.ClearRolloutPlan)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutCommands.ResumeRollout)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutCommands.AbortRollout)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutQueries.RolloutFound)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutEvents.RolloutPlanSet)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutEvents.RolloutPlanCleared)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutEvents.RolloutStarted)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutEvents.RolloutResumed)] = 2,
        [typeof(Sower.Messages.Rollouts.RolloutEvents.RolloutAborted)] = 2,
        [typeof(Sower.Messages.Seeds.SeedLineState)] = 2,
        [typeof(Sower.Messages.Gardens.GardenCommands.ChangeGardenLabels)] = 2,
        [typeof(Sower.Messages.Gardens.GardenEvents.GardenAdminLabelsChanged)] = 2,
        // New types holding an audit actor start at v2, the version of every such shape (issue 16.2: recall).
        [typeof(Sower.Messages.Seeds.SeedCommands.RecallSeed)] = 2,
        [typeof(Sower.Messages.Seeds.SeedCommands.UnrecallSeed)] = 2,
        [typeof(Sower.Messages.Seeds.SeedEvents.SeedRecalled)] = 2,
        [typeof(Sower.Messages.Seeds.SeedEvents.SeedUnrecalled)] = 2,
        // The garden's state now holds its pending deployment creations (records with audit actors); v1 snapshots have
        // none and read as before. The pending-creation event holds a deployment record from its first version.
        [typeof(Sower.Messages.Gardens.GardenState)] = 2,
        [typeof(Sower.Messages.Gardens.GardenEvents.GardenDeploymentCreationPending)] = 2,
    }.ToFrozenDictionary();

    public static readonly FrozenDictionary<Type, string> ManifestByType = BuildManifests();

    private static readonly FrozenDictionary<string, Type> TypeByManifest = ManifestByType
        .SelectMany(kv => Enumerable.Range(1, Versions.GetValueOrDefault(kv.Key, 1)).Select(v => KeyValuePair.Create(Versioned(kv.Value, v), kv.Key)))
        .ToFrozenDictionary();

    /// <summary>Every manifest this serializer reads: the current ones and every earlier version of a changed type.</summary>
    public static IEnumerable<string> ReadableManifests => TypeByManifest.Keys;

    private static string Versioned(string manifest, int version) => manifest[..manifest.LastIndexOf("-v", StringComparison.Ordinal)] + "-v" + version;

    public static IEnumerable<Type> SerializableTypes => ManifestByType.Keys;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no Sower manifest", nameof(o));

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest) =>
        TypeByManifest.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, _options) ?? throw new SerializationException($"null payload for {manifest}")
            : throw new SerializationException($"unknown Sower manifest \"{manifest}\"");

    private static FrozenDictionary<Type, string> BuildManifests()
    {
        var types = typeof(ISowerSerializable).Assembly.GetTypes()
            .Concat(typeof(SowerSerializer).Assembly.GetTypes())
            .Where(t => typeof(ISowerSerializable).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Distinct();
        var map = new Dictionary<Type, string>();
        var seen = new Dictionary<string, Type>();
        foreach (var type in types)
        {
            var manifest = Kebab(type.Name) + "-v" + Versions.GetValueOrDefault(type, 1);
            if (seen.TryGetValue(manifest, out var clash))
            {
                throw new InvalidOperationException($"manifest {manifest} of {type} clashes with {clash}");
            }
            seen[manifest] = type;
            map[type] = manifest;
        }
        return map.ToFrozenDictionary();
    }

    private static string Kebab(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0) sb.Append('-');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
