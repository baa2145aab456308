namespace Sower.Ui.Tests.Browser;

/// <summary>The browser classes that need only a plain server share one server and one Chromium (start-ups are ~a
/// tenth of the assembly's time): every test there names its own gardens, seeds and tokens and asserts only on those.
/// <see cref="ConsoleScreenshotTests"/> keeps a server of its own: it counts the whole fleet on the overview.</summary>
[CollectionDefinition(Name)]
public sealed class SharedConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "shared console";
}

/// <summary>The OIDC classes share one provider, one server that trusts it and one Chromium; a test that needs
/// another provider or mapping starts its own pair (<see cref="OidcConsoleFixture.StartPair"/>).</summary>
[CollectionDefinition(Name)]
public sealed class SharedOidcCollection : ICollectionFixture<OidcConsoleFixture>
{
    public const string Name = "shared oidc console";
}
