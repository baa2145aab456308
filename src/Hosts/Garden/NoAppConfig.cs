using System.Configuration;
using System.Configuration.Internal;
using System.Reflection;
using System.Runtime.CompilerServices;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Sower.Garden;

/// <summary>
/// The garden has no <c>app.config</c>: Akka is configured in code. Akka 1.5 still reads the <c>akka</c> section of
/// <c>app.config</c> on every <c>ActorSystem.Create(name, setup)</c> (an eagerly evaluated fallback it then discards), and
/// <c>System.Configuration</c> answers by parsing the runtime's built-in machine configuration as XML — which keeps
/// <c>System.Private.Xml</c>, <c>System.ComponentModel.TypeConverter</c> and the configuration code resident for the life
/// of the daemon (about 4 MiB of its idle memory, docs/benchmarks.md, "Garden"). Installed before the host starts, this
/// configuration system answers what an absent <c>app.config</c> means without reading anything: no section, and for
/// Akka an empty one.
/// </summary>
internal sealed class NoAppConfig : IInternalConfigSystem
{
    private readonly AkkaConfigurationSection _emptyAkkaSection;

    private NoAppConfig(AkkaConfigurationSection emptyAkkaSection) => _emptyAkkaSection = emptyAkkaSection;

    /// <summary>
    /// Installs the empty configuration system if <c>System.Configuration</c> has not been used yet in this process and
    /// the private members it needs are where this Akka and runtime version keep them; otherwise changes nothing (the
    /// process then reads configuration the ordinary way) and says so.
    /// </summary>
    public static bool TryInstall()
    {
        // ConfigurationManager.SetConfigurationSystem is how the runtime's own hosts install a configuration system;
        // Akka's section keeps its parsed Config in _akkaConfig. Both are private: checked, never assumed.
        var install = typeof(ConfigurationManager).GetMethod(
            "SetConfigurationSystem", BindingFlags.Static | BindingFlags.NonPublic, [typeof(IInternalConfigSystem), typeof(bool)]);
        var configField = typeof(AkkaConfigurationSection).GetField("_akkaConfig", BindingFlags.Instance | BindingFlags.NonPublic);
        if (install is null || configField?.FieldType != typeof(Config)) return false;

        // Made without its constructor, which would reflect over configuration properties (TypeConverter) to build
        // an element nothing reads: AkkaConfig returns the field when it is set.
        var section = (AkkaConfigurationSection)RuntimeHelpers.GetUninitializedObject(typeof(AkkaConfigurationSection));
        configField.SetValue(section, Config.Empty);
        try
        {
            install.Invoke(null, [new NoAppConfig(section), true]);
            return true;
        }
        catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException)
        {
            return false; // something read configuration first: it stays as it is
        }
    }

    public object? GetSection(string configKey) => configKey == "akka" ? _emptyAkkaSection : null;

    public void RefreshConfig(string sectionName)
    {
    }

    public bool SupportsUserConfig => false;
}
