# Every Sower NixOS module: services.sower.{server,garden,activator} and sower.seed.tags.
{
  imports = [
    ./server.nix
    ./garden.nix
    ./activator.nix
    ./seed-tags.nix
  ];
}
