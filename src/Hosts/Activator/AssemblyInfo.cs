// The activator manages NixOS/Linux hosts only: Unix sockets, SO_PEERCRED, setsid/setpriv.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Sower.Activator.Tests")]
