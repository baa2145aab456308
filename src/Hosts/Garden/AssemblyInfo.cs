// sower-garden runs on Linux hosts (Unix sockets, peer credentials, sd_notify).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
